"""The scenario loader: valid files become typed scenarios, everything else one clear sentence."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tui.scenario.load import ScenarioError, load_file, loads
from tui.scenario.model import MemberAction, NodeAction, Produce, StartMembers, VerdictStep, WaitFor

SCENARIOS = Path(__file__).resolve().parents[2] / "sample_configs" / "scenarios"

GOOD = """
title: Unclean election
goal: Show consumed records vanish.
duration: 1m30s
cluster: {nodes: 3}
topics:
  - name: t
    replica_assignment: [[1, 2]]
    min-insync-replicas: 1
    unclean-leader-election: true
steps:
  - pause-node: {follower-of: t/0, as: follower}
    narrate: Freeze the follower.
  - wait: {isr-size: {topic: t, partition: 0, equals: 1}, timeout: 30}
  - produce: {name: p1, topic: t, count: 20, profile: {acks: "1"}}
  - start-members: {group: g, topic: t, strategy: sync-per-message}
  - wait: {consumed: {group: g, count: 20}}
  - kill-node: {leader-of: t/0, as: leader}
  - resume-node: follower
  - wait: {leader: {topic: t, partition: 0, is: follower}}
  - crash-member: {member: m, after-records: 3}
  - verdict: {timeout: 30}
expect:
  lost: ">0"
  redelivered: 0
  errors: {NOT_ENOUGH_REPLICAS: 0}
"""


def test_good_scenario_is_typed() -> None:
    sc = loads(GOOD, source="u.yaml")
    assert sc.title == "Unclean election"
    assert sc.duration == 90
    assert sc.cluster.nodes == 3
    assert sc.topics[0].replica_assignment == ((1, 2),)
    assert sc.topics[0].partitions == 1
    kinds = [s.kind for s in sc.steps]
    assert kinds[0] == "pause-node"
    assert kinds[-1] == "verdict"
    pause = sc.steps[0].action
    assert isinstance(pause, NodeAction)
    assert pause.node.role == "follower-of"
    assert pause.save_as == "follower"
    assert sc.steps[0].narrate == "Freeze the follower."
    wait = sc.steps[1].action
    assert isinstance(wait, WaitFor)
    assert wait.comparison is not None
    assert wait.comparison.op == "=="
    produce = sc.steps[2].action
    assert isinstance(produce, Produce)
    assert produce.producer.acks == "1"
    assert produce.wait
    members = sc.steps[3].action
    assert isinstance(members, StartMembers)
    assert members.member_names() == ("m",)
    resume = sc.steps[6].action
    assert isinstance(resume, NodeAction)
    assert resume.node.ref == "follower"
    crash = sc.steps[8].action
    assert isinstance(crash, MemberAction)
    assert crash.after_records == 3
    assert isinstance(sc.steps[9].action, VerdictStep)
    subjects = {e.subject: e.comparison.text() for e in sc.expectations}
    assert subjects == {"lost": "> 0", "redelivered": "== 0", "errors.NOT_ENOUGH_REPLICAS": "== 0"}


def _mutate(old: str, new: str) -> str:
    assert old in GOOD
    return GOOD.replace(old, new, 1)


@pytest.mark.parametrize(("text", "needle"), [
    ("", "a scenario must be a mapping"),
    ("title: [unclosed", "not valid YAML at line 1"),
    (_mutate("title: Unclean election\n", ""), "'title' is required"),
    (_mutate("cluster: {nodes: 3}", "cluster: {nodes: 2}"), "'cluster.nodes' must be 1 or 3"),
    (_mutate("{follower-of: t/0, as: follower}", "{follower-of: t0}"),
     "step 1 (pause-node): 'follower-of' must look like topic/partition"),
    (_mutate("{follower-of: t/0, as: follower}", "{leader-of: nope/0}"),
     "step 1 (pause-node): 'leader-of' names topic 'nope'"),
    (_mutate("{follower-of: t/0, as: follower}", "{node: 4}"),
     "step 1 (pause-node): 'node' must be between 1 and 3"),
    (_mutate("equals: 1}", "equals: 1, at-most: 2}"), "step 2 (wait): 'isr-size' needs exactly one"),
    (_mutate("profile: {acks: \"1\"}", "profile: {acks: \"2\"}"),
     "step 3 (produce): 'profile.acks' must be 0, 1 or all"),
    (_mutate("profile: {acks: \"1\"}", "profile: {acks: \"1\", idempotence: true}"),
     "step 3 (produce): idempotence needs 'acks: all'"),
    (_mutate("strategy: sync-per-message", "strategy: yolo"), "step 4 (start-members): 'strategy' must be"),
    (_mutate("{member: m, after-records: 3}", "{member: zz}"), "step 9 (crash-member): member 'zz'"),
    (_mutate("resume-node: follower", "resume-node: nobody"),
     "step 7 (resume-node): 'node' must be a node number or a name saved"),
    (_mutate("lost: \">0\"", "lost: \">>0\""), "'expect.lost'"),
    (_mutate("lost: \">0\"", "vanished: 1"), "unknown expectation 'vanished'"),
    (_mutate("  - verdict: {timeout: 30}", "  - explode: {}"), "step 10: unknown action 'explode'"),
    (_mutate("count: 20, profile", "count: -3, profile"), "step 3 (produce): 'count' must be between"),
    (_mutate("timeout: 30}", "timeout: soon}"), "step 2 (wait): 'timeout' must be seconds"),
    (_mutate("{timeout: 30}", "{timeout: 30, when: now}"), "unknown field 'when' in verdict"),
])
def test_errors_name_file_step_and_field(text: str, needle: str) -> None:
    with pytest.raises(ScenarioError) as info:
        loads(text, source="u.yaml")
    message = str(info.value)
    assert message.startswith("u.yaml: ")
    assert needle in message
    assert "\n" not in message


def test_seconds_wait_needs_a_reason() -> None:
    bad = _mutate("  - wait: {consumed: {group: g, count: 20}}", "  - wait: {seconds: 3}")
    with pytest.raises(ScenarioError, match=r"step 5 \(wait\).*reason"):
        loads(bad, source="u.yaml")
    ok = _mutate("  - wait: {consumed: {group: g, count: 20}}",
                 "  - wait: {seconds: 3, reason: let the audience look}")
    step = loads(ok).steps[4].action
    assert isinstance(step, WaitFor)
    assert step.seconds == 3
    assert step.reason == "let the audience look"


def test_yaml_tags_cannot_run_code(tmp_path: Path) -> None:
    evil = "title: !!python/object/apply:os.system ['echo pwned']\ngoal: g\nsteps: [{note: x}]\n"
    with pytest.raises(ScenarioError, match="not valid YAML"):
        loads(evil)


def test_load_file_errors_are_sentences(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="cannot be read"):
        load_file(tmp_path / "missing.yaml")
    binary = tmp_path / "bin.yaml"
    binary.write_bytes(b"\xff\xfe\x00title")
    with pytest.raises(ScenarioError, match="not UTF-8"):
        load_file(binary)


def test_every_bundled_scenario_loads() -> None:
    files = sorted(SCENARIOS.glob("*.yaml"))
    assert len(files) >= 10
    for path in files:
        sc = load_file(path)
        assert sc.slug == path.stem
        assert sc.expectations, f"{path.name} expects nothing"
        assert all(s.narrate for s in sc.steps), f"{path.name}: every step should narrate"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=400))
def test_any_text_gives_scenario_or_scenario_error(text: str) -> None:
    message = "f.yaml"
    try:
        loads(text, source="f.yaml")
    except ScenarioError as exc:
        message = str(exc)
    assert message.startswith("f.yaml")


_scalars = st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.floats(allow_nan=True),
                     st.sampled_from(["t", "t/0", "g", "m", ">0", "all", "1", "x/y/z", "hot:80",
                                      "follower", "10s", "until-stopped"]))
_keys = st.sampled_from(["title", "goal", "steps", "topics", "expect", "cluster", "name", "topic",
                         "count", "node", "leader-of", "follower-of", "as", "wait", "produce",
                         "kill-node", "isr-size", "equals", "group", "start-members", "lost",
                         "errors", "partitions", "replica-assignment", "profile", "acks", "seconds",
                         "reason", "verdict", "crash-member", "member", "leader", "is", "not"])
_values = st.recursive(_scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(_keys, inner, max_size=5)), max_leaves=15)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(_keys, _values, max_size=7))
def test_any_structure_gives_scenario_or_scenario_error(data: dict[str, object]) -> None:
    base = yaml.safe_load(GOOD)
    base.update(data)
    message = "f.yaml"
    try:
        loads(yaml.safe_dump(base), source="f.yaml")
    except ScenarioError as exc:
        message = str(exc)
    assert message.startswith("f.yaml")


def test_member_waits_and_group_expectations() -> None:
    text = """
