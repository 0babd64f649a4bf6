"""What one refresh reads, so its cost follows what moves rather than the cluster's size.

On a lab-sized cluster everything is read every refresh. On a big one:

* offsets: busy partitions (produced to in the last :data:`HOT_FOR` s), partitions owned by group
  members and partitions never read are read every refresh; idle ones in rotation, each at least
  every :func:`cold_period` seconds (5 s, up to 15 s at 30,000 partitions). Last stable offsets are
  read only where a transaction can move them (busy partitions, or where they differ from the high
  watermark), log starts (which only retention and deletions move) every :data:`LOG_START_PERIOD` s;
* metadata: above :data:`METADATA_PARTITIONS` partitions, every :func:`metadata_period` seconds;
* group offsets: groups with members (or whose commits moved lately) every refresh, the others in
  rotation, at most :data:`COMMITS_PER_REFRESH` of them per refresh.

Data read in rotation is not stale: it is as old as the rotation allows, and its leader answered.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field

from tui.engine.watcher.raw import TP, Metadata, PartitionOffsets

FULL_READ_PARTITIONS = 5000
"""Up to this many watched partitions, all offsets are read every refresh."""
COLD_PERIOD = 5.0
"""Longest an idle partition goes unread on a big cluster, at :data:`FULL_READ_PARTITIONS` (see
:func:`cold_period`)."""
HOT_FOR = 30.0
LOG_START_PERIOD = 30.0
LOG_START_EVERY = 5
"""On a small cluster: refreshes between reads of the log start offsets (only retention and
deletions move them)."""
METADATA_PARTITIONS = 12_000
METADATA_PERIOD = 3.0
"""Seconds between metadata reads at :data:`METADATA_PARTITIONS` (see :func:`metadata_period`)."""


def cold_period(partitions: int) -> float:
    """Seconds within which every idle partition is read: 5 s, growing with the size (~10 s at
    20,000 partitions, 15 s from 30,000) so an idle cluster's cost stops growing with it."""
    return min(15.0, max(COLD_PERIOD, partitions / 2000))


def metadata_period(partitions: int) -> float:
    """Seconds between metadata reads on a big cluster (each costs ~2 ms of CPU per 1,000
    partitions): 3 s at 12,000 partitions, 6 s at 30,000."""
    return max(METADATA_PERIOD, partitions / 5000)
COMMITS_PER_REFRESH = 100
ACTIVE_FOR = 30.0
"""Seconds a group whose commits moved keeps being read every refresh."""


@dataclass(slots=True)
class OffsetReads:
    """Partitions to read from one leader: high watermarks, last stable offsets, log starts."""

    high: list[TP] = field(default_factory=list)
    stable: list[TP] = field(default_factory=list)
    start: list[TP] = field(default_factory=list)


