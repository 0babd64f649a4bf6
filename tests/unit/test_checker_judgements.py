"""Every judgement rule from both sides (issue 18): the case that must be excused and its twin that must
not, with exact counts, and explanations that say why (or what the tool cannot see)."""

from __future__ import annotations

import pytest

from tui.engine.checker import Verdict, check
from tui.engine.checker.builder import HistoryBuilder

CAP_NOTE = "the consumption log reached its cap: 12 events were not recorded"


def nonzero(verdict: Verdict) -> dict[str, int]:
    return {k: n for k, n in verdict.counts.items() if n}


def loss(acks: str = "1", topic: str = "orders", partitions: int = 1, lost_on: int = 0) -> HistoryBuilder:
    """Two records, one acked record missing behind them, one more: an acked loss on ``lost_on``."""
    b = HistoryBuilder(topic, partitions=partitions)
    b.producer("p1", acks=acks)
    for p in range(partitions):
        b.produce("p1", 2, partition=p)
    b.produce("p1", 1, partition=lost_on, stored=False)
    for p in range(partitions):
        b.produce("p1", 1, partition=p)
    return b


# ------------------------------------------------------------------------------------------ A6 by strategy

def crash_after_auto_commit(strategy: str) -> Verdict:
    """Ten records returned, three processed, an auto-mode commit of all ten, crash."""
    b = HistoryBuilder("orders")
    b.producer("p1")
    b.produce("p1", 10)
    b.member("m1", strategy=strategy)
    b.assign("m1", [0], committed={})
    b.deliver("m1", 0, range(10))
    b.process("m1", 0, range(3))
    b.commit("m1", {0: 10}, mode="auto")   # a timer/close/revoke commit always reports mode "auto"
    b.crash("m1", "after processing 3 of 10 in a batch")
    b.final_commit("g", {0: 10})
    return check(b.build())


def test_a_skip_under_auto_stored_is_a_violation_even_with_an_auto_mode_commit() -> None:
    verdict = crash_after_auto_commit("auto-stored")
    assert nonzero(verdict) == {"skipped": 7}
    (a,) = verdict.of_kind("skipped")
    assert (a.count, a.judgement) == (7, "violation")
    assert "strategy auto-stored" in a.explanation
    assert "should only commit processed records" in a.explanation
    assert "returned to the application" not in a.explanation   # no false auto-commit reason
    assert not verdict.ok


def test_the_same_skip_under_auto_is_the_documented_at_most_once_outcome() -> None:
    verdict = crash_after_auto_commit("auto")
    assert nonzero(verdict) == {"skipped": 7}
    (a,) = verdict.of_kind("skipped")
    assert (a.count, a.judgement) == (7, "expected")
    assert "returned to the application" in a.explanation
    assert verdict.ok


def test_the_committing_members_strategy_decides_not_the_receiving_ones() -> None:
    """m1 (sync-per-batch) received the batch and crashed; m2 (commit-before) committed past it."""
    b = HistoryBuilder("orders")
    b.producer("p1")
    b.produce("p1", 6)
    b.member("m1", strategy="sync-per-batch")
    b.member("m2", strategy="commit-before")
    b.assign("m1", [0], committed={}, generation=1)
    b.deliver("m1", 0, range(6))
    b.process("m1", 0, range(2))
    b.crash("m1")
    b.assign("m2", [0], committed={}, generation=2)
    b.commit("m2", {0: 6})
    b.final_commit("g", {0: 6})
    (a,) = check(b.build()).of_kind("skipped")
    assert (a.count, a.judgement) == (4, "expected")
    assert "strategy commit-before" in a.explanation


# ------------------------------------------------------------------------------------------ excuses do not leak

def test_a_note_excuses_nothing_and_travels_with_the_verdict() -> None:
    b = loss(acks="1")
    b.notes.append(CAP_NOTE)
    verdict = check(b.build())
    (a,) = verdict.of_kind("lost")
    assert a.judgement == "violation"
    assert verdict.notes == (CAP_NOTE,)
    assert verdict.to_json()["notes"] == [CAP_NOTE]


