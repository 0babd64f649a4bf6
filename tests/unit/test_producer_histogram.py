"""The streaming latency histogram agrees with exact percentiles within its 2% bucket width."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from tui.engine.producer.histogram import LatencyHistogram


def _exact(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(1, math.ceil(q * len(ordered))) - 1]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(min_value=2e-6, max_value=100.0), min_size=1, max_size=400))
def test_percentiles_within_two_percent(values: list[float]) -> None:
    hist = LatencyHistogram()
    for value in values:
        hist.record(value)
    got = hist.percentiles((0.5, 0.9, 0.99))
    for q, pct in zip((0.5, 0.9, 0.99), got, strict=True):
        exact = _exact(values, q)
        assert pct is not None
        assert exact * 0.98 <= pct <= exact * 1.021, (q, exact, pct)
    assert hist.max == max(values)
    assert hist.total == len(values)


def test_empty_histogram() -> None:
    assert LatencyHistogram().percentiles((0.5,)) == (None,)
