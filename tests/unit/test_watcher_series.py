"""Ring buffers and rate trackers for the watcher's sparklines."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tui.engine.watcher.series import RateTracker, SeriesFamily


def test_ring_buffer_keeps_the_newest_points() -> None:
    fam: SeriesFamily[str] = SeriesFamily(length=3)
    for v in range(5):
        fam.add("a", v)
    assert fam.values("a") == (2, 3, 4)
    assert fam.last("a") == 4
    assert fam.values("missing") == ()


def test_key_cap_and_prune() -> None:
    fam: SeriesFamily[int] = SeriesFamily(length=2, max_keys=2)
    for key in range(4):
        fam.add(key, 1.0)
    assert len(fam) == 2
    assert fam.values(3) == ()
    fam.prune([1])
    assert set(fam.freeze()) == {1}


def test_freeze_is_an_immutable_copy() -> None:
    fam: SeriesFamily[str] = SeriesFamily(length=4)
    fam.add("a", 1)
    frozen = fam.freeze()
    fam.add("a", 2)
    assert frozen["a"] == (1,)
    with pytest.raises(TypeError):
        frozen["b"] = (1.0,)  # type: ignore[index]


def test_bad_length_is_rejected() -> None:
    with pytest.raises(ValueError):
        SeriesFamily(length=0)


def test_rate_from_counter_and_reset() -> None:
    rt: RateTracker[str] = RateTracker()
    assert rt.update("p", 10.0, 100) is None
    assert rt.update("p", 12.0, 300) == pytest.approx(100.0)
    assert rt.update("p", 12.0, 400) == pytest.approx(100.0)  # same timestamp: keep the last rate
    assert rt.update("p", 13.0, 50) is None  # went backwards: topic recreated
    assert rt.update("p", 14.0, 60) == pytest.approx(10.0)
    rt.prune([])
    assert rt.rate("p") is None


@given(st.lists(st.floats(allow_nan=False, allow_infinity=False), max_size=200),
       st.integers(min_value=1, max_value=50))
def test_buffer_never_exceeds_its_length(points: list[float], length: int) -> None:
    fam: SeriesFamily[str] = SeriesFamily(length=length)
    for v in points:
        fam.add("k", v)
    assert fam.values("k") == tuple(points[-length:])