title: t
goal: g
topics: [{name: t}]
steps:
  - start-members: {group: g, topic: t, name: m, crash-after: 3, auto-commit-interval-ms: 100}
  - wait: {member-state: {member: m, state: crashed}}
  - wait: {processed: {group: g, count: 13}}
expect:
  consumed: {g: 20}
  processed: {g: ">=13"}
"""
    sc = loads(text, "m.yaml")
    start = sc.steps[0].action
    assert isinstance(start, StartMembers)
    assert start.crash_after == 3
    assert start.auto_commit_interval_ms == 100
    state = sc.steps[1].action
    assert isinstance(state, WaitFor)
    assert (state.condition, state.member, state.state) == ("member-state", "m", "crashed")
    processed = sc.steps[2].action
    assert isinstance(processed, WaitFor)
    assert processed.condition == "processed"
    assert [(e.subject, e.group) for e in sc.expectations] == [("consumed.g", "g"), ("processed.g", "g")]
    with pytest.raises(ScenarioError, match="'expect.consumed' names group 'nope'"):
        loads(text.replace("consumed: {g: 20}", "consumed: {nope: 20}"), "m.yaml")
    with pytest.raises(ScenarioError, match=r"step 2 \(wait\): 'state' must be one of"):
        loads(text.replace("state: crashed", "state: asleep"), "m.yaml")
    with pytest.raises(ScenarioError, match=r"step 2 \(wait\): member 'x' was not started"):
        loads(text.replace("member: m, state", "member: x, state"), "m.yaml")


def test_high_watermark_wait() -> None:
    text = GOOD.replace("  - wait: {isr-size: {topic: t, partition: 0, equals: 1}, timeout: 30}",
                        "  - wait: {high-watermark: {topic: t, partition: 0, at-least: 50}}")
    wait = loads(text, "h.yaml").steps[1].action
    assert isinstance(wait, WaitFor)
    assert wait.condition == "high-watermark"
    assert wait.comparison is not None
    assert wait.comparison.text() == ">= 50"
