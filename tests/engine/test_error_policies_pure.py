"""The error-handling lab's pure parts (no Kafka): the processing step's validation and injected
failures, each error policy's events in the order the checker reads them (against a scripted member),
the stall detector, end-to-end latency counting and the spec's one-sentence validation."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import replace
from typing import Any

import pytest
from confluent_kafka import Message

from tui.engine.consumer import e2e
from tui.engine.consumer.commands import MemberSpec, dead_letter_topic
from tui.engine.consumer.dead_letter import Sent
from tui.engine.consumer.policy import Outcome, PolicySettings, handle
from tui.engine.consumer.processing import Processing
from tui.engine.consumer.stalls import StallDetector
from tui.engine.history import DltOrigin, Stall
from tui.engine.producer.histogram import LatencyHistogram
from tui.engine.record_format import HEADER_ID, poison_value

KEY = ("orders", 0, 7)
JSON_OK = json.dumps({"msg_id": "r/p/0/7", "seq": 7, "payload": "x"}).encode()


# ---------------------------------------------------------------------------------- processing step

@pytest.mark.parametrize(("fmt", "value", "kind"), [
    ("kx", b"kx|r/p/0/7|....", None),
    ("kx", b"anything at all", None),
    ("kx", None, "tombstone"),
    ("any", None, None),
    ("json", JSON_OK, None),
    ("json", poison_value("invalid-json", b"r/p/0/7", 7, 0), "invalid-json"),
    ("json", poison_value("missing-field", b"r/p/0/7", 7, 0), "missing-field"),
    ("json", b"[1, 2]", "missing-field"),
    ("json", b"\xff\xfe", "invalid-json"),
    ("json", None, "tombstone"),
])
def test_values_are_checked_by_the_expected_format(fmt: str, value: bytes | None, kind: str | None) -> None:
    failure = Processing(fmt).check(value, "r/p/0/7", KEY)
    assert (failure[0] if failure else None) == kind
    if failure is not None:
        assert 0 < len(failure[1]) <= 256


def test_the_batch_fast_path_is_taken_only_when_nothing_can_fail() -> None:
    assert Processing("kx").batch_passes([b"a", b"b"])
    assert not Processing("kx").batch_passes([b"a", None])
    assert Processing("any").batch_passes([None])
    assert not Processing("json").batch_passes([JSON_OK])
    assert not Processing("kx", fail_rate=0.1).batch_passes([b"a"])


def test_fail_ids_match_whole_msg_ids_and_their_tails() -> None:
    proc = Processing(fail_ids=("run1/p1/0/4", "p2/0/1", "9"))
    picked = [mid for mid in ("run1/p1/0/4", "run2/p1/0/4", "runX/p2/0/1", "r/p3/1/9", "r/p3/1/19")
              if proc.check(b"v", mid, KEY) is not None]
    assert picked == ["run1/p1/0/4", "runX/p2/0/1", "r/p3/1/9"]
    assert proc.check(b"v", "run1/p1/0/4", KEY) == ("injected", "injected failure (its msg_id is in fail-ids)")
    assert proc.check(b"v", None, KEY) is None


def test_fail_rate_picks_the_same_records_every_time() -> None:
    ids = [f"r/p/0/{i}" for i in range(2000)]
    first = {m for m in ids if Processing(fail_rate=0.1, fail_seed=3).check(b"v", m, KEY)}
    again = {m for m in ids if Processing(fail_rate=0.1, fail_seed=3).check(b"v", m, KEY)}
    other = {m for m in ids if Processing(fail_rate=0.1, fail_seed=4).check(b"v", m, KEY)}
    assert first == again
    assert first != other
    assert 140 < len(first) < 260


def test_transient_failures_succeed_after_k_attempts_per_record() -> None:
    proc = Processing(fail_transient=2)
    kinds = [proc.check(b"v", "r/p/0/1", KEY) for _ in range(3)]
    assert [k[0] if k else None for k in kinds] == ["transient", "transient", None]
    assert kinds[1] is not None
    assert kinds[1][1].startswith("transient failure 2 of 2")
    assert proc.check(b"v", "r/p/0/2", ("orders", 0, 8)) is not None  # every record, each its own count
    only = Processing(fail_ids=("p/0/1",), fail_transient=1)
    assert only.check(b"v", "r/p/0/2", KEY) is None
    assert only.check(b"v", "r/p/0/1", KEY) is not None
    assert only.check(b"v", "r/p/0/1", KEY) is None


# ---------------------------------------------------------------------------------- the policies

class Host:
    """A scripted member: records what the policy asks of it."""

    member = "m1"
    group = "g"
    incarnation = 2
    consumer: Any = None

    def __init__(self, sent: Sent | None = None) -> None:
        self.events: list[tuple[str, dict[str, Any]]] = []
        self.waited: list[float] = []
        self.sent = sent or Sent(True, 0, 41)
        self.copies: list[tuple[str, list[tuple[str, bytes]]]] = []
        self.dead_letters = self

    def send(self, consumer: Any, msg: Message, dlt: str, headers: list[tuple[str, bytes]],
             idle: Any) -> Sent:
        self.copies.append((dlt, headers))
        return self.sent

    def emit(self, kind: str, **fields: Any) -> None:
        self.events.append((kind, fields))

    def wait(self, seconds: float) -> None:
        self.waited.append(seconds)

    def idle(self) -> None:
        return None

    def hold(self, msg: Message, msg_id: str | None) -> None:
        self.events.append(("held", {}))

    def crash(self, detail: str) -> None:
        self.events.append(("crash", {"detail": detail}))
        raise SystemExit(137)

    def kinds(self) -> list[str]:
        return [k if k != "policy" else f"policy:{f['action']}" for k, f in self.events]


def _msg() -> Message:
    return Message(topic="orders", partition=0, offset=7, value=b"{", headers=[(HEADER_ID, b"r/p/0/7")])


def _run(host: Host, settings: PolicySettings, attempts: list[tuple[str, str] | None]) -> Outcome:
    later = iter(attempts)
    return handle(host, settings, _msg(), KEY, "r/p/0/7", ("invalid-json", "Expecting value"),
                  lambda: next(later))


def test_skip_logs_failed_then_policy_skip() -> None:
    host = Host()
    assert _run(host, PolicySettings("skip"), []) is Outcome.SKIPPED
    assert host.kinds() == ["failed", "policy:skip"]
    failed = host.events[0][1]
    assert (failed["t"], failed["p"], failed["o"], failed["id"], failed["error"], failed["attempt"]) == (
        "orders", 0, 7, "r/p/0/7", "invalid-json", 1)


def test_dead_letter_sends_with_origin_headers_then_logs_the_report() -> None:
    host = Host()
    assert _run(host, PolicySettings("dead-letter"), []) is Outcome.DEAD_LETTERED
    assert host.kinds() == ["failed", "policy:dead-letter", "dlt-sent"]
    assert host.events[1][1]["detail"] == "orders.DLT"
    assert host.events[2][1]["dlt"] == ["orders.DLT", 0, 41]
    assert host.events[2][1]["ok"] is True
    (dlt, headers), = host.copies
    assert dlt == "orders.DLT"
    origin = DltOrigin.from_headers(41, headers)
    assert origin == DltOrigin(41, "orders", 0, 7, "g", "m1", 2, "invalid-json")


def test_a_failed_dlt_send_fails_the_record_and_crashes() -> None:
    host = Host(Sent(False, error="TOPIC_AUTHORIZATION_FAILED"))
    with pytest.raises(SystemExit):
        _run(host, PolicySettings("dead-letter", dead_letter_topic="errors"), [])
    assert host.kinds() == ["failed", "policy:dead-letter", "dlt-sent", "policy:fail", "crash"]
    assert host.events[2][1]["ok"] is False
    assert host.events[2][1]["error"] == "TOPIC_AUTHORIZATION_FAILED"
    assert "the dead-letter send failed (TOPIC_AUTHORIZATION_FAILED)" in host.events[-1][1]["detail"]


def test_retry_backs_off_per_attempt_then_skips_with_the_last_attempt_number() -> None:
    host = Host()
    settings = PolicySettings("retry", retries=2, retry_backoff_ms=250, retry_then="skip")
    assert _run(host, settings, [("invalid-json", "again"), ("invalid-json", "again")]) is Outcome.SKIPPED
    assert host.kinds() == ["failed", "policy:retry", "failed", "policy:retry", "failed", "policy:skip"]
    assert [f["attempt"] for _k, f in host.events] == [1, 1, 2, 2, 3, 3]
    assert host.events[1][1]["detail"] == "backoff 250 ms"
    assert host.waited == [0.25, 0.25]


def test_a_retry_that_succeeds_is_processed() -> None:
    host = Host()
    outcome = _run(host, PolicySettings("retry", retries=3, retry_backoff_ms=10), [None])
    assert outcome is Outcome.PROCESSED
    assert host.kinds() == ["failed", "policy:retry"]


def test_retry_then_dead_letter() -> None:
    host = Host()
    settings = PolicySettings("retry", retries=1, retry_backoff_ms=0, retry_then="dead-letter")
    assert _run(host, settings, [("invalid-json", "again")]) is Outcome.DEAD_LETTERED
    assert host.kinds() == ["failed", "policy:retry", "failed", "policy:dead-letter", "dlt-sent"]
    assert host.events[3][1]["attempt"] == 2


def test_pause_holds_the_partition() -> None:
    host = Host()
    assert _run(host, PolicySettings("pause"), []) is Outcome.HELD
    assert host.kinds() == ["failed", "policy:pause", "held"]


def test_fail_crashes_naming_the_record() -> None:
    host = Host()
    with pytest.raises(SystemExit):
        _run(host, PolicySettings("fail"), [])
    assert host.kinds() == ["failed", "policy:fail", "crash"]
    assert host.events[-1][1]["detail"] == "error policy fail on orders/0@7: invalid-json"


def test_a_live_switch_keeps_what_it_does_not_name() -> None:
    settings = PolicySettings.of({"error_policy": "retry", "retries": 5, "retry_backoff_ms": 10})
    settings.update({"policy": "dead-letter", "retries": None, "dead_letter_topic": "errors"})
    assert settings == PolicySettings("dead-letter", 5, 10, "skip", "errors")


# ---------------------------------------------------------------------------------- stall detector

def test_a_stall_starts_when_progress_last_moved_and_ends_once_it_moves() -> None:
    said: list[tuple[str, Stall]] = []
    det = StallDetector(threshold=10.0)
    det.committed("g", "t", 0, 4)
    det.high("g", "t", 0, 20)
    det.processed("g", "t", 0, 3)
    for now in range(100, 121):
        det.processed("g", "t", 0, 2)       # reprocessing below the highest: no progress
        det.sample(float(now), {"g"}, lambda what, st: said.append((what, st)))
    assert [w for w, _ in said] == ["stuck"]
    assert said[0][1] == Stall("g", "t", 0, 4, since=100.0, until=110.0, ongoing=True, lag=16)
    (ongoing,) = det.stalls()
    assert (ongoing.since, ongoing.until, ongoing.ongoing) == (100.0, 120.0, True)
    assert set(det.stuck()) == {("g", "t", 0)}
    det.moved_on("g", "t", 0)              # the policy skipped the poison record
    det.sample(121.0, {"g"}, lambda what, st: said.append((what, st)))
    assert [w for w, _ in said] == ["stuck", "unstuck"]
    assert det.stalls() == (Stall("g", "t", 0, 4, since=100.0, until=121.0, ongoing=False, lag=16),)
    assert det.stuck() == {}


def test_no_stall_without_lag_or_without_a_live_member() -> None:
    det = StallDetector(threshold=5.0)
    det.committed("idle", "t", 0, 10)
    det.high("idle", "t", 0, 10)           # caught up
    det.committed("gone", "t", 0, 3)
    det.high("gone", "t", 0, 10)           # lag, but nobody left in the group
    for now in range(0, 30):
        det.sample(float(now), {"idle"})
    assert det.stalls() == ()


def test_a_group_without_commits_measures_lag_from_what_it_processed() -> None:
    det = StallDetector(threshold=2.0)
    det.processed("g", "t", 1, 9)
    det.high("g", "t", 1, 15)
    for now in range(5):
        det.sample(float(now), {"g"})
    (stall,) = det.stalls()
    assert (stall.offset, stall.lag) == (-1, 5)


# ---------------------------------------------------------------------------------- latency

def test_latency_counts_skip_redeliveries_and_bogus_timestamps() -> None:
    counts = e2e.latency_counts(1000.0, [999_990, 999_990, 999_000, -1, 1_000_500],
                                [False, True, False, False, False])
    assert counts == Counter({10: 1, 1000: 1})
    # a large batch: every 3rd record's timestamp, each standing for itself and the next two
    sampled = e2e.latency_counts(1000.0, [999_990, 999_980, 999_000], [False] * 7, 3, 7)
    assert sampled == Counter({10: 3, 20: 3, 1000: 1}), "the last sample stands for what is left"
    again = e2e.latency_counts(1000.0, [999_990, 999_980, 999_000], [False, False, False, True, False, False,
                                                                     False], 3, 7)
    assert again == Counter({10: 3, 1000: 1}), "a redelivered sample is left out"
    assert e2e.stride(10) == 1
    assert e2e.stride(500) == 8
    assert len(range(0, 500, e2e.stride(500))) <= e2e.SAMPLES
    hist = LatencyHistogram()
    e2e.record(hist, Counter({10: 3, 11: 1, 1000: 1}))
    assert hist.total == 5
    assert hist.max == 1.0
    p50, _p90, _p99, _p999 = hist.percentiles((0.5, 0.9, 0.99, 0.999))
    assert p50 is not None
    assert 0.0099 < p50 < 0.0105


# ---------------------------------------------------------------------------------- specs

SPEC = MemberSpec(group="g", topics=("orders",))


@pytest.mark.parametrize(("changes", "message"), [
    ({"error_policy": "ignore"}, "Unknown error policy 'ignore'"),
    ({"value_format": "xml"}, "Unknown value format 'xml'"),
    ({"retry_then": "pause"}, "After its retries the retry policy can skip or dead-letter"),
    ({"retries": -1}, "retries must be between 0 and 100"),
    ({"fail_rate": 1.5}, "The failure rate must be between 0 and 1"),
    ({"fail_ids": ("p1/x",)}, "'p1/x' names no records"),
    ({"dead_letter_topic": "orders"}, "cannot be a topic the member reads"),
    ({"dead_letter_topic": "bad name"}, "may use only letters"),
    ({"max_restarts": -2}, "max restarts cannot be negative"),
])
def test_bad_error_handling_settings_are_one_sentence(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        replace(SPEC, **changes).validate()


def test_the_spec_names_its_dead_letter_topics_and_listener() -> None:
    assert SPEC.dead_letter_topics == frozenset()
    assert replace(SPEC, error_policy="dead-letter").dead_letter_topics == {"orders.DLT"}
    assert replace(SPEC, error_policy="retry", retry_then="dead-letter",
                   dead_letter_topic="errors").dead_letter_topics == {"errors"}
    assert replace(SPEC, error_policy="retry").dead_letter_topics == frozenset()
    assert dead_letter_topic("a", None) == "a.DLT"
    assert replace(SPEC, commit_on_revoke=True).listener_commits
    assert not replace(SPEC, commit_on_revoke=True, strategy="never").listener_commits
    assert replace(SPEC, error_policy="retry", retries=2, retry_backoff_ms=50,
                   retry_then="dead-letter").policy_label == "retry 2× 50 ms, then dead-letter"
    assert replace(SPEC, fail_ids=("p/0/1",), fail_transient=2).failures_label == "1 msg id(s), transient ×2"


# ---------------------------------------------------------------------------------- scenario steps

POLICY_SCENARIO = """
title: poison
goal: policies
topics: [{name: t, partitions: 2}]
steps:
  - produce: {name: p1, topic: t, count: 10}
  - start-members:
      group: g
      topic: t
      on-error: retry
      retries: 2
      retry-backoff-ms: 50
      retry-then: dead-letter
      value-format: json
      fail-ids: [p1/4, 7]
      fail-rate: 0.25
      fail-transient: 1
      commit-on-revoke: true
  - wait: {stuck: {group: g, partitions: 1}, timeout: 5}
  - switch-policy: {member: m, on-error: skip, commit-on-revoke: false}
