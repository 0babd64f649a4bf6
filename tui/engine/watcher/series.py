"""Bounded ring buffers of numbers per key, for sparklines (lag, high watermark, rates).

Memory is bounded twice: each buffer holds at most ``length`` points and a family holds at most
``max_keys`` buffers (keys beyond it are not recorded). Keys that disappear are pruned.

Freezing is incremental: a key's tuple is rebuilt only when a point was added since the last
freeze, so a snapshot costs a dict copy plus the keys that moved (30,000 partitions, few busy).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Hashable, Iterable, Mapping
from types import MappingProxyType
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)

DEFAULT_LENGTH = 60
DEFAULT_MAX_KEYS = 20_000


class SeriesFamily(Generic[K]):
    """Ring buffers keyed by ``K``. Owned by one thread (the watcher's); not thread-safe."""

    def __init__(self, length: int = DEFAULT_LENGTH, max_keys: int = DEFAULT_MAX_KEYS) -> None:
        if length < 1 or max_keys < 0:
            raise ValueError("A series needs room for at least one point.")
        self.length = length
        self.max_keys = max_keys
        self._buffers: dict[K, deque[float]] = {}
        self._frozen: dict[K, tuple[float, ...]] = {}
        self._dirty: set[K] = set()
        self._removed = False
        self._last_freeze: Mapping[K, tuple[float, ...]] = MappingProxyType({})

    def __len__(self) -> int:
        return len(self._buffers)

    def __contains__(self, key: object) -> bool:
        return key in self._buffers

    def add(self, key: K, value: float) -> None:
        buf = self._buffers.get(key)
        if buf is None:
            if len(self._buffers) >= self.max_keys:
                return  # capped: a huge cluster must not grow memory without bound
            buf = self._buffers[key] = deque(maxlen=self.length)
        buf.append(value)
        self._dirty.add(key)

    def last(self, key: K) -> float | None:
        buf = self._buffers.get(key)
        return buf[-1] if buf else None

    def values(self, key: K) -> tuple[float, ...]:
        buf = self._buffers.get(key)
        return tuple(buf) if buf else ()

    def flat(self, key: K) -> bool:
        """A full buffer whose points are all equal (nothing to draw)."""
        buf = self._buffers.get(key)
        return buf is not None and len(buf) == self.length and min(buf) == max(buf)

    def discard(self, key: K) -> None:
        if self._buffers.pop(key, None) is not None:
            self._frozen.pop(key, None)
            self._dirty.discard(key)
            self._removed = True

    def prune(self, keep: Iterable[K]) -> None:
        """Forget every key not in ``keep`` (partitions deleted, groups gone)."""
        wanted = keep if isinstance(keep, set | frozenset) else set(keep)
        for key in [k for k in self._buffers if k not in wanted]:
            self.discard(key)

    def freeze(self) -> Mapping[K, tuple[float, ...]]:
        """An immutable copy for a snapshot (the previous one again when nothing changed)."""
        if not self._dirty and not self._removed:
            return self._last_freeze
        for key in self._dirty:
            buf = self._buffers.get(key)
            if buf is not None:
                self._frozen[key] = tuple(buf)
        self._dirty.clear()
        self._removed = False
        self._last_freeze = MappingProxyType(dict(self._frozen))
        return self._last_freeze


class RateTracker(Generic[K]):
    """Per-key rate of a growing counter (offsets): (value - previous) / (t - previous t).

    A counter that moves backwards (topic recreated, offsets reset) restarts the rate instead of
    reporting a negative one.
    """

    def __init__(self) -> None:
        self._last: dict[K, tuple[float, int]] = {}
        self._rate: dict[K, float] = {}

    def update(self, key: K, t: float, value: int) -> float | None:
        prev = self._last.get(key)
        self._last[key] = (t, value)
        if prev is None:
            return self._rate.get(key)
        dt = t - prev[0]
        if dt <= 0:
            return self._rate.get(key)
        delta = value - prev[1]
        if delta < 0:
            self._rate.pop(key, None)
            return None
        rate = delta / dt
        self._rate[key] = rate
        return rate

    def rate(self, key: K) -> float | None:
        return self._rate.get(key)

    def prune(self, keep: Iterable[K]) -> None:
        wanted = keep if isinstance(keep, set | frozenset) else set(keep)
        for store in (self._last, self._rate):
            for key in [k for k in store if k not in wanted]:
                del store[key]
