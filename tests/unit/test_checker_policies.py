"""Error policies judged from both sides (issue 13): skip, dead-letter (and its DLT), retry, pause, fail
(the stuck partition), the rebalance listener; each excused case has a twin that is not, with exact
counts and explanations that name the cause. Plus the dead-letter header format's reader and writer."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tui.engine.checker import Verdict, check, explain_record
from tui.engine.checker.builder import HistoryBuilder
from tui.engine.history import DltOrigin, dlt_headers
from tui.engine.record_format import HEADER_DLT_OFFSET, HEADER_DLT_TOPIC, HEADER_ID
from tui.vocab import PolicyAction


def nonzero(verdict: Verdict) -> dict[str, int]:
    return {k: n for k, n in verdict.counts.items() if n}


def texts(verdict: Verdict) -> list[str]:
    return [a.explanation for a in verdict.anomalies]


def run(n: int = 6, strategy: str = "sync-per-message", partitions: int = 1) -> HistoryBuilder:
    b = HistoryBuilder("orders", partitions=partitions)
    b.producer("p1", acks="all", idempotent=True)
    for p in range(partitions):
        b.produce("p1", n, partition=p)
    b.member("m1", strategy=strategy)
    b.assign("m1", list(range(partitions)), committed=dict.fromkeys(range(partitions), 0))
    return b


def poison_at(b: HistoryBuilder, offset: int, partition: int = 0) -> None:
    """Consume up to ``offset`` and receive the poison record there."""
    b.consume("m1", partition, range(offset))
    b.deliver("m1", partition, [offset])


def finish(b: HistoryBuilder, past: int, n: int = 6, partition: int = 0) -> None:
    """Commit past the poison record and consume the rest."""
    b.commit("m1", {partition: past + 1})
    b.consume("m1", partition, range(past + 1, n))
    b.final_commit("g", {partition: n})


# ------------------------------------------------------------------------------------------ skip

def test_a_record_skipped_by_policy_is_expected_and_names_its_error() -> None:
    b = run()
    poison_at(b, 3)
    b.skip_failed("m1", 0, 3, error="missing-field")
    finish(b, 3)
    verdict = check(b.build())
    assert nonzero(verdict) == {"skipped-by-policy": 1}
    (a,) = verdict.of_kind("skipped-by-policy")
    assert (a.offsets, a.judgement, a.members) == ((3,), "expected", ("m1",))
    assert "missing-field" in a.explanation
    assert "its error policy skipped it" in a.explanation
    assert verdict.ok
    assert verdict.summary.failed == 1


def test_a_failed_record_committed_past_without_a_skip_policy_is_a_plain_skip() -> None:
    """The twin: the same failure, but no POLICY skip: the member committed past what it never processed."""
    b = run()
    poison_at(b, 3)
    b.fail("m1", 0, 3)
    finish(b, 3)
    verdict = check(b.build())
    assert nonzero(verdict) == {"skipped": 1}
    assert verdict.of_kind("skipped")[0].judgement == "violation"


def test_retry_then_skip_says_how_many_attempts() -> None:
    b = run()
    poison_at(b, 2)
    for attempt in (1, 2):
        b.fail("m1", 0, 2, attempt=attempt)
        b.policy("m1", 0, 2, PolicyAction.RETRY, attempt=attempt, detail="backoff 200 ms")
    b.skip_failed("m1", 0, 2, attempt=3)
    finish(b, 2)
    verdict = check(b.build())
    assert nonzero(verdict) == {"skipped-by-policy": 1}
    assert "after 3 attempts (retry, then skip)" in verdict.of_kind("skipped-by-policy")[0].explanation
    assert verdict.summary.failed == 3


def test_retry_that_succeeds_is_clean() -> None:
    b = run()
    poison_at(b, 2)
    b.fail("m1", 0, 2, error="transient")
    b.policy("m1", 0, 2, PolicyAction.RETRY, detail="backoff 100 ms")
    b.process("m1", 0, [2])
    finish(b, 2)
    assert nonzero(check(b.build())) == {}


def test_several_skipped_records_are_one_episode_per_member_and_error() -> None:
    b = run(8)
    b.consume("m1", 0, range(2))
    for off in (2, 4):
        b.deliver("m1", 0, [off])
        b.skip_failed("m1", 0, off)
        b.commit("m1", {0: off + 1})
        b.consume("m1", 0, [off + 1])
    b.deliver("m1", 0, [6])
    b.skip_failed("m1", 0, 6, error="tombstone")
    finish(b, 6, n=8)
    verdict = check(b.build())
    assert nonzero(verdict) == {"skipped-by-policy": 3}
    episodes = {a.offsets: a.explanation for a in verdict.of_kind("skipped-by-policy")}
    assert set(episodes) == {(2, 4), (6,)}
    assert "first: invalid-json" in episodes[(2, 4)]
    assert "tombstone" in episodes[(6,)]


# ------------------------------------------------------------------------------------------ dead-letter

def test_a_dead_lettered_record_is_expected_and_points_at_its_copy() -> None:
    b = run()
    poison_at(b, 3)
    b.dead_letter("m1", 0, 3)
    finish(b, 3)
    verdict = check(b.build())
    assert nonzero(verdict) == {"dead-lettered": 1}
    (a,) = verdict.of_kind("dead-lettered")
    assert (a.topic, a.partition, a.offsets, a.group, a.judgement) == ("orders", 0, (3,), "g", "expected")
    assert "orders.DLT/0@0" in a.explanation
    assert "invalid-json" in a.explanation
    assert verdict.ok


def test_dead_lettered_after_retries_says_so() -> None:
    b = run()
    poison_at(b, 1)
    b.fail("m1", 0, 1)
    b.policy("m1", 0, 1, PolicyAction.RETRY)
    b.dead_letter("m1", 0, 1, attempt=2)
    finish(b, 1)
    (a,) = check(b.build()).of_kind("dead-lettered")
    assert "after 2 attempts (retry, then dead-letter)" in a.explanation


def test_a_dlt_record_without_a_recorded_failure_is_a_violation() -> None:
    b = run()
    b.consume("m1", 0, range(6))
    b.dlt_store(0, 3, member="m1")            # in the DLT, yet m1 processed it and never failed on it
    b.final_commit("g", {0: 6})
    verdict = check(b.build())
    assert nonzero(verdict) == {"dead-lettered": 1}
    (a,) = verdict.of_kind("dead-lettered")
    assert a.judgement == "violation"
    assert "no member of group g recorded a failure" in a.explanation


def test_a_dlt_record_without_origin_headers_is_a_violation() -> None:
    b = run()
    poison_at(b, 3)
    b.dead_letter("m1", 0, 3)
    b.dlt_store(0, 3, origin=False)
    finish(b, 3)
    verdict = check(b.build())
    assert verdict.count("dead-lettered") == 2
    assert verdict.count("dead-lettered", "violation") == 1
    untraced = next(a for a in verdict.of_kind("dead-lettered") if a.judgement == "violation")
    assert (untraced.topic, untraced.offsets, untraced.group) == ("orders.DLT", (1,), None)
    assert "no readable origin" in untraced.explanation
    assert verdict.count("dlt-duplicate") == 0          # an untraceable copy is no second copy of anything


def test_an_origin_pointing_at_another_record_is_a_violation() -> None:
    b = run()
    poison_at(b, 3)
    b.dead_letter("m1", 0, 3)
    finish(b, 3)
    history = b.build()
    dlt = next(p for p in history.audit.partitions if p.topic == "orders.DLT")   # type: ignore[union-attr]
    wrong = (DltOrigin(offset=0, topic="orders", partition=0, source_offset=4, group="g", member="m1",
                       incarnation=0, error="invalid-json"),)
    audit = replace(history.audit, partitions=tuple(replace(p, dlt_origins=wrong) if p is dlt else p
                                                     for p in history.audit.partitions))   # type: ignore[union-attr]
    verdict = check(replace(history, audit=audit))
    (a,) = verdict.of_kind("dead-lettered")
    assert a.judgement == "violation"
    assert "which holds run00001/p1/0/4, not run00001/p1/0/3" in a.explanation


def test_acknowledged_dlt_send_missing_from_the_dlt_is_a_skip_violation() -> None:
    b = run()
    poison_at(b, 3)
    b.fail("m1", 0, 3)
    b.policy("m1", 0, 3, PolicyAction.DEAD_LETTER, detail="orders.DLT")
    b.dlt_send("m1", 0, 3, stored=False)
    finish(b, 3)
    verdict = check(b.build())
    assert nonzero(verdict) == {"skipped": 1}
    (a,) = verdict.of_kind("skipped")
    assert a.judgement == "violation"
    assert "the send was acknowledged (orders.DLT/0@0), yet the dead-letter topic's re-read does not hold it" \
        in a.explanation


def test_committing_past_a_failed_dlt_send_is_a_skip_violation() -> None:
    b = run()
    poison_at(b, 3)
    b.fail("m1", 0, 3)
    b.policy("m1", 0, 3, PolicyAction.DEAD_LETTER, detail="orders.DLT")
    b.dlt_send("m1", 0, 3, ok=False, error="UNKNOWN_TOPIC_OR_PART")
    finish(b, 3)
    verdict = check(b.build())
    assert nonzero(verdict) == {"skipped": 1}
    assert "the DLT send failed (UNKNOWN_TOPIC_OR_PART)" in verdict.of_kind("skipped")[0].explanation


def test_a_dlt_send_to_a_topic_that_was_not_reread_is_trusted_and_said() -> None:
    b = run()
    poison_at(b, 3)
    b.dead_letter("m1", 0, 3)
    finish(b, 3)
    history = b.build()
    audit = replace(history.audit, partitions=tuple(p for p in history.audit.partitions  # type: ignore[union-attr]
                                                     if p.topic != "orders.DLT"))
    verdict = check(replace(history, audit=audit, dead_letter_topics=frozenset()))
    assert nonzero(verdict) == {"dead-lettered": 1}
    assert "did not re-read that topic" in verdict.of_kind("dead-lettered")[0].explanation


def test_crash_between_dlt_send_and_commit_is_an_expected_dlt_duplicate() -> None:
    b = run(strategy="sync-per-batch")
    poison_at(b, 3)
    b.dead_letter("m1", 0, 3)
    b.crash("m1", "after the DLT send, before the commit")
    b.restart("m1")
    b.assign("m1", [0], committed={0: 3})
    b.deliver("m1", 0, [3])
    b.dead_letter("m1", 0, 3)
    finish(b, 3)
    verdict = check(b.build())
    assert nonzero(verdict) == {"dead-lettered": 1, "dlt-duplicate": 1, "redelivered": 1}
    (a,) = verdict.of_kind("dlt-duplicate")
    assert (a.offsets, a.judgement) == ((3,), "expected")
    assert "member m1 crashed" in a.explanation
    assert "member m1 (incarnation 1) met the record again" in a.explanation
    assert "a crash between the two puts the record in the DLT twice" in a.explanation
    assert verdict.ok


def test_two_dlt_copies_from_one_incarnation_without_a_crash_are_a_violation() -> None:
    b = run()
    poison_at(b, 3)
    b.dead_letter("m1", 0, 3)
    b.dlt_send("m1", 0, 3)
    finish(b, 3)
    verdict = check(b.build())
    assert nonzero(verdict) == {"dead-lettered": 1, "dlt-duplicate": 1}
    (a,) = verdict.of_kind("dlt-duplicate")
    assert a.judgement == "violation"
    assert "without a crash or rebalance in between" in a.explanation


def test_dlt_records_of_earlier_runs_are_not_judged() -> None:
    b = HistoryBuilder("orders")
    b.producer("p1")
    b.produce("p1", 6)
    b.dlt_store(0, 1, origin=True)                 # left in the DLT by an earlier run
    b.member("m1")
    b.assign("m1", [0], committed={0: 4})
    b.consume("m1", 0, range(4, 6))
    b.final_commit("g", {0: 6})
    assert nonzero(check(b.build())) == {}


def test_a_dlt_duplicate_is_not_a_log_duplicate() -> None:
    b = run()
    poison_at(b, 3)
    b.dead_letter("m1", 0, 3)
    b.dlt_send("m1", 0, 3)
    finish(b, 3)
    assert check(b.build()).count("log-duplicate") == 0


def test_explain_record_follows_a_record_into_the_dlt() -> None:
    b = run()
    poison_at(b, 3)
    b.dead_letter("m1", 0, 3)
    finish(b, 3)
    lines = explain_record(b.build(), "run00001/p1/0/3")
    text = "\n".join(lines)
    assert "failed to process it at orders/0@3: invalid-json" in text
    assert "error policy: dead-letter (orders.DLT)" in text
    assert "dead-lettered it to orders.DLT/0@0" in text
    assert "a dead-letter copy at orders.DLT/0@0 (from orders/0@3, invalid-json, sent by member m1)" in text


def test_the_dlt_headers_round_trip_and_a_plain_record_has_no_origin() -> None:
    written = dlt_headers("orders", 2, 41, "g", "m1", 3, "invalid-json", "x" * 500)
    headers = [(HEADER_ID, b"run/p/0/3"), *written]
    origin = DltOrigin.from_headers(7, headers)
    assert origin == DltOrigin(offset=7, topic="orders", partition=2, source_offset=41, group="g", member="m1",
                               incarnation=3, error="invalid-json")
    assert max(len(v) for _k, v in headers) == 256                 # the message is capped
    assert DltOrigin.from_headers(0, [(HEADER_ID, b"run/p/0/3")]) is None
    assert DltOrigin.from_headers(0, None) is None
    broken = DltOrigin.from_headers(0, [(HEADER_DLT_TOPIC, b"orders"), (HEADER_DLT_OFFSET, b"-x")])
    assert broken is not None
    assert (broken.topic, broken.partition, broken.source_offset) == ("orders", None, None)


# ------------------------------------------------------------------------------------------ stuck

def crash_loop(b: HistoryBuilder, offset: int, times: int) -> None:
    for _ in range(times):
        b.deliver("m1", 0, [offset])
        b.fail("m1", 0, offset)
        b.policy("m1", 0, offset, PolicyAction.FAIL)
        b.crash("m1", f"error policy fail on offset {offset}")
        b.restart("m1")
        b.assign("m1", [0], committed={0: offset})


def test_a_crash_loop_is_an_expected_stuck_partition_with_the_failing_record() -> None:
    b = run(6, strategy="sync-per-batch")
    t0 = b.tick()
    b.consume("m1", 0, range(2), commit=None)
    b.commit("m1", {0: 2})
    b.deliver("m1", 0, [2, 3, 4])               # a batch: 2 and 3 processed, 4 fails
    b.process("m1", 0, [2, 3])
    b.fail("m1", 0, 4)
    b.policy("m1", 0, 4, PolicyAction.FAIL)
    b.crash("m1", "error policy fail on offset 4")
    b.restart("m1")
    b.assign("m1", [0], committed={0: 2})
    b.stall("g", 0, 2, since=t0, until=t0 + 40.0, lag=4)
    verdict = check(b.build())
    (a,) = verdict.of_kind("stuck")
    assert (a.offsets, a.msg_ids, a.judgement, a.count) == ((4,), ("run00001/p1/0/4",), "expected", 1)
    assert "made no progress on orders/0 for 40 s" in a.explanation
    assert "committed offset 2" in a.explanation
    assert "a crash loop" in a.explanation
    assert "crashed the member 1 time," in a.explanation
    assert verdict.ok
    assert verdict.headline == "ok so far: 1 record not yet consumed by g; 1 partition stuck"


def test_a_partition_paused_by_policy_is_expected_and_its_redelivery_is_the_seek() -> None:
    b = run(strategy="sync-per-batch")
    t0 = b.tick()
    b.consume("m1", 0, range(2), commit=None)
    b.commit("m1", {0: 2})
    b.deliver("m1", 0, [2, 3])
    b.fail("m1", 0, 2)
    b.policy("m1", 0, 2, PolicyAction.PAUSE)
    b.seek("m1", 0, 2)
    b.stall("g", 0, 2, since=t0, until=t0 + 20.0, lag=4)
    verdict = check(b.build())
    (a,) = verdict.of_kind("stuck")
    assert a.judgement == "expected"
    assert "the error policy pause paused the partition; it was not resumed" in a.explanation
    b.policy("m1", 0, 2, PolicyAction.RESUME, detail="by user")
    b.policy("m1", 0, 2, PolicyAction.SKIP)       # switched to skip, then resumed: moves on
    b.deliver("m1", 0, [2])
    finish(b, 2, n=6)
    after = check(b.build())
    assert after.count("nonmonotonic-poll") == 0
    (again,) = after.of_kind("redelivered")
    assert again.explanation.startswith("member m1 seeked partition 0 back to offset 2")
    assert after.count("skipped-by-policy") == 1


def test_a_stall_without_any_failure_is_liveness() -> None:
    b = run()
    t0 = b.tick()
    b.consume("m1", 0, range(3))
    b.stall("g", 0, 3, since=t0, until=t0 + 15.0, ongoing=False, lag=3)
    (a,) = check(b.build()).of_kind("stuck")
    assert (a.judgement, a.offsets, a.msg_ids) == ("liveness", (3,), ("run00001/p1/0/3",))
    assert "no member reported a failure there" in a.explanation
    assert "still stuck" not in a.explanation


def test_a_skip_that_did_not_move_the_group_is_a_violation() -> None:
    b = run()
    t0 = b.tick()
    poison_at(b, 1)
    b.skip_failed("m1", 0, 1)
    b.stall("g", 0, 1, since=t0, until=t0 + 15.0, lag=5)
    (a,) = check(b.build()).of_kind("stuck")
    assert a.judgement == "violation"
    assert "yet the group did not move past it" in a.explanation


def test_a_failing_dlt_send_explains_a_stuck_dead_letter_policy() -> None:
    b = run()
    t0 = b.tick()
    poison_at(b, 1)
    b.fail("m1", 0, 1)
    b.policy("m1", 0, 1, PolicyAction.DEAD_LETTER, detail="orders.DLT")
    b.dlt_send("m1", 0, 1, ok=False, error="TOPIC_AUTHORIZATION_FAILED")
    b.stall("g", 0, 1, since=t0, until=t0 + 15.0, lag=5)
    (a,) = check(b.build()).of_kind("stuck")
    assert a.judgement == "expected"
    assert "TOPIC_AUTHORIZATION_FAILED" in a.explanation


def test_stalls_under_the_threshold_are_quiet_and_repeated_samples_count_once() -> None:
    b = run()
    t0 = b.tick()
    crash_loop(b, 0, 3)
    b.stall("g", 0, 0, since=t0, until=t0 + 9.0)
    assert check(b.build()).count("stuck") == 0
    b.stall("g", 0, 0, since=t0, until=t0 + 12.0)
    b.stall("g", 0, 0, since=t0, until=t0 + 30.0)
    verdict = check(b.build())
    assert verdict.count("stuck") == 1
    assert "for 30 s" in verdict.of_kind("stuck")[0].explanation
    b.stall_threshold = 60.0
    assert check(b.build()).count("stuck") == 0


# ------------------------------------------------------------------------------------------ rebalance listener

def cooperative_revoke(listener: bool | None, commit: bool = False, ok: bool = True) -> Verdict:
    """m1 processed orders/2 40-44 (committed 40), partition 2 moves to m2 in a cooperative rebalance."""
    b = HistoryBuilder("orders", partitions=3)
    b.producer("p1", acks="all", idempotent=True)
    b.produce("p1", 50, partition=2)
    b.member("m1", strategy="async-per-batch")
    b.member("m2", strategy="async-per-batch")
    b.assign("m1", [2], committed={2: 40}, generation=7)
    b.consume("m1", 2, range(40, 45), commit=None)
    if commit:
        b.commit("m1", {2: 45}, ok=ok, error=None if ok else "REBALANCE_IN_PROGRESS", detail="on-revoke")
    b.revoke("m1", [2], commit_on_revoke=listener)
    b.assign("m2", [2], committed={2: 45 if commit and ok else 40}, generation=8)
    b.consume("m2", 2, range(45 if commit and ok else 40, 50), commit=None)
    b.commit("m2", {2: 50}, mode="async")
    b.final_commit("g", {2: 50})
    return check(b.build())


def test_without_commit_on_revoke_the_revoked_records_are_processed_twice_and_it_says_why() -> None:
    verdict = cooperative_revoke(listener=False)
    assert nonzero(verdict) == {"redelivered": 5, "processed-twice": 5}
    (a,) = verdict.of_kind("processed-twice")
    assert a.judgement == "expected"
    assert a.explanation.startswith(
        "member m1 had processed offsets 40–44 when partition 2 was revoked and did not commit them "
        "(no commit-on-revoke; ")
    assert "they were processed again by member m2 in generation 8" in a.explanation


def test_with_commit_on_revoke_the_same_rebalance_is_clean() -> None:
    assert nonzero(cooperative_revoke(listener=True, commit=True)) == {}


def test_commit_on_revoke_that_did_not_commit_is_the_members_fault() -> None:
    verdict = cooperative_revoke(listener=True, commit=False)
    (a,) = verdict.of_kind("processed-twice")
    assert a.judgement == "violation"
    assert "commit-on-revoke was on, yet no commit covered them" in a.explanation


def test_a_failed_commit_on_revoke_excuses_the_repeat() -> None:
    verdict = cooperative_revoke(listener=True, commit=True, ok=False)
    (a,) = verdict.of_kind("processed-twice")
    assert a.judgement == "expected"
    assert "its commit on revoke failed (REBALANCE_IN_PROGRESS)" in a.explanation


@pytest.mark.parametrize("listener", [True, False])
def test_after_a_lost_partition_the_listener_cannot_help(listener: bool) -> None:
    b = HistoryBuilder("orders")
    b.producer("p1")
    b.produce("p1", 10)
    b.member("m1", strategy="async-per-batch")
    b.member("m2", strategy="async-per-batch")
    b.assign("m1", [0], committed={0: 0}, generation=1)
    b.consume("m1", 0, range(5), commit=None)
    b.lose("m1", [0], commit_on_revoke=listener)
    b.assign("m2", [0], committed={0: 0}, generation=2)
    b.consume("m2", 0, range(10), commit=None)
    b.commit("m2", {0: 10}, mode="async")
    (a,) = check(b.build()).of_kind("processed-twice")
    assert a.judgement == "expected"
    assert "when partition 0 was lost" in a.explanation
    assert "cannot be committed any more" in a.explanation


def test_an_unrecorded_listener_keeps_the_old_explanation() -> None:
    (a,) = cooperative_revoke(listener=None).of_kind("processed-twice")
    assert a.explanation.startswith("partition 2 was revoked from member m1 in generation 7")
