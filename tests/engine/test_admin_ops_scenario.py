"""The ``reset-offsets`` scenario step: loader checks, the runner on a fake driver, and the bundled
"rewind-group" scenario on the real lab (its expectations can fail: processed twice the produced
count, redelivered once each)."""

from __future__ import annotations

import pytest

from tests.scenarios.fake_driver import FakeDriver
from tui.engine import Connection, Engine
from tui.lab import LabCluster
from tui.scenario.load import ScenarioError, bundled_dir, load_file, loads
from tui.scenario.model import ResetGroupOffsets
from tui.scenario.runner import ScenarioRun

BASE = """
title: rewind
goal: replay a topic
topics: [{name: t, partitions: 2}]
steps:
  - produce: {name: p, topic: t, count: 10}
  - start-members: {group: g, topic: t, name: m}
  - stop-member: m
  - reset-offsets: %s
"""


def test_the_step_loads_with_its_defaults_and_a_title() -> None:
    scenario = loads(BASE % "{group: g, topic: t}")
    step = scenario.steps[-1]
    assert step.kind == "reset-offsets"
    assert step.action == ResetGroupOffsets(group="g", topic="t", to="earliest", partition=None)
    one = loads(BASE % "{group: g, topic: t, to: 'shift:-3', partition: 1}").steps[-1].action
    assert one == ResetGroupOffsets("g", "t", "shift:-3", 1)


@pytest.mark.parametrize(("body", "words"), [
    ("{group: nobody, topic: t}", "names group 'nobody', which no earlier start-members step used"),
    ("{group: g, topic: other}", "names topic 'other', which is not declared"),
    ("{group: g, topic: t, to: yesterday}", "'to': Reset to 'yesterday'?"),
    ("{group: g, topic: t, when: now}", "when"),
    ("{topic: t}", "group"),
])
def test_a_wrong_step_is_one_sentence_naming_step_and_field(body: str, words: str) -> None:
    with pytest.raises(ScenarioError) as refused:
        loads(BASE % body, source="rewind.yaml")
    text = str(refused.value)
    assert text.startswith("rewind.yaml: step 4 (reset-offsets): ")
    assert words in text
    assert "\n" not in text


def test_the_runner_resets_the_run_s_own_group_and_topic() -> None:
    driver = FakeDriver(nodes=1)
    run = ScenarioRun(loads(BASE % "{group: g, topic: t, partition: 1}"), driver=driver, run_suffix="x1")
    outcome = run.run_all()
    assert outcome.error is None
    assert ("reset", "g-x1", "t-x1", "earliest", 1) in driver.calls
    detail = next(s.detail for s in outcome.steps if s.kind == "reset-offsets")
    assert detail.startswith("offsets of group g on t reset to earliest: p1 ")
    assert "reset the committed offsets of group g on t/1 to earliest" in [s.title for s in run.steps]


def test_the_bundled_set_has_the_rewind_scenario() -> None:
    scenario = load_file(bundled_dir() / "rewind-group.yaml")
    assert scenario.cluster.nodes == 1
    assert [s.kind for s in scenario.steps].count("reset-offsets") == 1
    subjects = {e.subject: e.comparison.text() for e in scenario.expectations}
    assert subjects["processed.billing"] == "== 80"
    assert subjects["redelivered"] == "== 40"


@pytest.mark.kafka
def test_rewinding_the_group_processes_every_record_again(lab1: LabCluster) -> None:
    scenario = load_file(bundled_dir() / "rewind-group.yaml")
    with Engine(Connection(lab1.bootstrap, lab_dir=lab1.dir), watch=False) as engine:
        run = ScenarioRun(scenario, engine)
        try:
            outcome = run.run_all()
        finally:
            run.close()
    assert outcome.error is None, outcome.error
    failed = [(e.subject, e.expected, e.actual) for e in outcome.expectations if not e.ok]
    assert outcome.passed, failed
    reset = next(s for s in outcome.steps if s.kind == "reset-offsets")
    assert reset.ok
    assert "p0 20 → 0" in reset.detail
    assert "p1 20 → 0" in reset.detail
