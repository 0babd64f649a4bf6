"""A streaming latency histogram: log-scale buckets from float32 bit patterns, O(1) record.

A positive float32's bit pattern grows with its value, and its top 16 bits (sign, exponent and the
first ``MANTISSA_BITS`` of mantissa) name a log-scale bucket: 128 buckets per power of two, so a
bucket is at most 0.8% wide. The producer ledger reads those halves straight from its float32 latency
column (a memoryview cast) and counts them in C (``Counter``), so a million deliveries never need
sorting nor a Python loop. A percentile is reported as its bucket's upper bound, capped at the exact
maximum.
"""

from __future__ import annotations

import math
import struct
from collections import Counter
from collections.abc import Iterable
from itertools import repeat
from operator import rshift

MANTISSA_BITS = 7
SHIFT = 23 - MANTISSA_BITS
"""16: a bucket key is a float32's high half."""
_NEGATIVE = 1 << (31 - SHIFT)
"""Keys from this one up carry the sign bit (negative latencies: no measurement)."""
_F32 = struct.Struct("<f")
_I32 = struct.Struct("<i")


def float_bits(value: float) -> int:
    return int(_I32.unpack(_F32.pack(value))[0])


def bits_float(bits: int) -> float:
    return float(_F32.unpack(_I32.pack(bits))[0])


class LatencyHistogram:
    __slots__ = ("counts", "max")

    def __init__(self) -> None:
        self.counts: Counter[int] = Counter()
        """Bucket key (float32 bits >> SHIFT) -> count."""
        self.max = 0.0

    def record(self, seconds: float) -> None:
        if seconds < 0.0:
            return
        if seconds > self.max:
            self.max = seconds
        self.counts[float_bits(seconds) >> SHIFT] += 1

    def record_bits(self, bits: Iterable[int]) -> None:
        """Add many latencies given as float32 bit patterns (negative ones are skipped)."""
        values = bits if isinstance(bits, list) else list(bits)
        if not values:
            return
        top = max(values)
        if top >= 0 and bits_float(top) > self.max:
            self.max = bits_float(top)
        counted = Counter(map(rshift, values, repeat(SHIFT)))
        for key in [k for k in counted if k < 0]:
            del counted[key]
        self.counts.update(counted)

    def record_keys(self, keys: list[int], top: float) -> None:
        """Add many latencies given as bucket keys (float32 bits >> SHIFT, unsigned: keys of
        negative values are skipped); ``top`` is their largest value."""
        if not keys:
            return
        if top > self.max:
            self.max = top
        counted = Counter(keys)
        for key in [k for k in counted if k >= _NEGATIVE]:
            del counted[key]
        self.counts.update(counted)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def percentiles(self, quantiles: tuple[float, ...]) -> tuple[float | None, ...]:
        """Latency (s) at each quantile (0..1), or None when nothing was recorded."""
        items = sorted(dict(self.counts).items())  # a copy; the runner thread keeps recording
        total = sum(n for _, n in items)
        if total == 0:
            return tuple(None for _ in quantiles)
        targets = sorted((max(1, math.ceil(q * total)), i) for i, q in enumerate(quantiles))
        out: list[float | None] = [None] * len(quantiles)
        seen = 0
        t = 0
        for key, count in items:
            seen += count
            while t < len(targets) and seen >= targets[t][0]:
                out[targets[t][1]] = min(bits_float((key + 1) << SHIFT), self.max)
                t += 1
            if t == len(targets):
                break
        return tuple(self.max if v is None else v for v in out)