class Scheduler:
    """Remembers rotation positions and which partitions and groups are busy."""

    def __init__(self) -> None:
        self._hot_until: dict[TP, float] = {}
        self._order: list[TP] = []
        self._order_key: tuple[object, ...] | None = None
        self._cursor = 0
        self._metadata_at = float("-inf")
        self._group_cursor = 0
        self._active_until: dict[str, float] = {}
        self._unread: set[TP] = set()
        """Wanted partitions never read, for ``_unread_for`` (key, offsets known)."""
        self._unread_for: tuple[object, ...] | None = None
        self.refreshes = 0

    # ---- metadata --------------------------------------------------------------------------

    def metadata_due(self, md: Metadata | None, now: float, failed: bool) -> bool:
        partitions = sum(len(p) for p in md.topics.values()) if md is not None else 0
        if failed or partitions <= METADATA_PARTITIONS \
                or now - self._metadata_at >= metadata_period(partitions):
            self._metadata_at = now
            return True
        return False

    # ---- offsets ---------------------------------------------------------------------------

    def busy(self, moving: Iterable[TP], now: float) -> None:
        """Partitions whose high watermark moved at their last read."""
        until = now + HOT_FOR
        for tp in moving:
            self._hot_until[tp] = until

    def offsets(self, wanted: Collection[TP], key: tuple[object, ...], md: Metadata,
                offsets: Mapping[TP, PartitionOffsets], owned: Collection[TP], now: float,
                interval: float) -> dict[int, OffsetReads]:
        """Reads per leader for this refresh. ``key`` identifies ``wanted`` (the rotation order is
        rebuilt when it changes); ``owned``: partitions group members own now."""
        self.refreshes += 1
        topics = md.topics
        out: dict[int, OffsetReads] = {}
        if len(wanted) <= FULL_READ_PARTITIONS:
            log_start = self.refreshes % LOG_START_EVERY == 0
            for tp in wanted:
                meta = topics.get(tp[0], {}).get(tp[1])
                if meta is None or meta.leader < 0:
                    continue
                reads = out.get(meta.leader)
                if reads is None:
                    reads = out[meta.leader] = OffsetReads()
                reads.high.append(tp)
                reads.stable.append(tp)
                o = offsets.get(tp)
                if log_start or o is None or o.log_start is None:
                    reads.start.append(tp)
            return out
        if key != self._order_key:
            self._order = sorted(wanted)
            self._order_key = key
            self._cursor %= max(1, len(self._order))
        hot = self._hot_until
        for tp in [tp for tp, until in hot.items() if until < now]:
            del hot[tp]
        n = len(self._order)
        step = min(n, math.ceil(n * interval / cold_period(n)))
        start = self._cursor
        due = set(self._order[start:start + step])
        if start + step > n:
            due.update(self._order[:start + step - n])
        self._cursor = (start + step) % n if n else 0
        wanted_set = wanted if isinstance(wanted, set | frozenset) else set(wanted)
        due.update(tp for tp in hot if tp in wanted_set)
        due.update(tp for tp in owned if tp in wanted_set)
        for tp in due:
            meta = topics.get(tp[0], {}).get(tp[1])
            if meta is None or meta.leader < 0:
                continue
            reads = out.get(meta.leader)
            if reads is None:
                reads = out[meta.leader] = OffsetReads()
            reads.high.append(tp)
            o = offsets.get(tp)
            if o is None or tp in hot or o.last_stable != o.high_watermark:
                reads.stable.append(tp)
            if o is None or o.log_start is None or now - o.log_start_at >= LOG_START_PERIOD:
                reads.start.append(tp)
        for reads in out.values():
            reads.high.sort()
            reads.stable.sort()
            reads.start.sort()
        # never read yet: read now (a new topic shows its offsets at once). Offsets are only ever
        # added between two changes of ``key`` (a vanished topic's are dropped with a metadata
        # change), so while key and count stay, so does this set (30,000 lookups a refresh spared)
        if self._unread_for != (key, len(offsets)):
            self._unread = set(wanted_set.difference(offsets))
            self._unread_for = (key, len(offsets))
        for tp in self._unread.difference(due):
            meta = topics.get(tp[0], {}).get(tp[1])
            if meta is not None and meta.leader >= 0:
                reads = out.setdefault(meta.leader, OffsetReads())
                reads.high.append(tp)
                reads.stable.append(tp)
                reads.start.append(tp)
        return out

    # ---- group offsets -------------------------------------------------------------------

    def commits_moved(self, groups: Iterable[str], now: float) -> None:
        until = now + ACTIVE_FOR
        for gid in groups:
            self._active_until[gid] = until

    def commit_groups(self, groups: list[str], active: Collection[str], now: float) -> list[str]:
        """Groups whose offsets to read this refresh (``groups`` sorted; ``active``: with members)."""
        if len(groups) <= COMMITS_PER_REFRESH:
            return groups
        recent = self._active_until
        for gid in [g for g, until in recent.items() if until < now]:
            del recent[gid]
        busy = [g for g in groups if g in active or g in recent]
        idle = [g for g in groups if g not in active and g not in recent]
        if not idle:
            return busy
        start = self._group_cursor % len(idle)
        take = idle[start:start + COMMITS_PER_REFRESH]
        if len(take) < COMMITS_PER_REFRESH:
            take += idle[:min(start, COMMITS_PER_REFRESH - len(take))]
        self._group_cursor = (start + COMMITS_PER_REFRESH) % len(idle)
        return busy + take
