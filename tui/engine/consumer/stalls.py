"""Progress per group partition, and the stall detector that reads it (``stuck`` evidence).

The member runners feed what their members report: the group's committed offset (commit results, and
the committed offset at assignment), the high watermark, the highest offset processed so far, and
how many records the error policy skipped or dead-lettered. Progress is the triple (committed,
highest processed, policy moves); records processed again after a rewind do not move it.

:meth:`StallDetector.sample` runs about once a second (GroupMembers' ticker). A partition stalls when
its group has a live or automatically restarting member, its lag (high watermark minus the committed
offset, or minus the next offset to process when nothing is committed) is above zero, and progress has
not moved for ``threshold`` seconds; the episode starts when progress last moved and lasts until it
moves again (or the lag is gone, or the group has no member left). Each episode is announced once, as
it becomes a stall and as it ends.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

from tui.engine.history import Stall

DEFAULT_THRESHOLD = 10.0
"""Seconds without progress (with lag) after which a partition counts as stuck."""
Key = tuple[str, str, int]
"""(group, topic, partition)"""
Announce = Callable[[str, Stall], None]
"""Called with ``stuck`` or ``unstuck`` and the episode, once each per episode."""


@dataclass
class _Part:
    committed: int | None = None
    high: int | None = None
    processed: int = -1
    moves: int = 0
    seen: tuple[int | None, int, int] | None = None
    """Progress at the last sample."""
    moved_at: float | None = None
    """When progress last moved (or sampling of this partition restarted)."""
    open: Stall | None = None
    """The ongoing episode, once it passed the threshold."""

    @property
    def progress(self) -> tuple[int | None, int, int]:
        return self.committed, self.processed, self.moves

    @property
    def lag(self) -> int:
        if self.high is None:
            return 0
        done = self.committed if self.committed is not None else self.processed + 1
        return max(0, self.high - max(done, 0))


class StallDetector:
    """Thread-safe: fed by the member runners, sampled by one ticker thread."""

    def __init__(self, threshold: float = DEFAULT_THRESHOLD) -> None:
        self.threshold = threshold
        self._lock = threading.Lock()
        self._parts: dict[Key, _Part] = {}
        self._closed: list[Stall] = []

    # ---- what the runners report ---------------------------------------------------------------

    def _part(self, key: Key) -> _Part:
        part = self._parts.get(key)
        if part is None:
            part = self._parts[key] = _Part()
        return part

    def committed(self, group: str, topic: str, partition: int, offset: int) -> None:
        with self._lock:
            self._part((group, topic, partition)).committed = offset

    def high(self, group: str, topic: str, partition: int, high: int) -> None:
        with self._lock:
            part = self._part((group, topic, partition))
            part.high = high if part.high is None else max(part.high, high)

    def processed(self, group: str, topic: str, partition: int, offset: int) -> None:
        """The highest offset of a run of processed records."""
        with self._lock:
            part = self._part((group, topic, partition))
            if offset > part.processed:
                part.processed = offset

    def moved_on(self, group: str, topic: str, partition: int) -> None:
        """The error policy skipped or dead-lettered a record."""
        with self._lock:
            self._part((group, topic, partition)).moves += 1

    # ---- sampling ------------------------------------------------------------------------------

    def sample(self, now: float, live_groups: Iterable[str], announce: Announce | None = None) -> None:
        live = set(live_groups)
        said: list[tuple[str, Stall]] = []
        with self._lock:
            for key, part in self._parts.items():
                progress, lag = part.progress, part.lag
                moved = progress != part.seen
                part.seen = progress
                if key[0] not in live or moved or lag <= 0 or part.moved_at is None:
                    if part.open is not None:
                        ended = replace(part.open, until=now if moved else part.open.until,
                                        ongoing=False)
                        self._closed.append(ended)
                        said.append(("unstuck", ended))
                        part.open = None
                    part.moved_at = now
                    continue
                if now - part.moved_at < self.threshold:
                    continue
                committed = part.committed if part.committed is not None else -1
                if part.open is None:
                    part.open = Stall(key[0], key[1], key[2], committed, since=part.moved_at,
                                      until=now, ongoing=True, lag=lag)
                    said.append(("stuck", part.open))
                else:
                    part.open = replace(part.open, until=now, lag=lag, offset=committed)
        if announce is not None:
            for what, stall in said:
                announce(what, stall)

    def stalls(self) -> tuple[Stall, ...]:
        """Every episode so far, the ongoing ones included (``ongoing`` True, ``until`` the last
        sample), in start order."""
        with self._lock:
            out = [*self._closed, *(p.open for p in self._parts.values() if p.open is not None)]
        return tuple(sorted(out, key=lambda s: (s.since, s.group, s.topic, s.partition)))

    def stuck(self) -> dict[Key, Stall]:
        """The partitions stuck right now."""
        with self._lock:
            return {key: p.open for key, p in self._parts.items() if p.open is not None}
