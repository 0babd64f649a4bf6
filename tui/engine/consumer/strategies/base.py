"""What a commit strategy is: a name, a description and four hooks a member calls around each batch.

A member's client is always built with ``enable.auto.commit=true`` and ``enable.auto.offset.store=false``
so strategies can be switched while the member runs (librdkafka cannot change those two settings on a
live client). With nothing stored, the auto-commit timer commits nothing; only the strategies that
store offsets (``auto``, ``auto-stored``) give it something to commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar, Protocol, cast

from confluent_kafka import Message, TopicPartition


class MemberIO(Protocol):
    """The member-side services a strategy may use (implemented by the member loop)."""

    @property
    def consumer(self) -> Any:
        """The member's confluent_kafka.Consumer."""

    @property
    def output_topic(self) -> str | None: ...

    @property
    def transactional_id(self) -> str: ...

    @property
    def incarnation(self) -> int:
        """0 for the member's first process, +1 after each restart."""

    def commit_sync(self, offsets: list[TopicPartition], mode: str = "sync") -> bool:
        """Commit and log COMMIT_REQ + COMMIT_RESULT; True when every partition committed."""

    def commit_async(self, offsets: list[TopicPartition]) -> None:
        """Commit asynchronously; the result is logged when ``on_commit`` fires."""

    def store(self, offsets: list[TopicPartition]) -> None:
        """``store_offsets`` and log it (mode ``store``)."""

    def emit(self, kind: str, **fields: Any) -> None:
        """Write one event to the parent."""

    def make_producer(self) -> Any:
        """A transactional producer for this member (built via tui.kafka.clients)."""

    def seek_back(self, offsets: list[TopicPartition]) -> None:
        """Seek each partition back to the given offset and log SEEK."""

    def next_offsets(self, records: Sequence[Message]) -> list[TopicPartition]:
        """:func:`next_offsets` of ``records``; the batch in hand's from the columns the member
        already read (reading them again cost a fifth of a member's time per record)."""


def next_offsets(records: Sequence[Message]) -> list[TopicPartition]:
    """Per partition, the offset after the highest record: what a commit of these records stores."""
    if len(records) > 1:  # a consume() batch is mostly one partition: that case without a loop
        topics = list(map(Message.topic, records))
        parts = list(map(Message.partition, records))
        offsets = list(map(Message.offset, records))
        if None not in topics and None not in parts and None not in offsets:
            return next_offsets_of(cast(list[str], topics), cast(list[int], parts),
                                   cast(list[int], offsets))
    top: dict[tuple[str, int], int] = {}
    for msg in records:
        key = (msg.topic() or "", msg.partition() or 0)
        offset = msg.offset() or 0
        top[key] = max(top.get(key, -1), offset + 1)
    return [TopicPartition(t, p, o) for (t, p), o in sorted(top.items())]


def next_offsets_of(topics: Sequence[str], parts: Sequence[int],
                    offsets: Sequence[int]) -> list[TopicPartition]:
    """:func:`next_offsets` from one consume() batch's columns (a member reads them once per batch).
    A batch holds each partition's records in offset order, so its last record per partition is the
    highest: a dict built in C finds them without a Python loop over the records."""
    if not offsets:
        return []
    if topics.count(topics[0]) == len(topics) and parts.count(parts[0]) == len(parts):
        return [TopicPartition(topics[0], parts[0], offsets[-1] + 1)]
    last = dict(zip(zip(topics, parts, strict=True), offsets, strict=True))
    return [TopicPartition(t, p, o + 1) for (t, p), o in sorted(last.items())]


def first_offsets(records: Sequence[Message]) -> list[TopicPartition]:
    """Per partition, the lowest offset of these records (where to seek back to after an abort)."""
    low: dict[tuple[str, int], int] = {}
    for msg in records:
        key = (msg.topic() or "", msg.partition() or 0)
        offset = msg.offset() or 0
        low[key] = min(low.get(key, offset), offset)
    return [TopicPartition(t, p, o) for (t, p), o in sorted(low.items())]


class Strategy:
    """Base: does nothing. Subclasses override the hooks they need.

    Call order per batch (one ``consume(num_messages)`` result): ``batch_start`` after the records
    were returned and logged as DELIVER; per record: processing, PROCESSED, the crash injection
    point, then ``record_done`` -- or, for a record the error policy skipped or dead-lettered,
    ``record_skipped``; finally ``batch_end`` with the records the member is done with (all of them,
    unless the pause policy held a partition: then not its failed record nor the later ones). A
    member asked to leave finishes the batch in hand first. ``close`` runs on a clean leave, before
    ``Consumer.close()`` (which itself commits whatever offsets are stored).
    """

    name: ClassVar[str] = ""
    title: ClassVar[str] = ""
    """A few words for menus."""
    guarantee: ClassVar[str] = ""
    """at-least-once / at-most-once / exactly-once / none."""
    needs_output_topic: ClassVar[bool] = False

    @classmethod
    def description(cls) -> str:
        """The module docstring: exactly what the strategy does, in librdkafka terms."""
        import sys

        doc = sys.modules[cls.__module__].__doc__ or ""
        return " ".join(doc.split())

    def batch_start(self, io: MemberIO, records: Sequence[Message]) -> None:
        return None

    def record_done(self, io: MemberIO, record: Message) -> None:
        return None

    def record_skipped(self, io: MemberIO, record: Message) -> None:
        """The error policy skipped or dead-lettered the record: commit past it as the strategy
        commits past a processed one, without processing it (the default: nothing per record)."""
        return None

    def batch_end(self, io: MemberIO, records: Sequence[Message]) -> None:
        return None

    def before_crash(self, io: MemberIO) -> None:
        """Runs at the crash injection point, right before the process dies."""
        return None

    def close(self, io: MemberIO, processed: list[TopicPartition]) -> None:
        """Clean leave. ``processed``: next offsets of everything processed and not yet committed."""
        return None
