"""Bounded ring buffers of numbers per key, for sparklines (lag, high watermark, rates).

Memory is bounded twice: each buffer holds at most ``length`` points and a family holds at most
``max_keys`` buffers (keys beyond it are not recorded). Keys that disappear are pruned.
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

    def __len__(self) -> int:
        return len(self._buffers)

    def add(self, key: K, value: float) -> None:
        buf = self._buffers.get(key)
        if buf is None:
            if len(self._buffers) >= self.max_keys:
                return  # capped: a huge cluster must not grow memory without bound
            buf = self._buffers[key] = deque(maxlen=self.length)
        buf.append(value)

    def last(self, key: K) -> float | None:
        buf = self._buffers.get(key)
        return buf[-1] if buf else None

    def values(self, key: K) -> tuple[float, ...]:
        buf = self._buffers.get(key)
        return tuple(buf) if buf else ()

    def prune(self, keep: Iterable[K]) -> None:
        """Forget every key not in ``keep`` (partitions deleted, groups gone)."""
        wanted = set(keep)
        for key in [k for k in self._buffers if k not in wanted]:
            del self._buffers[key]

    def freeze(self) -> Mapping[K, tuple[float, ...]]:
        """An immutable copy for a snapshot."""
        return MappingProxyType({k: tuple(v) for k, v in self._buffers.items()})


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
        wanted = set(keep)
        for store in (self._last, self._rate):
            for key in [k for k in store if k not in wanted]:
                del store[key]