@pytest.mark.parametrize(("unclean", "judgement"), [("orders", "expected"), ("other", "violation")])
def test_unclean_election_is_judged_per_topic(unclean: str, judgement: str) -> None:
    b = loss(acks="all")
    b.fault(1, "kill")                     # partitions unknown: it may have touched every partition
    b.unclean_topics.add(unclean)
    (a,) = check(b.build()).of_kind("lost")
    assert a.judgement == judgement, a.explanation
    if judgement == "expected":
        assert "topic orders allows unclean leader election" in a.explanation
        assert "killed node 1" in a.explanation


def test_unclean_election_allowed_but_nothing_happened_to_the_partition_excuses_nothing() -> None:
    b = loss(acks="all")
    b.unclean_topics.add("orders")
    (a,) = check(b.build()).of_kind("lost")
    assert a.judgement == "violation"
    assert "allows unclean leader election, but no leader change or fault was recorded on orders/0" in (
        a.explanation)


@pytest.mark.parametrize(("hosted", "judgement"), [(0, "expected"), (1, "violation")])
def test_a_fault_excuses_only_the_partitions_it_touched(hosted: int, judgement: str) -> None:
    b = loss(acks="1", partitions=2, lost_on=0)
    b.fault(2, "kill", partitions=[hosted])
    (a,) = check(b.build()).of_kind("lost")
    assert (a.partition, a.judgement) == (0, judgement)
    if judgement == "expected":
        assert "it hosted orders/0" in a.explanation


# ------------------------------------------------------------------------------------------ acks=1 / min ISR 1

def test_acks1_loss_after_a_leader_change_made_outside_the_engine_is_expected_and_says_which() -> None:
    b = HistoryBuilder("orders")
    b.producer("p1", acks="1")
    b.produce("p1", 2)
    b.produce("p1", 1, stored=False)
    b.leader_change(0, old=2, new=3)       # seen by the watcher; nobody here broke anything
    b.produce("p1", 1)
    verdict = check(b.build())
    (a,) = verdict.of_kind("lost")
    assert (a.count, a.judgement) == (1, "expected")
    assert "the leader of orders/0 moved from node 2 to node 3 at " in a.explanation
    assert "before its followers copied the record" in a.explanation
    assert verdict.ok


def test_acks1_loss_after_a_node_killed_outside_this_app_names_it() -> None:
    b = loss(acks="1")
    b.fault(3, "kill", partitions=[0], origin="outside")
    (a,) = check(b.build()).of_kind("lost")
    assert a.judgement == "expected"
    assert "killed node 3 (outside this app)" in a.explanation


def test_acks1_loss_without_a_leader_change_is_a_violation_that_says_what_the_tool_cannot_see() -> None:
    b = loss(acks="1")
    b.leader_change(0, old=1, new=2, topic="elsewhere")   # another topic's leader moved
    (a,) = check(b.build()).of_kind("lost")
    assert a.judgement == "violation"
    assert "no leader change or fault was recorded on orders/0" in a.explanation
    assert "cannot see" in a.explanation


@pytest.mark.parametrize("min_isr", [1, 2])
def test_acks_all_loss_is_a_violation_even_with_min_insync_one(min_isr: int) -> None:
    b = loss(acks="all")
    b.min_insync["orders"] = min_isr
    b.fault(1, "kill", partitions=[0])
    b.leader_change(0, old=1, new=2)
    (a,) = check(b.build()).of_kind("lost")
    assert a.judgement == "violation"
    assert "cannot see" in a.explanation
    if min_isr == 1:
        assert "KRaft leaves a partition leaderless" in a.explanation
        assert "page cache" in a.explanation


def test_acks0_loss_is_expected_without_any_evidence() -> None:
    (a,) = check(loss(acks="0").build()).of_kind("lost")
    assert a.judgement == "expected"


# ------------------------------------------------------------------------------------------ truncation

def truncated_reader(expected_loss: bool) -> Verdict:
    """A reader consumes 0-4 and commits 5; the log is truncated at 3 and rewritten; librdkafka seeks back
    by itself (unlogged), so the reader receives 3 again in the same assignment and commits 4."""
    b = HistoryBuilder("orders")
    b.producer("p1", acks="1")
    b.produce("p1", 5)
    b.member("m1")
    b.assign("m1", [0], committed={0: 0})
    b.consume("m1", 0, range(5), commit=None)
    b.commit("m1", {0: 5})
    b.truncate(0, 3)
    if expected_loss:
        b.leader_change(0, old=1, new=2)
        b.unclean_topics.add("orders")
    b.produce("p1", 2)                     # new records at 3 and 4
    b.consume("m1", 0, [3], commit=None)
    b.commit("m1", {0: 4})
    b.consume("m1", 0, [4], commit=None)
    b.commit("m1", {0: 5})
    b.final_commit("g", {0: 5})
    return check(b.build())


