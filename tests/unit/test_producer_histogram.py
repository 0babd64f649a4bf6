"""The streaming latency histogram agrees with exact percentiles within its 1.6% bucket width."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from tui.engine.producer.histogram import LatencyHistogram, float_bits


def _exact(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(1, math.ceil(q * len(ordered))) - 1]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(min_value=2e-6, max_value=100.0), min_size=1, max_size=400))
def test_percentiles_within_one_bucket(values: list[float]) -> None:
    hist = LatencyHistogram()
    for value in values:
        hist.record(value)
    got = hist.percentiles((0.5, 0.9, 0.99))
    for q, pct in zip((0.5, 0.9, 0.99), got, strict=True):
        exact = _exact(values, q)
        assert pct is not None
        assert exact * 0.999 <= pct <= exact * 1.0157, (q, exact, pct)
    assert hist.max == max(values)
    bulk = LatencyHistogram()
    bulk.record_bits([float_bits(v) for v in values] + [float_bits(-1.0)])
    assert bulk.counts == hist.counts
    assert hist.total == len(values)


def test_empty_histogram() -> None:
    assert LatencyHistogram().percentiles((0.5,)) == (None,)


def test_bucket_keys_from_float32_halves_match_single_records() -> None:
    import struct

    values = [0.0004, 0.002, 0.002, 0.0031, 1.5, -1.0]
    raw = struct.pack(f"<{len(values)}f", *values)
    halves = list(struct.unpack(f"<{2 * len(values)}H", raw))[1::2]
    bulk = LatencyHistogram()
    bulk.record_keys(halves, max(values))
    one = LatencyHistogram()
    for value in values:
        one.record(value)
    assert bulk.counts == one.counts
    assert bulk.total == 5  # the negative one is no measurement
    assert abs(bulk.max - 1.5) < 1e-9
