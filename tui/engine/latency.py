"""Latency distributions as the views carry them: one frozen summary type for every measured path
(send → ack per producer, produce → first delivery per group, ack → delivery), built from the
streaming :class:`~tui.engine.producer.histogram.LatencyHistogram` (no per-record lists).

Times are seconds. Which clock: every process of a run is on one machine, so wall-clock stamps from
different processes compare; a record's produce time is its CreateTime (milliseconds, set by the
producing client), so delivery latencies carry millisecond resolution.
"""

from __future__ import annotations

from dataclasses import dataclass

from tui.engine.jsonview import JsonView
from tui.engine.producer.histogram import LatencyHistogram

QUANTILES = (0.5, 0.9, 0.99, 0.999)
CDF_QUANTILES = (0.01, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.98, 0.99, 0.995,
                 0.999, 1.0)
"""Where a summary samples its distribution when asked for a CDF (dense in the tail, where settings
differ)."""


@dataclass(frozen=True, slots=True)
class LatencySummary(JsonView):
    """Percentiles of one latency distribution (seconds; None when nothing was measured)."""

    count: int = 0
    p50: float | None = None
    p90: float | None = None
    p99: float | None = None
    p999: float | None = None
    max: float | None = None
    cdf: tuple[tuple[float, float], ...] = ()
    """(latency, share of records at or below it) at :data:`CDF_QUANTILES`, when asked for: enough to
    draw the distribution and overlay two of them."""

    @classmethod
    def of(cls, histogram: LatencyHistogram, cdf: bool = False) -> LatencySummary:
        total = histogram.total
        if not total:
            return cls()
        p50, p90, p99, p999 = histogram.percentiles(QUANTILES)
        points: tuple[tuple[float, float], ...] = ()
        if cdf:
            values = histogram.percentiles(CDF_QUANTILES)
            points = tuple((v, q) for v, q in zip(values, CDF_QUANTILES, strict=True) if v is not None)
        return cls(total, p50, p90, p99, p999, histogram.max, points)
