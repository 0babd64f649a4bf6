"""Frozen views of the record browser. Keys, values and header values are raw, untrusted bytes
capped at 256 bytes (``*_size`` says how long they really were): escaping is the renderer's job
(:func:`tui.safe_text.safe_text`, :func:`tui.safe_text.safe_json_value`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from tui.engine.jsonview import JsonView
from tui.vocab import BrowseState

FINAL_STATES = frozenset({BrowseState.DONE, BrowseState.FAILED, BrowseState.CLOSED})


@dataclass(frozen=True, slots=True)
class BrowseRecordView(JsonView):
    """One record that passed the filters."""

    n: int
    """0, 1, 2... in the order records matched (a reader continues with ``take(since=n + 1)``)."""
    topic: str
    partition: int
    offset: int
    timestamp_type: str
    """A :class:`tui.vocab.TimestampType` (CreateTime, LogAppendTime, NoTimestamp)."""
    timestamp_ms: int | None
    key: bytes | None
    key_size: int
    value: bytes | None
    value_size: int
    headers: tuple[tuple[str, bytes | None], ...]
    """At most MAX_HEADERS, names capped at 256 characters, values at 256 bytes."""
    headers_more: int
    """Headers beyond those kept."""
    value_format: str
    """A :class:`tui.vocab.ValueFormat`: kx, json, text, binary or empty."""
    detail: str
    """The decoded value: pretty JSON, the text or a hex dump (untrusted; capped)."""
    msg_id: str | None = None
    """kafka-explorer's record id (``run/producer/incarnation/seq``) when the record carries one."""
    run: str | None = None
    producer: str | None = None
    incarnation: int | None = None
    seq: int | None = None

    @property
    def key_more(self) -> int:
        """Key bytes not kept in the view."""
        return self.key_size - len(self.key or b"")

    @property
    def value_more(self) -> int:
        return self.value_size - len(self.value or b"")

    @property
    def timestamp(self) -> float | None:
        """Seconds since the epoch."""
        return None if self.timestamp_ms is None else self.timestamp_ms / 1000.0


@dataclass(frozen=True, slots=True)
class BrowseView(JsonView):
    """One browser: what it reads, how far it got, and its most recent matching records."""

    NOTICE: ClassVar[str] = "reads without joining a group or committing offsets"

    browser_id: int
    topic: str
    partitions: tuple[int, ...]
    """Every partition read (all of the topic's unless some were chosen)."""
    start: str
    """Where it started, as typed (``beginning``, ``-10``, ``@1733040000000``...)."""
    filters: str
    """The filters in words; empty when every record is shown."""
    follow: bool
    state: str
    """A :class:`tui.vocab.BrowseState`."""
    paused: bool
    scanned: int
    """Records read (matching or not)."""
    matched: int
    dropped: int
    """Matching records that no longer fit in ``records`` (the ring keeps the latest)."""
    records: tuple[BrowseRecordView, ...]
    """The latest matching records, oldest first."""
    start_offsets: tuple[tuple[int, int], ...] = ()
    """(partition, first offset read)."""
    end_offsets: tuple[tuple[int, int], ...] = ()
    """(partition, end offset when the read started): without follow, reading stops there."""
    positions: tuple[tuple[int, int], ...] = ()
    """(partition, next offset to read)."""
    limit: int | None = None
    error: str | None = None
    """Why it failed, or the last error the cluster reported while reading."""
    seq: int = 0
    """Grows whenever anything in the view changed."""

    @property
    def final(self) -> bool:
        """Nothing will change any more (done, failed or closed)."""
        return self.state in FINAL_STATES

    @property
    def remaining(self) -> int | None:
        """Records between the positions and the end offsets (None before the start is known)."""
        if not self.end_offsets or not self.positions:
            return None
        pos = dict(self.positions)
        return sum(max(0, end - pos.get(p, end)) for p, end in self.end_offsets)
