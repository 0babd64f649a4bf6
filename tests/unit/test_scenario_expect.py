"""Expectation comparisons and measuring subjects from a verdict and run metrics."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tui.scenario.driver import RunMetrics, VerdictFacts
from tui.scenario.expect import parse_comparison
from tui.scenario.model import Expectation
from tui.scenario.runner import evaluate, measure


@pytest.mark.parametrize(("raw", "actual", "holds"), [
    (0, 0, True), (0, 1, False), ("0", 0, True), (">0", 1, True), (">0", 0, False),
    ("==7", 7, True), ("==7", 6, False), ("= 7", 7, True), (">= 3", 3, True), ("<=1", 2, False),
    ("!=0", 3, True), ("<2", 1, True), ("2..5", 5, True), ("2..5", 6, False), ("0.5..1", 0.7, True),
    ("any", 12345, True), (" > 0.6 ", 0.61, True), (3, 3.0, True),
])
def test_comparisons(raw: object, actual: float, holds: bool) -> None:
    assert parse_comparison(raw).holds(actual) is holds


@pytest.mark.parametrize("raw", [True, None, [1], ">>0", "lots", "5..2", "", float("inf"), "=>1"])
def test_bad_comparisons_are_value_errors(raw: object) -> None:
    with pytest.raises(ValueError):
        parse_comparison(raw)


@given(st.text(max_size=30))
def test_comparison_parser_is_total(text: str) -> None:
    try:
        cmp = parse_comparison(text)
    except ValueError:
        return
    assert cmp.op in ("==", "!=", ">", ">=", "<", "<=", "..")
    assert isinstance(cmp.holds(0.0), bool)


def test_measure_every_subject() -> None:
    verdict = VerdictFacts(counts={"lost": 4, "skipped": 7})
    metrics = RunMetrics(produced=100, acked=90, failed_definite=6, failed_indefinite=4,
                         errors={"NOT_ENOUGH_REPLICAS": 6},
                         partition_counts={"t": {0: 75, 1: 25}, "u": {0: 5, 1: 5}},
                         revoked_partitions={"g1": 3, "g2": 1})
    assert measure("lost", verdict, metrics) == 4
    assert measure("redelivered", verdict, metrics) == 0
    assert measure("errors.NOT_ENOUGH_REPLICAS", verdict, metrics) == 6
    assert measure("errors._MSG_TIMED_OUT", verdict, metrics) == 0
    assert measure("acked", verdict, metrics) == 90
    assert measure("failed-definite", verdict, metrics) == 6
    assert measure("revoked-partitions", verdict, metrics) == 4
    assert math.isclose(measure("max-partition-share", verdict, metrics), 0.75)
    res = evaluate(Expectation("skipped", parse_comparison("==7")), verdict, metrics)
    assert res.ok
    assert res.actual == 7
    assert res.expected == "== 7"
    res = evaluate(Expectation("lost", parse_comparison(0)), verdict, metrics)
    assert not res.ok
