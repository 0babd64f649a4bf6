"""A streaming latency histogram: fixed log-scale buckets, O(1) record, O(buckets) percentiles.

Buckets grow by 2% from 1 µs to about 1000 s (~1050 buckets), so a percentile is within 2% of the
exact value, and a million deliveries never need sorting.
"""

from __future__ import annotations

import math

_GROWTH = 1.02
_SCALE = 1.0 / math.log(_GROWTH)
_MIN_S = 1e-6
_BUCKETS = int(math.log(1e3 / _MIN_S) * _SCALE) + 2


class LatencyHistogram:
    __slots__ = ("counts", "total", "max", "sum")

    def __init__(self) -> None:
        self.counts = [0] * _BUCKETS
        self.total = 0
        self.max = 0.0
        self.sum = 0.0

    def record(self, seconds: float) -> None:
        if seconds > self.max:
            self.max = seconds
        self.sum += seconds
        self.total += 1
        if seconds <= _MIN_S:
            self.counts[0] += 1
            return
        index = int(math.log(seconds / _MIN_S) * _SCALE) + 1
        self.counts[index if index < _BUCKETS else _BUCKETS - 1] += 1

    def percentiles(self, quantiles: tuple[float, ...]) -> tuple[float | None, ...]:
        """Latency (s) at each quantile (0..1), or None when nothing was recorded.

        Reports a bucket's upper bound, capped at the observed maximum.
        """
        total = self.total
        if total == 0:
            return tuple(None for _ in quantiles)
        counts = list(self.counts)  # a consistent copy; the runner thread keeps recording
        targets = sorted((max(1, math.ceil(q * total)), i) for i, q in enumerate(quantiles))
        out: list[float | None] = [None] * len(quantiles)
        seen = 0
        t = 0
        for index, count in enumerate(counts):
            seen += count
            while t < len(targets) and seen >= targets[t][0]:
                upper = _MIN_S * _GROWTH ** index
                out[targets[t][1]] = min(upper, self.max)
                t += 1
            if t == len(targets):
                break
        for i in range(len(out)):
            if out[i] is None:
                out[i] = self.max
        return tuple(out)

    @property
    def mean(self) -> float | None:
        return self.sum / self.total if self.total else None
