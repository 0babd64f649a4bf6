"""Burrow-style status of each group partition from the history of its committed offset and lag.

Evaluated at each fresh read of a group's commits (pure: times are passed in):

* ``ok`` — caught up (lag 0) at some read of the window, or consuming and not falling behind;
* ``lagging`` — the committed offset moves, but the lag was above zero at every read of a full window
  and is higher now than at its start;
* ``stalled`` — lag above zero and the committed offset unchanged for :data:`STALL_AFTER` seconds over
  at least :data:`STALL_READS` reads: a stopped consumer, a stuck one, or a crash loop on a poison
  record;
* ``unknown`` — the lag is unknown.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field

STALL_AFTER = 10.0
"""Seconds the committed offset must stay put, with lag, before the partition counts as stalled."""
STALL_READS = 3
"""Fresh reads of the unchanged offset needed as well (a group read rarely is not judged on one)."""
WINDOW = 10.0
"""Seconds of reads over which lag growth is judged."""


@dataclass(slots=True)
class _Track:
    committed: int | None
    moved_at: float
    """Read time at which the committed offset took its current value (or was first seen)."""
    reads: int = 0
    """Fresh reads since then."""
    last_read: float = float("-inf")
    samples: deque[tuple[float, int]] = field(default_factory=deque)
    """(read time, lag) of the reads in the window."""
    status: str = "unknown"
    since: float | None = None


class LagStatusTracker:
    """Status per key (group, topic, partition)."""

    def __init__(self) -> None:
        self._tracks: dict[Hashable, _Track] = {}

    def __len__(self) -> int:
        return len(self._tracks)

    def status(self, key: Hashable) -> tuple[str, float | None]:
        track = self._tracks.get(key)
        return ("unknown", None) if track is None else (track.status, track.since)

    def observe(self, key: Hashable, committed: int | None, lag: int | None,
                read_at: float) -> tuple[str, float | None]:
        """Feed the values of the read made at ``read_at`` (the same read again changes nothing);
        returns (status, wall time it began)."""
        track = self._tracks.get(key)
        if track is None:
            track = self._tracks[key] = _Track(committed, read_at)
        if read_at <= track.last_read:
            return track.status, track.since
        track.last_read = read_at
        if committed != track.committed:
            track.committed = committed
            track.moved_at = read_at
            track.reads = 0
        track.reads += 1
        samples = track.samples
        if lag is not None:
            samples.append((read_at, lag))
        while samples and samples[0][0] < read_at - WINDOW:
            samples.popleft()
        status = _judge(track, lag, read_at)
        if status != track.status:
            track.status = status
            track.since = read_at
        return track.status, track.since

    def prune(self, keep: Iterable[Hashable]) -> None:
        wanted = keep if isinstance(keep, set | frozenset) else set(keep)
        for key in [k for k in self._tracks if k not in wanted]:
            del self._tracks[key]


def _judge(track: _Track, lag: int | None, now: float) -> str:
    if lag is None:
        return "unknown"
    if lag == 0:
        return "ok"
    if now - track.moved_at >= STALL_AFTER and track.reads >= STALL_READS:
        return "stalled"
    samples = track.samples
    full = len(samples) >= 3 and samples[-1][0] - samples[0][0] >= WINDOW * 0.8
    if full and all(s[1] > 0 for s in samples) and samples[-1][1] > samples[0][1]:
        return "lagging"
    return "ok"
