"""The runner's step machinery, role resolution and reports, on a scripted fake cluster."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.scenarios.fake_driver import FakeDriver
from tui.engine import PartitionMeta
from tui.scenario import report
from tui.scenario.load import loads
from tui.scenario.model import NodeRef
from tui.scenario.roles import resolve_node
from tui.scenario.runner import Progress, ScenarioRun

FAILOVER = """
title: leader kill
goal: lose acks=1 records
cluster: {nodes: 3}
topics: [{name: t, replication-factor: 3, partitions: 1}]
steps:
  - produce: {name: p1, topic: t, count: 100, profile: {acks: "1"}, background: true}
    narrate: start producing
  - pause-node: {leader-of: t/0, as: old}
    narrate: freeze the leader
  - wait: {leader: {topic: t, partition: 0, not: old}, timeout: 5}
    narrate: a follower takes over
  - start-members: {group: g, topic: t, count: 2, strategy: auto}
    narrate: two members
  - wait: {consumed: {group: g, count: 100}, timeout: 5}
    narrate: read it all
  - crash-member: {member: m2, after-records: 3}
    narrate: crash one
  - kill-node: old
    narrate: and kill the old leader
expect:
  lost: ">0"
  errors: {NOT_ENOUGH_REPLICAS: 0}
  max-partition-share: ">0.5"
