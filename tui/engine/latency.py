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


@dataclass(frozen=True, slots=True)
class LatencySummary(JsonView):
    """Percentiles of one latency distribution (seconds; None when nothing was measured)."""

    count: int = 0
    p50: float | None = None
    p90: float | None = None
    p99: float | None = None
    p999: float | None = None
    max: float | None = None

    @classmethod
    def of(cls, histogram: LatencyHistogram) -> LatencySummary:
        total = histogram.total
        if not total:
            return cls()
        p50, p90, p99, p999 = histogram.percentiles(QUANTILES)
        return cls(total, p50, p90, p99, p999, histogram.max)
