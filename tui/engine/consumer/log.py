"""The consumption log: every member's events in one global order (the checker's evidence).

DELIVER and PROCESSED arrive a batch at a time, so they are kept as compact blocks (columns plus
one seq range) and turned into :class:`ConsumerEvent` objects only when someone reads the log; a
reader pays for the events new since the last read, once. Other events are stored as they come.
"""

from __future__ import annotations

import threading
from array import array
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import islice
from operator import lt
from typing import Any

from tui.engine.history import ConsumerEvent, ConsumerEventKind

DEFAULT_CAP = 2_000_000
"""Events kept per run (~330 bytes each once read, so ~650 MB at the cap: about a million records
with DELIVER + PROCESSED each); beyond it events are counted as dropped and the verdict is
incomplete."""


@dataclass(frozen=True, slots=True)
class _Block:
    """Consecutive DELIVER or PROCESSED events of one member incarnation, seqs ``seq ..``."""

    seq: int
    kind: ConsumerEventKind
    stamps: float | Sequence[float]
    """One time for every event of the block, or one per event."""
    member: str
    incarnation: int
    group: str
    strategy: str | None
    topics: Sequence[str]
    partitions: Sequence[int]
    offsets: Sequence[int]
    msg_ids: Sequence[str | None]

    def events(self) -> list[ConsumerEvent]:
        kind, member, inc, group, strategy = (self.kind, self.member, self.incarnation, self.group,
                                              self.strategy)
        n = len(self.offsets)
        stamps = [self.stamps] * n if isinstance(self.stamps, float) else self.stamps
        return [ConsumerEvent(seq, ts, member, inc, group, topic, kind, partition=p, offset=o,
                              msg_id=mid, strategy=strategy)
                for seq, ts, topic, p, o, mid in zip(range(self.seq, self.seq + n), stamps,
                                                     self.topics, self.partitions, self.offsets,
                                                     self.msg_ids, strict=True)]


def rising_run(topics: Sequence[str], partitions: Sequence[int], offsets: Sequence[int]) -> bool:
    """Whether a batch is the usual one: every record from one partition, offsets rising. Columns
    may be lists or arrays; consecutive offsets in an array are recognised without boxing them."""
    n = len(offsets)
    if not n or topics.count(topics[0]) != n:
        return False
    if isinstance(partitions, array):
        raw = partitions.tobytes()
        if raw != raw[:partitions.itemsize] * n:
            return False
    elif partitions.count(partitions[0]) != n:
        return False
    first = offsets[0]
    if offsets[-1] - first == n - 1 and isinstance(offsets, array) \
            and offsets == array(offsets.typecode, range(first, first + n)):
        return True
    return all(map(lt, offsets, islice(offsets, 1, None)))


class ConsumptionLog:
    """Thread-safe, append-only, capped. Also tracks per-group delivery high marks (redelivery)."""

    def __init__(self, cap: int = DEFAULT_CAP) -> None:
        self._lock = threading.Lock()
        self._read_lock = threading.Lock()
        """Serialises readers, so blocks are turned into events once and in order."""
        self._next_seq = 1
        self._pending: list[ConsumerEvent | _Block] = []
        """Appended since the last read, in seq order."""
        self._events: list[ConsumerEvent] = []
        self._cap = cap
        self._count = 0
        self.dropped = 0
        self._delivered_top: dict[tuple[str, str, int], int] = {}
        self.first_assign: dict[str, float] = {}

    def append(self, ts: float, member: str, incarnation: int, group: str, topic: str,
               kind: ConsumerEventKind, **fields: Any) -> ConsumerEvent | None:
        with self._lock:
            if self._count >= self._cap:
                self.dropped += 1
                return None
            event = ConsumerEvent(self._next_seq, ts, member, incarnation, group, topic, kind,
                                  **fields)
            self._next_seq += 1
            self._count += 1
            self._pending.append(event)
            if kind is ConsumerEventKind.ASSIGN:
                self.first_assign.setdefault(group, ts)
            return event

    def append_records(self, kind: ConsumerEventKind, stamps: float | Sequence[float], member: str,
                       incarnation: int, group: str, strategy: str | None, topics: Sequence[str],
                       partitions: Sequence[int], offsets: Sequence[int],
                       msg_ids: Sequence[str | None]) -> int:
        """One DELIVER or PROCESSED event per record (columns of equal length), with consecutive
        seqs; returns how many were kept (the rest are counted as dropped at the cap)."""
        n = len(offsets)
        with self._lock:
            room = max(0, self._cap - self._count)
            if room < n:
                self.dropped += n - room
                n = room
                if isinstance(stamps, float):
                    topics, partitions, offsets, msg_ids = (topics[:n], partitions[:n], offsets[:n],
                                                            msg_ids[:n])
                else:
                    stamps, topics, partitions, offsets, msg_ids = (
                        stamps[:n], topics[:n], partitions[:n], offsets[:n], msg_ids[:n])
            if n:
                self._pending.append(_Block(self._next_seq, kind, stamps, member, incarnation, group,
                                            strategy, topics, partitions, offsets, msg_ids))
                self._next_seq += n
                self._count += n
            return n

    def note_delivery(self, group: str, topic: str, partition: int, offset: int) -> bool:
        """Record a delivery; True when the group was already delivered this offset or a later one."""
        return self.note_deliveries(group, (topic,), (partition,), (offset,))[0]

    def note_deliveries(self, group: str, topics: Sequence[str], partitions: Sequence[int],
                        offsets: Sequence[int], rising: bool | None = None) -> list[bool]:
        """:meth:`note_delivery` for a batch, in order: one flag per record. ``rising``: what
        :func:`rising_run` says of these columns, when the caller knows."""
        top = self._delivered_top
        n = len(offsets)
        if rising is None:
            rising = rising_run(topics, partitions, offsets)
        if rising:
            # the usual batch -- only its first record can be one the group already got
            key = (group, topics[0], partitions[0])
            with self._lock:
                if offsets[0] > top.get(key, -1):
                    top[key] = offsets[-1]
                    return [False] * n
        flags: list[bool] = []
        flag = flags.append
        with self._lock:
            for topic, partition, offset in zip(topics, partitions, offsets, strict=True):
                key = (group, topic, partition)
                if offset > top.get(key, -1):
                    top[key] = offset
                    flag(False)
                else:
                    flag(True)
        return flags

    def events(self) -> tuple[ConsumerEvent, ...]:
        with self._read_lock:
            with self._lock:
                pending, self._pending = self._pending, []
            for item in pending:  # outside the append lock: runners keep appending meanwhile
                if isinstance(item, _Block):
                    self._events.extend(item.events())
                else:
                    self._events.append(item)
            return tuple(self._events)

    def __len__(self) -> int:
        return self._count
