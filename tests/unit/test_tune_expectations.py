"""The expectation language's comparisons: two numbers of one run as a ratio or a difference,
measured figures by logical name, marks taken mid-run, and one-sentence refusals in the loader."""

from __future__ import annotations

import pytest

from tui.scenario.driver import RunMetrics, VerdictFacts
from tui.scenario.expect import parse_measured
from tui.scenario.load import ScenarioError, loads
from tui.scenario.model import Comparison, Expectation
from tui.scenario.runner import evaluate

BASE = """
title: t
goal: g
topics: [{name: t1}]
steps:
  - produce: {name: a, topic: t1, count: 10}
  - produce: {name: b, topic: t1, count: 10, value-content: text, poison: "tombstone:at=3",
              profile: {resend: 2}}
  - start-members: {group: g1, topic: t1, consumer: {fetch.min.bytes: "1000"}, max-poll-interval-ms: 10000}
  - mark: early
expect:
"""


def test_compare_items_load() -> None:
    sc = loads(BASE + """  compare:
    - {of: latency.p50.b, to: latency.p50.a, ratio: ">=2"}
    - {of: e2e.p99.g1, to: e2e.p99.g1, difference: "0"}
    - {of: lag.g1@early, to: consumed.g1, ratio: "<1"}
    - {of: disk-bytes.t1, to: acked, ratio: ">0"}
""")
    exps = sc.expectations
    assert [(e.subject, e.to, e.mode) for e in exps] == [
        ("latency.p50.b", "latency.p50.a", "ratio"), ("e2e.p99.g1", "e2e.p99.g1", "difference"),
        ("lag.g1@early", "consumed.g1", "ratio"), ("disk-bytes.t1", "acked", "ratio")]
    assert exps[0].text == "latency.p50.b / latency.p50.a"
    produce_b = sc.steps[1].action
    assert produce_b.workload.value_content == "text"  # type: ignore[union-attr]
    assert produce_b.workload.poison == "tombstone:at=3"  # type: ignore[union-attr]
    assert produce_b.producer.resend == 2  # type: ignore[union-attr]
    members = sc.steps[2].action
    assert members.consumer == {"fetch.min.bytes": "1000"}  # type: ignore[union-attr]
    assert members.max_poll_interval_ms == 10000  # type: ignore[union-attr]


@pytest.mark.parametrize(("item", "words"), [
    ("{of: latency.p50.zz, to: latency.p50.a, ratio: '>1'}", "names producer 'zz'"),
    ("{of: latency.p42.a, to: latency.p50.a, ratio: '>1'}", "needs a quantile"),
    ("{of: speed.a, to: latency.p50.a, ratio: '>1'}", "unknown subject"),
    ("{of: lag.g1@late, to: lag.g1, ratio: '>1'}", "reads mark 'late'"),
    ("{of: lost@early, to: lost, ratio: '>1'}", "no value at a mark"),
    ("{of: lag.g1, to: lag.g1}", "exactly one of 'ratio' or 'difference'"),
    ("{of: lag.g1, to: lag.g1, ratio: 'lots'}", "is not a comparison"),
])
def test_bad_comparisons_get_one_sentence(item: str, words: str) -> None:
    with pytest.raises(ScenarioError, match=words):
        loads(BASE + f"  compare:\n    - {item}\n")


def test_bad_producer_fields_get_one_sentence() -> None:
    with pytest.raises(ScenarioError, match="Unknown poison kind 'arsenic'"):
        loads(BASE.replace('poison: "tombstone:at=3"', 'poison: "arsenic"') + "  lost: 0\n")
    with pytest.raises(ScenarioError, match="value-content"):
        loads(BASE.replace("value-content: text", "value-content: lorem") + "  lost: 0\n")


def test_measured_names() -> None:
    assert parse_measured("latency.p50.fast@before") == ("latency", "fast", "p50", "before")
    assert parse_measured("compression-ratio.my.producer") == ("compression-ratio", "my.producer", None,
                                                               None)


def _metrics(lag: float, p50_a: float, p50_b: float) -> RunMetrics:
    return RunMetrics(produced=20, acked=20, producer_figures={
        "a-x": {"latency.p50": p50_a}, "b-x": {"latency.p50": p50_b}},
        group_figures={"g1-x": {"lag": lag}})


def test_ratios_differences_marks_and_unmeasured() -> None:
    verdict = VerdictFacts(counts={})
    names = {"producers": {"a": "a-x", "b": "b-x"}, "groups": {"g1": "g1-x"}}
    now, early = _metrics(200, 1.0, 30.0), _metrics(100, 1.0, 30.0)

    def run(exp: Expectation) -> tuple[float | None, bool]:
        res = evaluate(exp, verdict, now, names["groups"], producers=names["producers"],
                       marks={"early": early})
        return res.actual, res.ok

    assert run(Expectation("latency.p50.b", Comparison(">=", 2), to="latency.p50.a", mode="ratio")) == \
        (30.0, True)
    assert run(Expectation("latency.p50.b", Comparison(">=", 25), to="latency.p50.a",
                           mode="difference")) == (29.0, True)
    assert run(Expectation("lag.g1", Comparison("..", 1.5, 2.5), to="lag.g1@early", mode="ratio")) == \
        (2.0, True)
    # not measured: fails with no number rather than passing
    assert run(Expectation("e2e.p50.g1", Comparison(">=", 0), to="lag.g1", mode="ratio")) == (None, False)
    assert run(Expectation("lag.g1@never", Comparison(">=", 0), to="lag.g1", mode="ratio")) == \
        (None, False)