def test_rewinds_on_a_partition_with_an_expected_loss_are_excused_and_say_why() -> None:
    verdict = truncated_reader(expected_loss=True)
    assert verdict.ok, [a.explanation for a in verdict.anomalies if a.judgement == "violation"]
    (lost,) = verdict.of_kind("lost")
    assert (lost.count, lost.judgement) == (2, "expected")
    (nm,) = verdict.of_kind("nonmonotonic-poll")
    assert (nm.count, nm.judgement) == (1, "expected")
    assert "seeks to the new log end by itself" in nm.explanation
    assert "cannot see" in nm.explanation
    (regression,) = verdict.of_kind("commit-anomaly")
    assert (regression.judgement, regression.offsets) == ("expected", (4, 5))
    assert verdict.count("processed-twice") == 0       # offsets 3-4 now hold other records


def test_the_same_rewinds_without_an_expected_loss_are_violations() -> None:
    verdict = truncated_reader(expected_loss=False)
    assert {a.kind: a.judgement for a in verdict.anomalies
            if a.kind in ("lost", "nonmonotonic-poll", "commit-anomaly")} == {
        "lost": "violation", "nonmonotonic-poll": "violation", "commit-anomaly": "violation"}


# ------------------------------------------------------------------------------------------ latest reset

def never_commit_restart(reset: str) -> Verdict:
    """Strategy never (no commit, ever): 10 records returned, 3 processed, crash; 5 more produced while
    down; the restart has no committed offset, so auto.offset.reset picks its start."""
    b = HistoryBuilder("orders")
    b.producer("p1")
    b.produce("p1", 10)
    b.member("m1", strategy="never")
    b.reset_policy["g"] = reset
    b.assign("m1", [0], committed={}, generation=1)
    b.deliver("m1", 0, range(10))
    b.process("m1", 0, range(3))
    b.crash("m1", "after processing 3 of 10 in a batch")
    b.produce("p1", 5)
    b.restart("m1")
    b.assign("m1", [0], committed={}, generation=2)
    b.produce("p1", 3)                     # 15-17, after the restart
    start = 15 if reset == "latest" else 0
    b.deliver("m1", 0, range(start, 18))
    b.process("m1", 0, range(start, 18))
    return check(b.build())


def test_latest_reset_after_a_restart_without_commit_reports_what_it_jumped_over() -> None:
    verdict = never_commit_restart("latest")
    assert nonzero(verdict) == {"skipped": 12}, [a.explanation for a in verdict.anomalies]
    received, never = verdict.of_kind("skipped")
    assert (received.offsets, never.offsets) == (tuple(range(3, 10)), tuple(range(10, 15)))
    for a in (received, never):
        assert a.judgement == "expected"
        assert "with no committed offset, and auto.offset.reset=latest started it at offset 15" in a.explanation
    assert "had received them without processing them" in received.explanation
    assert "had received" not in never.explanation


def test_earliest_reset_after_the_same_restart_redelivers_instead() -> None:
    verdict = never_commit_restart("earliest")
    assert verdict.count("skipped") == 0
    assert verdict.count("unconsumed") == 0
    assert verdict.count("redelivered") == 10
    assert verdict.count("processed-twice") == 3


def test_latest_group_records_produced_after_it_started_but_never_read_are_unconsumed_not_skipped() -> None:
    b = HistoryBuilder("orders")
    b.producer("p1")
    early = b.produce("p1", 4)
    b.member("m1")
    b.reset_policy["g"] = "latest"
    b.assign("m1", [0], committed={})
    b.produce("p1", 3)                     # 4-6, after the group started; the run ends before it reads them
    verdict = check(b.build())
    assert nonzero(verdict) == {"skipped": 4, "unconsumed": 3}
    (skip,) = verdict.of_kind("skipped")
    assert (skip.msg_ids, skip.judgement) == (tuple(early), "expected")
    assert "before group start" in skip.explanation
    (left,) = verdict.of_kind("unconsumed")
    assert (left.offsets, left.judgement) == ((4, 5, 6), "liveness")


