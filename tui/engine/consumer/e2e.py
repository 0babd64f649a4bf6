"""End-to-end latency of group members: a record's timestamp (CreateTime, set by the producing client)
to its first delivery to the group, kept as streaming histograms (per member, per group).

A member sends each batch's timestamps as one packed column -- of every record in a small batch, of
every :func:`stride`-th one in a large batch (at most :data:`SAMPLES` per batch, each standing for the
records up to the next: reading a timestamp costs as much as a tenth of consuming the record); the
parent subtracts them from the batch's receipt time and counts the distinct millisecond values, so a
batch costs a handful of bucket updates, not one per record. Redeliveries are left out: their latency
would measure the crash, not the pipeline. Records without a timestamp (-1) or with one from the
future are skipped.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Sequence
from itertools import compress, repeat
from operator import not_, sub

from tui.engine.latency import LatencySummary
from tui.engine.producer.histogram import SHIFT, LatencyHistogram, float_bits

MAX_MS = 7 * 24 * 3600 * 1000
"""Latencies above a week are not measurements (a missing or bogus timestamp)."""
SAMPLES = 64
"""Timestamps a member reads per batch, at most."""


def stride(n: int) -> int:
    """Every how many records of a batch of ``n`` a member reads a timestamp."""
    return max(1, -(-n // SAMPLES))


def latency_counts(receipt: float, create_ms: Sequence[int], again: Sequence[bool] | None,
                   step: int = 1, n: int | None = None) -> Counter[int]:
    """Milliseconds from each record's timestamp to ``receipt`` (epoch seconds) -> how many records,
    first deliveries only (``again`` flags the redelivered ones, one per record). With ``step`` > 1,
    ``create_ms`` holds every ``step``-th record's timestamp of a batch of ``n``, each standing for
    itself and the records after it up to the next sample."""
    now_ms = int(receipt * 1000.0)
    if step == 1:
        stamps = create_ms if again is None or True not in again else list(
            compress(create_ms, map(not_, again)))
        counts = Counter(map(sub, repeat(now_ms), stamps))
    elif again is None or True not in again:  # the usual batch, no redelivery: counted in C
        total = len(create_ms) * step if n is None else n
        counts = Counter(map(sub, repeat(now_ms), create_ms))
        for ms in counts:
            counts[ms] *= step
        if create_ms:  # the last sample stands for the records left after it, maybe fewer
            counts[now_ms - create_ms[-1]] -= step - (total - (len(create_ms) - 1) * step)
    else:
        total = len(create_ms) * step if n is None else n
        counts = Counter()
        for i, stamp in enumerate(create_ms):
            if again[i * step]:
                continue
            counts[now_ms - stamp] += min(step, total - i * step)
    # a missing timestamp (-1 or 0) gives a latency of at least now_ms: left out with the bogus ones
    return Counter({ms: k for ms, k in counts.items() if 0 <= ms <= MAX_MS and ms < now_ms and k > 0})


def record(histogram: LatencyHistogram, counts: Counter[int]) -> None:
    """Add ``latency_counts`` to a histogram (one bucket update per distinct value)."""
    if not counts:
        return
    top = max(counts) / 1000.0
    buckets: Counter[int] = Counter()
    for ms, n in counts.items():  # distinct values only; neighbours may share a bucket
        buckets[float_bits(ms / 1000.0) >> SHIFT] += n
    histogram.counts.update(buckets)
    if top > histogram.max:
        histogram.max = top


class GroupLatency:
    """One histogram per group, written by every member runner of the group."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._groups: dict[str, LatencyHistogram] = {}

    def add(self, group: str, counts: Counter[int]) -> None:
        if not counts:
            return
        with self._lock:
            hist = self._groups.get(group)
            if hist is None:
                hist = self._groups[group] = LatencyHistogram()
            record(hist, counts)

    def summaries(self) -> dict[str, LatencySummary]:
        with self._lock:
            return {group: LatencySummary.of(hist) for group, hist in sorted(self._groups.items())}