"""


def test_roles_resolve_deterministically() -> None:
    state = PartitionMeta(leader=2, replicas=(2, 3, 1), isr=(2, 3, 1))
    assert resolve_node(NodeRef(role="leader-of", topic="t"), state, {}) == 2
    assert resolve_node(NodeRef(role="follower-of", topic="t"), state, {}) == 1
    shrunk = PartitionMeta(leader=2, replicas=(2, 3, 1), isr=(2, 3))
    assert resolve_node(NodeRef(role="follower-of", topic="t"), shrunk, {}) == 3
    assert resolve_node(NodeRef(number=3), None, {}) == 3
    assert resolve_node(NodeRef(ref="x"), None, {"x": 1}) == 1
    with pytest.raises(ValueError, match="no leader"):
        resolve_node(NodeRef(role="leader-of", topic="t"), PartitionMeta(-1, (1,), (1,)), {})
    with pytest.raises(ValueError, match="did not answer"):
        resolve_node(NodeRef(role="leader-of", topic="t"), None, {})
    with pytest.raises(ValueError, match="no follower"):
        resolve_node(NodeRef(role="follower-of", topic="t"), PartitionMeta(1, (1,), (1,)), {})


def test_run_all_executes_steps_and_judges() -> None:
    driver = FakeDriver(nodes=3, counts={"lost": 12})
    seen: list[Progress] = []
    run = ScenarioRun(loads(FAILOVER, "f.yaml"), driver=driver, on_progress=seen.append,
                      run_suffix="abc")
    assert len(run.steps) == 8  # the implicit verdict step was added
    assert run.steps[-1].kind == "verdict"
    outcome = run.run_all()
    assert outcome.passed, outcome
    # fresh names per run
    assert ("topic", "t-abc") in driver.calls
    assert ("produce", "p1-abc", "t-abc") in driver.calls
    # the role was resolved to the leader at that moment (node 1), then reused by name
    node_calls = [c for c in driver.calls if c[0] == "node"]
    assert node_calls[0] == ("node", 1, "pause")
    assert ("node", 1, "kill") in node_calls
    # the verdict step healed the broken node first
    assert node_calls[-1] == ("node", 1, "start")
    assert ("member-action", "m2-abc", "crash", 3, None) in driver.calls
    # the verdict is asked for this run's own topics and groups (the engine knows the faults)
    assert [c for c in driver.calls if c[0] == "verdict"] == [("verdict", ("t-abc",), ("g-abc",))]
    kinds = [p.kind for p in seen]
    assert kinds.count("step-started") == 8
    assert kinds[-1] == "finished"
    assert [e.subject for e in outcome.expectations] == ["lost", "errors.NOT_ENOUGH_REPLICAS",
                                                        "max-partition-share"]
    assert outcome.expectations[0].actual == 12
    run.close()
    assert driver.closed


def test_a_failing_expectation_fails_the_run() -> None:
    driver = FakeDriver(nodes=3, counts={"lost": 0})
    run = ScenarioRun(loads(FAILOVER, "f.yaml"), driver=driver, run_suffix="x")
    outcome = run.run_all()
    assert not outcome.passed
    assert outcome.error is None
    assert [e.ok for e in outcome.expectations] == [False, True, True]


def test_a_wait_that_times_out_fails_its_step_with_a_sentence() -> None:
    driver = FakeDriver(nodes=3, consumed_per_poll=1)
    run = ScenarioRun(loads(FAILOVER.replace("count: 100}, timeout: 5", "count: 100}, timeout: 0.5"),
                            "f.yaml"), driver=driver, run_suffix="x")
    outcome = run.run_all()
    assert not outcome.passed
    failed = [s for s in outcome.steps if not s.ok]
    assert len(failed) == 1
    assert failed[0].number == 5
    assert "Timed out after 0.5 s waiting until group g consumed >= 100 records" in failed[0].detail
    assert outcome.error is not None
    assert outcome.error.startswith("step 5:")
    assert run.next_step() is None  # nothing runs after a failure
    assert outcome.verdict is None


def test_step_by_step_api() -> None:
    driver = FakeDriver(nodes=3, counts={"lost": 1})
    run = ScenarioRun(loads(FAILOVER, "f.yaml"), driver=driver)
    assert run.next is run.steps[0]
    first = run.next_step()
    assert first is not None
    assert first.ok
    assert first.number == 1
    assert "background" in first.detail
    assert not run.done
    while run.next_step() is not None:
        pass
    assert run.done
    assert run.passed


def test_cluster_needs_are_checked_before_anything_runs() -> None:
    driver = FakeDriver(nodes=1)
    run = ScenarioRun(loads(FAILOVER, "f.yaml"), driver=driver)
    outcome = run.run_all()
    assert outcome.error is not None
    assert "needs a 3-node lab cluster" in outcome.error
    assert not [c for c in driver.calls if c[0] == "topic"]
    slow = FakeDriver(nodes=3, profile="default")
    run = ScenarioRun(loads(FAILOVER.replace("{nodes: 3}", "{nodes: 3, profile: slow-replication}"),
                            "f.yaml"), driver=slow)
    assert "slow-replication" in (run.run_all().error or "")


def test_reports(tmp_path: Path) -> None:
    driver = FakeDriver(nodes=3, counts={"lost": 12}, errors={"NOT_ENOUGH_REPLICAS": 0})
    run = ScenarioRun(loads(FAILOVER, "f.yaml"), driver=driver, run_suffix="r1")
    outcome = run.run_all()
    written = report.write(outcome, tmp_path / "out")
    assert sorted(p.name for p in written) == ["out.html", "out.json", "out.md"]
    data = json.loads((tmp_path / "out.json").read_text())
    assert data["passed"] is True
    assert data["names"]["t"] == "t-r1"
    assert data["verdict"]["counts"]["lost"] == 12
    assert len(data["steps"]) == 8
    assert data["expectations"][0] == {"subject": "lost", "expected": "> 0", "actual": 12.0, "ok": True}
    md = (tmp_path / "out.md").read_text()
    assert md.startswith("# leader kill")
    assert "**Result: PASSED**" in md
    assert "| lost | > 0 | 12 | ok |" in md
    assert "   > freeze the leader" in md
    assert "- t-r1: 0: 80, 1: 10, 2: 10" in md


def test_markdown_neutralises_untrusted_text() -> None:
    text = FAILOVER.replace("title: leader kill", "title: \"<script>|x|\"")
    outcome = ScenarioRun(loads(text, "f.yaml"), driver=FakeDriver(nodes=3, counts={"lost": 1})).run_all()
    md = report.to_markdown(outcome)
    assert "<script>" not in md
    assert "&lt;script>\\|x\\|" in md