expect:
  stuck: 1
  dead-lettered: 0
"""


def test_a_scenario_declares_the_error_handling_and_switches_it() -> None:
    from tests.scenarios.fake_driver import FakeDriver
    from tui.scenario.load import loads
    from tui.scenario.model import StartMembers, SwitchPolicy, WaitFor
    from tui.scenario.runner import ScenarioRun

    scenario = loads(POLICY_SCENARIO)
    start = scenario.steps[1].action
    assert isinstance(start, StartMembers)
    assert (start.on_error, start.retries, start.retry_backoff_ms, start.retry_then, start.value_format,
            start.fail_ids, start.fail_rate, start.fail_transient, start.commit_on_revoke) == (
        "retry", 2, 50, "dead-letter", "json", ("p1/4", "7"), 0.25, 1, True)
    wait = scenario.steps[2].action
    assert isinstance(wait, WaitFor)
    assert wait.condition == "stuck"
    switch = scenario.steps[3].action
    assert switch == SwitchPolicy("m", "skip", commit_on_revoke=False)
    driver = FakeDriver(nodes=1, counts={"stuck": 1})
    added: list[StartMembers] = []
    real_add = driver.add_member

    def add(spec: StartMembers, *args: Any) -> str:
        added.append(spec)
        return real_add(spec, *args)
    driver.add_member = add  # type: ignore[method-assign]
    run = ScenarioRun(scenario, driver=driver, run_suffix="abc")
    outcome = run.run_all()
    assert outcome.passed, outcome.error
    assert added[0].fail_ids == ("p1-abc/0/4", "7"), "the logical producer becomes this run's"
    assert ("policy", "m-abc", "skip", False) in driver.calls
    titles = [s.title for s in run.steps]
    assert "on error retry 2×, then dead-letter" in titles[1]
    assert titles[2] == "wait until >= 1 partition(s) of group g are stuck"
    assert titles[3] == "switch m's error policy to skip, commit-on-revoke off"


@pytest.mark.parametrize(("step", "message"), [
    ("start-members: {group: g, topic: t, on-error: never}", "on-error"),
    ("start-members: {group: g, topic: t, retries: 2}", "'retries' is for 'on-error: retry'"),
    ("start-members: {group: g, topic: t, on-error: retry, retry-then: pause}", "'retry-then' must be skip or"),
    ("start-members: {group: g, topic: t, fail-ids: [p9/1]}", "names producer 'p9'"),
    ("start-members: {group: g, topic: t, fail-rate: 3}", "fail-rate"),
    ("start-members: {group: g, topic: t, value-format: xml}", "value-format"),
])
def test_bad_error_handling_in_a_scenario_is_one_sentence(step: str, message: str) -> None:
    from tui.scenario.load import ScenarioError, loads

    text = f"title: x\ngoal: y\ntopics: [{{name: t}}]\nsteps:\n  - {step}\n"
    with pytest.raises(ScenarioError, match="step 1 \\(start-members\\)") as err:
        loads(text, source="bad.yaml")
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_switch_policy_needs_a_policy_and_a_started_member() -> None:
    from tui.scenario.load import ScenarioError, loads

    base = "title: x\ngoal: y\ntopics: [{name: t}]\nsteps:\n  - start-members: {group: g, topic: t}\n"
    with pytest.raises(ScenarioError, match="on-error"):
        loads(base + "  - switch-policy: {member: m}\n")
    with pytest.raises(ScenarioError, match="member 'nobody' was not started"):
        loads(base + "  - switch-policy: {member: nobody, on-error: skip}\n")