def test_latest_group_that_skips_past_committed_records_for_another_reason_is_still_a_violation() -> None:
    """Records produced after the group started, committed past without being delivered: not excused by
    the reset policy."""
    b = HistoryBuilder("orders")
    b.producer("p1")
    b.member("m1")
    b.reset_policy["g"] = "latest"
    b.produce("p1", 6)
    b.assign("m1", [0], committed={0: 0})
    b.consume("m1", 0, range(2), commit=None)
    b.commit("m1", {0: 6})
    b.final_commit("g", {0: 6})
    verdict = check(b.build())
    (a,) = verdict.of_kind("skipped")
    assert (a.count, a.judgement, a.offsets) == (4, "violation", (2, 3, 4, 5))
    assert "no member of the group ever received them" in a.explanation


# ------------------------------------------------------------------------------------------ clean leave

def leave_then_reprocess(strategy: str, commit_before_leaving: str) -> Verdict:
    """m1 processes 0-3 and leaves cleanly; m2 takes the partition over."""
    b = HistoryBuilder("orders")
    b.producer("p1")
    b.produce("p1", 4)
    b.member("m1", strategy=strategy)
    b.member("m2", strategy=strategy)
    b.assign("m1", [0], committed={0: 0}, generation=1)
    b.consume("m1", 0, range(4), commit=None)
    if commit_before_leaving == "ok":
        b.commit("m1", {0: 4})
    elif commit_before_leaving == "failed":
        b.commit("m1", {0: 4}, ok=False, error="REBALANCE_IN_PROGRESS")
    b.leave("m1")
    committed = 4 if commit_before_leaving == "ok" else 0
    b.assign("m2", [0], committed={0: committed}, generation=2)
    b.consume("m2", 0, range(committed, 4), commit=None)
    return check(b.build())


def test_reprocessing_after_a_clean_leave_without_its_commit_is_the_members_fault() -> None:
    verdict = leave_then_reprocess("sync-per-batch", "none")
    (a,) = verdict.of_kind("processed-twice")
    assert (a.count, a.judgement) == (4, "violation")
    assert "the member left cleanly without committing what it processed" in a.explanation
    assert "the member's fault" in a.explanation
    assert not verdict.ok


def test_a_clean_leave_whose_commit_failed_redelivers_as_at_least_once() -> None:
    (a,) = leave_then_reprocess("sync-per-batch", "failed").of_kind("processed-twice")
    assert (a.count, a.judgement) == (4, "expected")
    assert "REBALANCE_IN_PROGRESS" in a.explanation


def test_a_clean_leave_that_committed_reprocesses_nothing() -> None:
    verdict = leave_then_reprocess("sync-per-batch", "ok")
    assert nonzero(verdict) == {}
    assert verdict.headline == "ok"


def test_strategy_never_reprocesses_after_a_clean_leave_by_design() -> None:
    (a,) = leave_then_reprocess("never", "none").of_kind("processed-twice")
    assert (a.count, a.judgement) == (4, "expected")
    assert "not even on a clean leave" in a.explanation


def test_acks1_loss_with_only_an_earlier_leader_change_says_the_later_one_went_unseen() -> None:
    b = HistoryBuilder("orders")
    b.producer("p1", acks="1")
    b.leader_change(0, old=1, new=2)
    b.produce("p1", 2)
    b.produce("p1", 1, stored=False)
    b.produce("p1", 1)
    (a,) = check(b.build()).of_kind("lost")
    assert a.judgement == "expected"
    assert "before this record was sent; the watcher only samples the cluster" in a.explanation
    assert "before its followers copied" not in a.explanation


def test_explain_record_says_why_a_retried_not_enough_replicas_is_indefinite() -> None:
    from tui.engine.checker import explain_record
    from tui.engine.history import Outcome

    b = HistoryBuilder("orders")
    b.producer("p1", acks="all", retries=5)
    mid = b.produce("p1", 1, outcome=Outcome.FAIL_INDEFINITE, error="NOT_ENOUGH_REPLICAS", stored=True)[0]
    text = "\n".join(explain_record(b.build(), mid))
    assert "an earlier attempt may have timed out in flight" in text
    assert check(b.build()).count("aborted-visible") == 0     # legitimately in the log
