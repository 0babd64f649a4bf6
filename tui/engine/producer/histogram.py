"""A streaming latency histogram: fixed log-scale buckets, O(1) record, O(buckets) percentiles.

Buckets grow by 2% from 1 µs to about 1000 s (~1050 buckets), so a percentile is within 2% of the
exact value, and a million deliveries never need sorting. The producer ledger's delivery callback
updates ``counts`` and ``max`` inline with the same arithmetic as :meth:`record`.
"""

from __future__ import annotations

import math

GROWTH = 1.02
SCALE = 1.0 / math.log(GROWTH)
MIN_S = 1e-6
BUCKETS = int(math.log(1e3 / MIN_S) * SCALE) + 2


class LatencyHistogram:
    __slots__ = ("counts", "max")

    def __init__(self) -> None:
        self.counts = [0] * BUCKETS
        self.max = 0.0

    def record(self, seconds: float) -> None:
        if seconds > self.max:
            self.max = seconds
        index = int(math.log(seconds / MIN_S) * SCALE) + 1 if seconds > MIN_S else 0
        self.counts[index if index < BUCKETS - 1 else BUCKETS - 1] += 1

    @property
    def total(self) -> int:
        return sum(self.counts)

    def percentiles(self, quantiles: tuple[float, ...]) -> tuple[float | None, ...]:
        """Latency (s) at each quantile (0..1), or None when nothing was recorded.

        Reports a bucket's upper bound, capped at the observed maximum.
        """
        counts = list(self.counts)  # a consistent copy; the runner thread keeps recording
        total = sum(counts)
        if total == 0:
            return tuple(None for _ in quantiles)
        targets = sorted((max(1, math.ceil(q * total)), i) for i, q in enumerate(quantiles))
        out: list[float | None] = [None] * len(quantiles)
        seen = 0
        t = 0
        for index, count in enumerate(counts):
            seen += count
            while t < len(targets) and seen >= targets[t][0]:
                out[targets[t][1]] = min(MIN_S * GROWTH ** index, self.max)
                t += 1
            if t == len(targets):
                break
        return tuple(self.max if v is None else v for v in out)
