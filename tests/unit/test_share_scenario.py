"""Share steps in scenarios without Kafka: ``start-members: {type: share}`` and ``cluster.kafka`` in the
loader (errors name file, step and field), the runner's version check and what it asks the driver, the
new expectation subjects, step titles, and ``consume --share`` argument checks."""

from __future__ import annotations

import argparse

import pytest

from tests.scenarios.fake_driver import FakeDriver
from tui.headless import consume, share
from tui.scenario.describe import describe
from tui.scenario.driver import RunMetrics, VerdictFacts
from tui.scenario.load import ScenarioError, loads
from tui.scenario.model import StartShareMembers
from tui.scenario.runner import ScenarioRun, kafka_satisfies, measure

HEAD = """
title: t
goal: g
cluster: {nodes: 1, kafka: ">=4.2"}
topics: [{name: jobs, partitions: 2}]
steps:
"""


def scenario(steps: str, head: str = HEAD) -> str:
    return head + steps + "\nexpect: {rejected: 1}\n"


SHARE = """  - start-members: {type: share, group: workers, topic: jobs, name: s, count: 2, ack: explicit,
                    fail-ids: [p1/4, 7], fail-transient: 2, lock-ms: 6000, delivery-limit: 4}
  - produce: {name: p1, topic: jobs, count: 10}
"""


def test_a_share_step_loads_with_its_group_settings() -> None:
    sc = loads(scenario(SHARE), "s.yaml")
    assert sc.cluster.kafka == ">=4.2"
    step = sc.steps[0].action
    assert isinstance(step, StartShareMembers)
    assert step.member_names() == ("s1", "s2")
    assert (step.ack_mode, step.fail_ids, step.fail_transient) == ("explicit", ("p1/4", "7"), 2)
    assert (step.lock_ms, step.delivery_limit, step.auto_offset_reset) == (6000, 4, "earliest")
    assert describe(sc.steps[0]) == ("start 2 share member(s) of share group workers on jobs: explicit "
                                     "acknowledgement, release p1/4, 7 ×2")


@pytest.mark.parametrize(("steps", "head", "sentence"), [
    ("  - start-members: {type: queue, group: w, topic: jobs}\n", HEAD,
     "s.yaml: step 1 (start-members): 'type' must be group or share, not 'queue'."),
    ("  - start-members: {type: share, group: w, topic: jobs, ack: implicit, fail-ids: [3]}\n", HEAD,
     "injected failures need 'ack: explicit'"),
    ("  - start-members: {type: share, group: w, topic: jobs, fail-ids: [p9/3]}\n", HEAD,
     "'fail-ids' names producer 'p9', which no produce step starts."),
    ("  - start-members: {type: share, group: w, topic: jobs, fail-ids: [three]}\n", HEAD,
     "'fail-ids' entries are PRODUCER/SEQ or a sequence number"),
    ("  - start-members: {type: share, group: w, topic: jobs, strategy: auto}\n", HEAD, "'strategy'"),
    ("  - start-members: {type: share, group: w, topic: jobs}\n"
     "  - switch-strategy: {member: s, strategy: auto}\n", HEAD,
     "member 's' is a share member: it acknowledges records"),
    ("  - start-members: {group: w, topic: jobs}\n  - start-members: {type: share, group: w, topic: jobs}\n",
     HEAD, "group 'w' is a consumer group of an earlier step"),
    ("  - note: {}\n    narrate: n\n", HEAD.replace('">=4.2"', '"latest"'),
     "'cluster.kafka' must be a version like \">=4.2\" or \"4.4.0\", not 'latest'."),
])
def test_share_step_errors_name_the_file_step_and_field(steps: str, head: str, sentence: str) -> None:
    with pytest.raises(ScenarioError) as err:
        loads(scenario(steps, head), "s.yaml")
    assert sentence in str(err.value)


def test_the_runner_sets_the_group_then_starts_the_members_with_this_run_s_msg_ids() -> None:
    driver = FakeDriver(nodes=1, kafka="4.4.0")
    run = ScenarioRun(loads(scenario(SHARE), "s.yaml"), driver=driver, run_suffix="abc")
    outcome = run.run_all()
    assert outcome.error is None
    config = [c for c in driver.calls if c[0] == "share-config"]
    assert config == [("share-config", "workers-abc", "earliest", 6000, 4)]
    members = [c for c in driver.calls if c[0] == "share-member"]
    assert [c[1] for c in members] == ["s1-abc", "s2-abc"]
    assert {c[4] for c in members} == {("p1-abc/0/4", "7")}  # producer p1 of this run, record 4
    assert driver.calls.index(config[0]) < driver.calls.index(members[0])


@pytest.mark.parametrize(("version", "refused"), [("4.1.1", True), ("4.2.0", False), ("4.4.0", False),
                                                  (None, False)])
def test_a_lab_older_than_the_scenario_needs_is_refused_in_one_sentence(version: str | None,
                                                                       refused: bool) -> None:
    # no cluster.kafka given: share members alone make the scenario need 4.2
    text = scenario(SHARE, HEAD.replace(', kafka: ">=4.2"', ""))
    outcome = ScenarioRun(loads(text, "s.yaml"), driver=FakeDriver(nodes=1, kafka=version)).run_all()
    if refused:
        assert outcome.error is not None
        assert outcome.error.startswith("setup: This scenario needs Kafka >=4.2; the connected lab runs "
                                        "Kafka 4.1.1 (start a current one with `kafka-explorer lab down`")
    else:
        assert outcome.error is None


def test_kafka_requirements() -> None:
    assert kafka_satisfies("4.4.0", ">=4.2")
    assert kafka_satisfies("4.10.1", ">=4.2")
    assert not kafka_satisfies("4.1.1", ">=4.2")
    assert kafka_satisfies("4.4.0", "4.4")
    assert not kafka_satisfies("4.4.0", "4.3.1")


def test_the_share_subjects_read_the_run_s_metrics() -> None:
    metrics = RunMetrics(share_members_acquiring=6, max_delivery_count=3)
    verdict = VerdictFacts(counts={})
    assert measure("share-members-acquiring", verdict, metrics) == 6.0
    assert measure("max-delivery-count", verdict, metrics) == 3.0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser()
    p.add_argument("-b", "--bootstrap")
    consume.add_arguments(p)
    return p


def test_consume_share_builds_share_members_and_refuses_failures_it_cannot_acknowledge() -> None:
    args = parser().parse_args(["jobs", "--group", "g", "--share", "--members", "3", "--fail-ids",
                                "p1/0/4,7", "--fail-transient", "2", "--lock-ms", "6000",
                                "--delivery-limit", "4", "--crash-after", "5"])
    specs = share._specs(args)
    assert [s.name for s in specs] == ["s1", "s2", "s3"]
    assert {(s.ack_mode, s.fail_ids, s.fail_transient) for s in specs} == {("explicit", ("p1/0/4", "7"), 2)}
    assert [s.crash_after_records for s in specs] == [5, None, None]
    assert (args.lock_ms, args.delivery_limit) == (6000, 4)
    implicit = parser().parse_args(["jobs", "--group", "g", "--share", "--ack", "implicit", "--fail-ids", "4"])
    with pytest.raises(ValueError, match="Injected failures need --ack explicit"):
        share._specs(implicit)
    with pytest.raises(ValueError, match="--members must be at least 1"):
        share._specs(parser().parse_args(["jobs", "--group", "g", "--share", "--members", "0"]))
