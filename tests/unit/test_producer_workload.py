"""Key modes and workload checks."""

from __future__ import annotations

import random
from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tui.engine.producer.workload import (
    HOT_KEY,
    NO_KEY,
    Workload,
    WorkloadError,
    parse_header,
    parse_key_mode,
)


def test_none_and_fixed() -> None:
    rng = random.Random(1)
    assert parse_key_mode("none").key_function(rng)(3) == (NO_KEY, None)
    fixed = parse_key_mode("fixed:user-7")
    assert fixed.key_function(rng)(99)[1] == b"user-7"
    assert str(fixed) == "fixed:user-7"


def test_cycle_gives_n_distinct_keys_in_turn() -> None:
    mode = parse_key_mode("cycle:4")
    pick = mode.key_function(random.Random(1))
    keys = [pick(seq)[1] for seq in range(8)]
    assert keys == [b"key-0", b"key-1", b"key-2", b"key-3"] * 2
    number, key = pick(6)
    assert mode.key_bytes(number) == key


def test_random_keys_round_trip_through_key_numbers() -> None:
    mode = parse_key_mode("random")
    pick = mode.key_function(random.Random(2))
    seen = {pick(seq) for seq in range(200)}
    assert len(seen) == 200
    for number, key in seen:
        assert mode.key_bytes(number) == key
        assert len(key or b"") == 16


def test_hot_key_share_is_close_to_p() -> None:
    mode = parse_key_mode("hot:80")
    pick = mode.key_function(random.Random(3))
    counts = Counter(pick(seq)[0] == HOT_KEY for seq in range(10_000))
    assert 0.77 < counts[True] / 10_000 < 0.83
    assert mode.key_bytes(HOT_KEY) == b"hot"


@pytest.mark.parametrize("text", ["cycle:0", "cycle:x", "hot:101", "hot:", "fixed:", "zipf", "none:1"])
def test_bad_key_modes(text: str) -> None:
    with pytest.raises(WorkloadError):
        parse_key_mode(text)


@given(st.integers(min_value=1, max_value=10**6), st.integers(min_value=0, max_value=10**9))
def test_cycle_key_numbers_stay_in_range(n: int, seq: int) -> None:
    mode = parse_key_mode(f"cycle:{n}")
    number, key = mode.key_function(random.Random(0))(seq)
    assert 0 <= number < n
    assert key == b"key-%d" % number


@pytest.mark.parametrize(("kwargs", "pattern"), [
    ({"topic": ""}, "topic name"),
    ({"count": -1}, "count"),
    ({"rate": 0}, "rate"),
    ({"value_size": 2_000_000}, "value size"),
    ({"headers": (("kx-id", b"x"),)}, "reserved"),
])
def test_bad_workloads(kwargs: dict[str, object], pattern: str) -> None:
    with pytest.raises(WorkloadError, match=pattern):
        Workload(**{"topic": "t", **kwargs}).validate()  # type: ignore[arg-type]


def test_header_parsing() -> None:
    assert parse_header("a=b=c") == ("a", b"b=c")
    with pytest.raises(WorkloadError):
        parse_header("novalue")
