"""Checker unit tests on hand-written histories (delivery-semantics.md §5.1 tier 1).

Mutation style: a fault-free history is clean; each injected anomaly is reported exactly once, with the
right kind, judgement, records and cause.
"""

from __future__ import annotations

import json
import re

import pytest

from tui.engine.checker import KINDS, Verdict, check, explain_record
from tui.engine.checker.builder import HistoryBuilder
from tui.engine.history import Outcome, TxnOutcome


def only(verdict: Verdict, kind: str) -> None:
    """Every kind except ``kind`` is zero."""
    others = {k: n for k, n in verdict.counts.items() if k != kind and n}
    assert not others, f"unexpected anomalies {others}: {[a.explanation for a in verdict.anomalies]}"


def clean_run(strategy: str = "sync-per-message") -> HistoryBuilder:
    """Two partitions, 10 records each, one member that processes and commits everything."""
    b = HistoryBuilder("orders", partitions=2)
    b.producer("p1", acks="all", idempotent=True)
    for p in (0, 1):
        b.produce("p1", 10, partition=p)
    b.member("m1", strategy=strategy)
    b.assign("m1", [0, 1], committed={})
    for p in (0, 1):
        b.consume("m1", p, range(10))
    b.final_commit("g", {0: 10, 1: 10})
    return b


# ------------------------------------------------------------------------------------------ API shape

def test_empty_history_is_clean_and_every_kind_is_counted() -> None:
    verdict = check(HistoryBuilder().build())
    assert verdict.ok
    assert set(verdict.counts) == set(KINDS)
    assert all(n == 0 for n in verdict.counts.values())
    assert Verdict().ok
    assert Verdict().counts == verdict.counts


def test_unknown_kind_is_one_clear_error() -> None:
    with pytest.raises(ValueError, match="unknown anomaly kind 'lots'"):
        check(HistoryBuilder().build()).count("lots")


def test_to_json_is_stable_and_serialisable() -> None:
    b = clean_run()
    b.store(0, b.ledger_row(b.produce("p1", 1, partition=0)[0]).msg_id)  # a duplicate
    data = check(b.build()).to_json(max_items=1)
    text = json.dumps(data)
    assert set(data) == {"ok", "headline", "unconsumed", "notes", "counts", "violations", "summary",
                         "anomalies"}
    assert data["counts"]["log-duplicate"] == 1
    first = data["anomalies"][0]
    assert set(first) == {"kind", "judgement", "topic", "partition", "group", "count", "offsets", "msg_ids",
                          "truncated", "members", "explanation"}
    assert first["truncated"] is True
    assert len(first["offsets"]) == 1
    assert json.loads(text) == data


# ------------------------------------------------------------------------------------------ clean runs

@pytest.mark.parametrize("strategy", ["sync-per-message", "sync-per-batch", "auto", "auto-stored"])
def test_fault_free_run_is_clean(strategy: str) -> None:
    verdict = check(clean_run(strategy).build())
    assert verdict.ok
    assert sum(verdict.counts.values()) == 0, [a.explanation for a in verdict.anomalies]
    s = verdict.summary
    assert (s.produced, s.acked, s.audited, s.delivered, s.distinct_delivered, s.processed) == (
        20, 20, 20, 20, 20, 20)
    assert s.committed == {"g": {"orders/0": 10, "orders/1": 10}}
    assert s.groups == ("g",)
    assert s.members == ("m1",)


def test_clean_rebalance_with_commit_on_revoke_is_clean() -> None:
    b = HistoryBuilder("orders", partitions=2)
    b.producer("p1", acks="all", idempotent=True)
    for p in (0, 1):
        b.produce("p1", 10, partition=p)
    b.member("m1")
    b.member("m2")
    b.assign("m1", [0, 1], committed={}, generation=1)
    b.consume("m1", 0, range(5), commit=None)
    b.consume("m1", 1, range(3), commit=None)
    b.commit("m1", {0: 5, 1: 3})
    b.revoke("m1", [0, 1])
    b.assign("m1", [0], committed={0: 5}, generation=2)
    b.assign("m2", [1], committed={1: 3}, generation=2)
    b.consume("m2", 1, range(3, 10))
    b.consume("m1", 0, range(5, 10))
    b.final_commit("g", {0: 10, 1: 10})
    verdict = check(b.build())
    assert sum(verdict.counts.values()) == 0, [a.explanation for a in verdict.anomalies]


def test_transaction_markers_and_aborted_records_are_legal_holes_under_read_committed() -> None:
    b = HistoryBuilder("orders")
    b.producer("tx", acks="all", idempotent=True, transactional=True)
    b.produce("tx", 3, txn_id="T1", txn_outcome=TxnOutcome.COMMITTED)   # 0-2
    b.skip_offsets(0, 1)                                                 # commit marker at 3
    b.produce("tx", 2, txn_id="T2", txn_outcome=TxnOutcome.ABORTED)     # 4-5, hidden under rc
    b.skip_offsets(0, 1)                                                 # abort marker at 6
    b.produce("tx", 2, txn_id="T3", txn_outcome=TxnOutcome.COMMITTED)   # 7-8
    b.skip_offsets(0, 1)
    b.member("m1")
    b.assign("m1", [0], committed={0: 0})
    for off in (0, 1, 2, 7, 8):
        b.consume("m1", 0, [off], commit=None)
    b.commit("m1", {0: 10})
    b.final_commit("g", {0: 10})
    verdict = check(b.build())
    assert sum(verdict.counts.values()) == 0, [a.explanation for a in verdict.anomalies]


# ------------------------------------------------------------------------------------------ A1 / A2

def test_lost_acked_write_with_a_later_record_present_is_a_violation_under_acks_all() -> None:
    b = HistoryBuilder("orders")
    b.producer("p1", acks="all")
    b.produce("p1", 3)
    gone = b.produce("p1", 1, stored=False)[0]        # acked, then missing from the log
    b.produce("p1", 3)
    verdict = check(b.build())
    only(verdict, "lost")
    (a,) = verdict.of_kind("lost")
    assert (a.count, a.judgement, a.msg_ids) == (1, "violation", (gone,))
    assert not verdict.ok
    assert "acks=all" in a.explanation


@pytest.mark.parametrize(("acks", "fault", "unclean", "min_isr", "judgement"), [
    ("1", True, False, 2, "expected"),        # acks=1 + the leader's node killed
    ("1", False, False, 2, "violation"),      # acks=1 without any leader change or fault
    ("all", True, True, 2, "expected"),       # unclean election allowed on this topic, and a fault
    ("all", False, True, 2, "violation"),     # unclean allowed, but nothing happened to the partition
    ("all", True, False, 1, "violation"),     # min ISR 1 is no excuse without unclean election
    ("all", True, False, 2, "violation"),
])
def test_lost_judgement_follows_acks_faults_and_unclean_election(acks: str, fault: bool, unclean: bool,
                                                                min_isr: int, judgement: str) -> None:
    b = HistoryBuilder("orders")
    b.min_insync["orders"] = min_isr
    b.producer("p1", acks=acks)
    b.produce("p1", 2)
    b.produce("p1", 1, stored=False)
    if fault:
        b.fault(1, "kill", partitions=[0])
    b.produce("p1", 1)
    if unclean:
        b.unclean_topics.add("orders")
    (a,) = check(b.build()).of_kind("lost")
    assert a.judgement == judgement, a.explanation


def test_acks0_record_missing_behind_later_records_is_expected_loss() -> None:
    b = HistoryBuilder("orders")
    b.producer("fire", acks="0")
    b.produce("fire", 2, outcome=Outcome.OK_NO_OFFSET)
    b.produce("fire", 1, outcome=Outcome.OK_NO_OFFSET, stored=False)
    b.produce("fire", 2, outcome=Outcome.OK_NO_OFFSET)
    verdict = check(b.build())
    only(verdict, "lost")
    (a,) = verdict.of_kind("lost")
    assert a.judgement == "expected"
    assert "acks=0" in a.explanation


def test_seen_then_vanished_is_lost_and_says_it_was_consumed() -> None:
    b = HistoryBuilder("orders")
    b.producer("p1", acks="1")
    b.produce("p1", 5)
    b.member("m1")
    b.assign("m1", [0], committed={0: 0})
    b.consume("m1", 0, range(5))
    b.truncate(0, 3)                       # offsets 3, 4 vanished after consumption
    b.produce("p1", 2)                     # new records reuse offsets 3, 4
    b.fault(1, "kill", partitions=[0])
    verdict = check(b.build())
    (lost,) = verdict.of_kind("lost")
    assert lost.count == 2
    assert lost.judgement == "expected"
    assert "delivered to a consumer before vanishing" in lost.explanation
    (inc,) = verdict.of_kind("inconsistent-offset")
    assert inc.count == 2
    assert inc.offsets == (3, 4)
    assert inc.judgement == "expected"


def test_indefinite_send_that_a_consumer_saw_must_exist() -> None:
    """Jepsen lost-write-test: an :info write whose value was read counts as committed."""
    b = HistoryBuilder("orders")
    b.producer("p1", acks="all")
    b.produce("p1", 2)
    ghost = b.produce("p1", 1, outcome=Outcome.FAIL_INDEFINITE, error="_MSG_TIMED_OUT", stored=True)[0]
    b.produce("p1", 2)
    b.member("m1")
    b.assign("m1", [0], committed={0: 0})
    b.consume("m1", 0, range(5))
    b.drop(0, 2)                           # the record a consumer saw is gone; later ones remain
    verdict = check(b.build())
    only(verdict, "lost")
    (a,) = verdict.of_kind("lost")
    assert a.msg_ids == (ghost,)
    assert a.judgement == "violation"
    assert "indefinite" in a.explanation
    assert "delivered to a consumer" in a.explanation


def test_indefinite_send_never_seen_and_missing_is_not_an_anomaly() -> None:
    b = HistoryBuilder("orders")
    b.producer("p1", acks="all")
    b.produce("p1", 2)
    b.produce("p1", 1, outcome=Outcome.FAIL_INDEFINITE, error="_MSG_TIMED_OUT", stored=False)
    b.produce("p1", 2)
    verdict = check(b.build())
    only(verdict, "producer-gap")          # a hole in the producer's sequence, not a loss
    assert verdict.count("lost") == 0
    assert verdict.ok


def test_unseen_when_the_reread_could_not_reach_the_record() -> None:
    b = HistoryBuilder("orders")
    b.producer("p1", acks="all")
    b.produce("p1", 3)
    tail = b.produce("p1", 2, stored=False)
    b.incomplete.add(("orders", 0))
    verdict = check(b.build())
    only(verdict, "unseen")
    (a,) = verdict.of_kind("unseen")
    assert a.count == 2
    assert a.judgement == "liveness"
    assert set(a.msg_ids) == set(tail)
    assert verdict.ok


# ------------------------------------------------------------------------------------------ A3 / A4

def test_inconsistent_offset_from_delivery_report_without_loss_is_a_violation() -> None:
    b = HistoryBuilder("orders")
    b.producer("p1", acks="all")
    ids = b.produce("p1", 3)
    b.replace_row(ids[0], offset=1)        # the DR claims offset 1, which holds ids[1]
    verdict = check(b.build())
    only(verdict, "inconsistent-offset")
    (a,) = verdict.of_kind("inconsistent-offset")
    assert a.offsets == (1,)
    assert a.judgement == "violation"
    assert ids[0] in a.msg_ids
    assert ids[1] in a.msg_ids


@pytest.mark.parametrize(("idempotent", "judgement"), [(False, "expected"), (True, "violation")])
def test_log_duplicate_judged_by_idempotence(idempotent: bool, judgement: str) -> None:
    """kafkatest validate_delivery: duplicates are acceptable without idempotence, a failure with it."""
    b = HistoryBuilder("orders")
    b.producer("p1", acks="all", idempotent=idempotent)
    ids = b.produce("p1", 4)
    b.store(0, ids[1])                     # a retry wrote ids[1] again at offset 4
    verdict = check(b.build())
    only(verdict, "log-duplicate")
    (a,) = verdict.of_kind("log-duplicate")
    assert (a.count, a.judgement, a.msg_ids, a.offsets) == (1, judgement, (ids[1],), (1, 4))


def test_aborted_copy_is_not_a_log_duplicate_under_read_committed() -> None:
    b = HistoryBuilder("out")
    b.producer("copier", idempotent=True, transactional=True)
    mid = b.produce("copier", 1, txn_id="T1", txn_outcome=TxnOutcome.ABORTED)[0]
    b.store(0, mid)                        # committed retry of the same record, visible
    verdict = check(b.build())
    assert verdict.count("log-duplicate") == 0


# ------------------------------------------------------------------------------------------ A5

def test_never_strategy_crash_redelivers_everything_after_restart() -> None:
    b = HistoryBuilder("orders")
    b.producer("p1")
    b.produce("p1", 10)
    b.member("m1", strategy="never")
    b.assign("m1", [0], committed={})
    b.deliver("m1", 0, range(10))
    b.process("m1", 0, range(10))
    b.crash("m1", "after processing 10 of 10 in a batch")
    b.restart("m1")
    b.assign("m1", [0], committed={})
    b.deliver("m1", 0, range(10))
    b.process("m1", 0, range(10))
    verdict = check(b.build())
    (a,) = verdict.of_kind("redelivered")
    assert (a.count, a.judgement, a.offsets) == (10, "expected", tuple(range(10)))
    assert "crashed" in a.explanation
    assert "strategy never" in a.explanation
    assert "no successful commit" in a.explanation
    assert verdict.count("processed-twice") == 10
    assert verdict.count("skipped") == 0
    assert verdict.ok


def test_redelivery_explanation_names_crash_commit_and_generation() -> None:
    b = HistoryBuilder("orders")
    b.producer("p1")
    b.produce("p1", 120)
    b.member("m1")
    b.member("m2")
    b.assign("m2", [0], committed={0: 100}, generation=4)
    b.consume("m2", 0, range(100, 110))      # commits up to 110
    b.deliver("m2", 0, range(110, 120))
    b.process("m2", 0, range(110, 118))
    b.crash("m2", "after processing 8 of 10 in a batch")
    b.assign("m1", [0], committed={0: 110}, generation=5)
    b.consume("m1", 0, range(110, 120))
    b.final_commit("g", {0: 120})
    verdict = check(b.build())
    (a,) = verdict.of_kind("redelivered")
    assert a.offsets == tuple(range(110, 120))
    assert a.count == 10
    assert a.members == ("m2", "m1")
    for phrase in ("member m2 crashed", "after processing offset 117", "last successful commit before that "
                   "was 110", "offsets 110–119", "member m1 in generation 5", "10 extra deliveries"):
        assert phrase in a.explanation, a.explanation
    (twice,) = verdict.of_kind("processed-twice")
    assert twice.offsets == tuple(range(110, 118))


def test_redelivery_counts_each_offset_once_across_repeats() -> None:
    b = HistoryBuilder("orders")
    b.producer("p1")
    b.produce("p1", 3)
    b.member("m1", strategy="never")
    for _ in range(3):
        b.assign("m1", [0], committed={})
        b.deliver("m1", 0, range(3))
        b.revoke("m1", [0])
    verdict = check(b.build())
    assert verdict.count("redelivered") == 3
    assert sum(a.count for a in verdict.of_kind("redelivered")) == 3
    extras = [int(m) for a in verdict.of_kind("redelivered")
              for m in re.findall(r"\((\d+) extra deliver", a.explanation)]
    assert sum(extras) == 6


def test_kicked_member_in_flight_records_are_redelivered_to_another_member() -> None:
    b = HistoryBuilder("orders")
    b.producer("p1")
    b.produce("p1", 6)
    b.member("slow")
    b.member("m2")
    b.assign("slow", [0], committed={0: 0}, generation=1)
    b.consume("slow", 0, range(2))
    b.deliver("slow", 0, range(2, 6))
    b.kicked("slow")
    b.assign("m2", [0], committed={0: 2}, generation=2)
    b.consume("m2", 0, range(2, 6))
    (a,) = check(b.build()).of_kind("redelivered")
    assert a.offsets == (2, 3, 4, 5)
    assert "kicked out" in a.explanation
    assert "max.poll.interval.ms" in a.explanation


def test_seek_back_is_a_redelivery_not_a_nonmonotonic_poll() -> None:
    b = HistoryBuilder("orders")
    b.producer("p1")
    b.produce("p1", 5)
    b.member("m1")
    b.assign("m1", [0], committed={0: 0})
    b.consume("m1", 0, range(5), commit=None)
    b.seek("m1", 0, 2)
    b.consume("m1", 0, range(2, 5), commit=None)
    verdict = check(b.build())
    assert verdict.count("nonmonotonic-poll") == 0
    (a,) = verdict.of_kind("redelivered")
    assert a.offsets == (2, 3, 4)
    assert "seeked partition 0 back to offset 2" in a.explanation


def test_processing_twice_from_one_delivery_is_a_violation() -> None:
    b = HistoryBuilder("orders")
    b.producer("p1")
    b.produce("p1", 2)
    b.member("m1")
    b.assign("m1", [0], committed={0: 0})
    b.deliver("m1", 0, [0, 1])
    b.process("m1", 0, [0, 1, 1])
    verdict = check(b.build())
    only(verdict, "processed-twice")
    (a,) = verdict.of_kind("processed-twice")
    assert a.offsets == (1,)
    assert a.judgement == "violation"


# ------------------------------------------------------------------------------------------ A6

def test_auto_commit_crash_mid_batch_skips_the_unprocessed_rest() -> None:
    """X10: librdkafka auto-commit stores every returned offset, so a crash loses the rest of the batch."""
    b = HistoryBuilder("orders")
    b.producer("p1")
    ids = b.produce("p1", 10)
    b.member("m1", strategy="auto")
    b.assign("m1", [0], committed={})
    b.deliver("m1", 0, range(10))
    b.process("m1", 0, range(3))
    b.commit("m1", {0: 10}, mode="auto")
    b.crash("m1", "after processing 3 of 10 in a batch")
    b.final_commit("g", {0: 10})
    verdict = check(b.build())
    only(verdict, "skipped")
    (a,) = verdict.of_kind("skipped")
    assert (a.count, a.judgement, a.msg_ids) == (7, "expected", tuple(ids[3:]))
    assert "auto-commit" in a.explanation
    assert "returned to the application" in a.explanation
    assert "crashed" in a.explanation
    assert verdict.ok


def test_commit_after_processing_that_skips_records_is_a_violation() -> None:
    b = HistoryBuilder("orders")
    b.producer("p1")
    b.produce("p1", 10)
    b.member("m1", strategy="sync-per-batch")
    b.assign("m1", [0], committed={})
    b.deliver("m1", 0, range(10))
    b.process("m1", 0, range(4))
    b.commit("m1", {0: 10})               # a buggy strategy: committed the whole batch
    b.crash("m1")
    b.final_commit("g", {0: 10})
    verdict = check(b.build())
    (a,) = verdict.of_kind("skipped")
    assert (a.count, a.judgement) == (6, "violation")
    assert not verdict.ok


def test_latest_reset_before_group_start_is_labelled_and_expected() -> None:
    b = HistoryBuilder("orders")
    b.producer("p1")
    early = b.produce("p1", 5)            # before the group existed
    b.member("m1")
    b.reset_policy["g"] = "latest"
    b.produce("p1", 3)
    b.assign("m1", [0], committed={})
    b.consume("m1", 0, range(5, 8))
    b.final_commit("g", {0: 8})
    verdict = check(b.build())
    only(verdict, "skipped")
    (a,) = verdict.of_kind("skipped")
    assert (a.count, a.judgement, a.msg_ids) == (5, "expected", tuple(early))
    assert "before group start" in a.explanation
    assert "auto.offset.reset=latest" in a.explanation


def test_records_below_the_groups_starting_commit_are_not_judged() -> None:
    b = HistoryBuilder("orders")
    b.producer("p1")
    b.produce("p1", 8)
    b.member("m1")
    b.assign("m1", [0], committed={0: 5})  # an earlier run already consumed 0-4
    b.consume("m1", 0, range(5, 8))
    b.final_commit("g", {0: 8})
    assert sum(check(b.build()).counts.values()) == 0


# ------------------------------------------------------------------------------------------ A7 / A8

def test_poll_skip_within_an_epoch() -> None:
    b = HistoryBuilder("orders")
    b.producer("p1")
    ids = b.produce("p1", 6)
    b.member("m1")
    b.assign("m1", [0], committed={0: 0})
    b.consume("m1", 0, [0, 1, 2, 5], commit=None)
    verdict = check(b.build())
    (a,) = verdict.of_kind("poll-skip")
    assert (a.count, a.offsets, a.msg_ids, a.judgement) == (2, (3, 4), (ids[3], ids[4]), "violation")
    assert verdict.count("nonmonotonic-poll") == 0


def test_initial_poll_skip_beyond_the_committed_offset() -> None:
    b = HistoryBuilder("orders")
    b.producer("p1")
    b.produce("p1", 6)
    b.member("m1")
    b.assign("m1", [0], committed={0: 1})
    b.consume("m1", 0, [4, 5], commit=None)
    (a,) = check(b.build()).of_kind("poll-skip")
    assert a.offsets == (1, 2, 3)
    assert "assignment started at 1" in a.explanation


def test_aborted_records_are_a_skip_only_for_read_uncommitted_readers() -> None:
    def run(isolation: str) -> Verdict:
        b = HistoryBuilder("orders")
        b.producer("tx", idempotent=True, transactional=True)
        b.produce("tx", 2, txn_id="A", txn_outcome=TxnOutcome.COMMITTED)
        b.produce("tx", 2, txn_id="B", txn_outcome=TxnOutcome.ABORTED)
        b.produce("tx", 2, txn_id="C", txn_outcome=TxnOutcome.COMMITTED)
        b.member("m1")
        b.isolation["g"] = isolation
        b.assign("m1", [0], committed={0: 0})
        b.consume("m1", 0, [0, 1, 4, 5], commit=None)
        return check(b.build())

    assert run("read_committed").count("poll-skip") == 0
    assert run("read_uncommitted").count("poll-skip") == 2


def test_nonmonotonic_poll_within_an_epoch() -> None:
    b = HistoryBuilder("orders")
    b.producer("p1")
    b.produce("p1", 5)
    b.member("m1")
    b.assign("m1", [0], committed={0: 0})
    b.consume("m1", 0, [0, 1, 2, 1], commit=None)
    verdict = check(b.build())
    (a,) = verdict.of_kind("nonmonotonic-poll")
    assert a.offsets == (2, 1)
    assert a.judgement == "violation"
    (r,) = verdict.of_kind("redelivered")
    assert "within one assignment" in r.explanation


def test_rewind_across_epochs_is_not_nonmonotonic() -> None:
    b = HistoryBuilder("orders")
    b.producer("p1")
    b.produce("p1", 4)
    b.member("m1", strategy="never")
    b.assign("m1", [0], committed={})
    b.consume("m1", 0, range(4), commit=None)
    b.revoke("m1", [0])
    b.assign("m1", [0], committed={})
    b.consume("m1", 0, range(4), commit=None)
    verdict = check(b.build())
    assert verdict.count("nonmonotonic-poll") == 0
    assert verdict.count("poll-skip") == 0
    (r,) = verdict.of_kind("redelivered")
    assert "revoked from member m1" in r.explanation


# ------------------------------------------------------------------------------------------ A9 / A10

@pytest.mark.parametrize(("idempotent", "judgement"), [(False, "expected"), (True, "violation")])
def test_producer_reorder(idempotent: bool, judgement: str) -> None:
    b = HistoryBuilder("orders")
    b.producer("p1", idempotent=idempotent, max_in_flight=5)
    ids = b.produce("p1", 4, stored=False)
    for mid in (ids[1], ids[0], ids[2], ids[3]):   # log order 1, 0, 2, 3
        b.store(0, mid)
    for mid in ids:
        b.replace_row(mid, offset=b.offset_of(mid))
    verdict = check(b.build())
    only(verdict, "producer-reorder")
    (a,) = verdict.of_kind("producer-reorder")
    assert (a.count, a.msg_ids, a.judgement) == (1, (ids[1],), judgement)   # send #1 landed before #0
    assert "send #1) is at offset 0" in a.explanation


def test_producer_gap_after_a_timed_out_send() -> None:
    b = HistoryBuilder("orders")
    b.producer("p1", idempotent=True)
    b.produce("p1", 2)
    hole = b.produce("p1", 1, outcome=Outcome.FAIL_INDEFINITE, error="_MSG_TIMED_OUT")[0]
    b.produce("p1", 2)
    verdict = check(b.build())
    only(verdict, "producer-gap")
    (a,) = verdict.of_kind("producer-gap")
    assert (a.count, a.msg_ids, a.judgement) == (1, (hole,), "expected")
    assert "_MSG_TIMED_OUT" in a.explanation


# ------------------------------------------------------------------------------------------ A11 / A12

def test_definitely_failed_write_that_is_stored_and_read_is_g1a() -> None:
    b = HistoryBuilder("orders")
    b.producer("p1")
    bad = b.produce("p1", 1, outcome=Outcome.FAIL_DEFINITE, error="NOT_ENOUGH_REPLICAS", stored=True)[0]
    b.produce("p1", 1)
    b.member("m1")
    b.assign("m1", [0], committed={0: 0})
    b.consume("m1", 0, [0, 1])
    verdict = check(b.build())
    only(verdict, "aborted-visible")
    kinds = verdict.of_kind("aborted-visible")
    assert all(a.judgement == "violation" and a.msg_ids == (bad,) for a in kinds)
    assert verdict.count("aborted-visible") == 2  # stored (re-read) and received (member m1)


@pytest.mark.parametrize(("isolation", "judgement"), [("read_committed", "violation"),
                                                      ("read_uncommitted", "expected")])
def test_aborted_record_delivered(isolation: str, judgement: str) -> None:
    b = HistoryBuilder("orders")
    b.producer("tx", idempotent=True, transactional=True)
    aborted = b.produce("tx", 1, txn_id="T9", txn_outcome=TxnOutcome.ABORTED)[0]
    b.member("m1")
    b.isolation["g"] = isolation
    b.assign("m1", [0], committed={0: 0})
    b.consume("m1", 0, [0])
    verdict = check(b.build())
    (a,) = verdict.of_kind("aborted-visible")
    assert (a.judgement, a.msg_ids, a.members) == (judgement, (aborted,), ("m1",))


def test_torn_transaction_is_reported_once_and_not_as_lost() -> None:
    b = HistoryBuilder("orders", partitions=2)
    b.producer("tx", idempotent=True, transactional=True)
    b.produce("tx", 2, partition=0, txn_id="T1", txn_outcome=TxnOutcome.COMMITTED)
    missing = b.produce("tx", 1, partition=1, txn_id="T1", txn_outcome=TxnOutcome.COMMITTED, stored=False)[0]
    b.produce("tx", 2, partition=1, txn_id="T2", txn_outcome=TxnOutcome.COMMITTED)
    verdict = check(b.build())
    only(verdict, "torn-transaction")
    (a,) = verdict.of_kind("torn-transaction")
    assert (a.count, a.msg_ids, a.judgement) == (1, (missing,), "violation")
    assert "T1" in a.explanation
    assert "2 of 3" in a.explanation


# ------------------------------------------------------------------------------------------ A14

def test_commit_past_undelivered_records() -> None:
    b = HistoryBuilder("orders")
    b.producer("p1")
    b.produce("p1", 10)
    b.member("m1")
    b.assign("m1", [0], committed={0: 0})
    b.consume("m1", 0, range(3), commit=None)
    b.commit("m1", {0: 8})
    verdict = check(b.build())
    (a,) = verdict.of_kind("commit-anomaly")
    assert a.offsets == (3, 4, 5, 6, 7)
    assert a.judgement == "violation"
    assert a.count == 1
    assert "without being delivered" in a.explanation


@pytest.mark.parametrize(("mode", "judgement"), [("async", "expected"), ("sync", "violation")])
def test_committed_offset_going_back(mode: str, judgement: str) -> None:
    b = HistoryBuilder("orders")
    b.producer("p1")
    b.produce("p1", 10)
    b.member("m1")
    b.member("m2")
    b.assign("m1", [0], committed={0: 0}, generation=1)
    b.consume("m1", 0, range(4), commit=None)
    b.revoke("m1", [0])
    b.assign("m2", [0], committed={0: 0}, generation=2)
    b.consume("m2", 0, range(8), commit=None)
    b.commit("m2", {0: 8})
    b.commit("m1", {0: 4}, mode=mode, request=False)   # a late commit from the previous owner
    verdict = check(b.build())
    (a,) = verdict.of_kind("commit-anomaly")
    assert a.judgement == judgement
    assert "went back from 8" in a.explanation


def test_commit_request_for_an_unassigned_partition() -> None:
    b = HistoryBuilder("orders", partitions=2)
    b.producer("p1")
    b.produce("p1", 2, partition=0)
    b.member("m1")
    b.assign("m1", [0], committed={0: 0})
    b.consume("m1", 0, range(2), commit=None)
    b.commit("m1", {1: 0}, ok=False, error="UNKNOWN_MEMBER_ID")
    (a,) = check(b.build()).of_kind("commit-anomaly")
    assert a.partition == 1
    assert "not assigned" in a.explanation
    assert a.judgement == "expected"  # refused, as a kicked or fenced member's commit must be
    assert "refused it (UNKNOWN_MEMBER_ID)" in a.explanation


def test_a_commit_that_lands_for_an_unassigned_partition_is_a_violation() -> None:
    b = HistoryBuilder("orders", partitions=2)
    b.producer("p1")
    b.produce("p1", 2, partition=0)
    b.member("m1")
    b.assign("m1", [0], committed={0: 0})
    b.consume("m1", 0, range(2), commit=None)
    b.commit("m1", {1: 0})
    (a,) = check(b.build()).of_kind("commit-anomaly")
    assert (a.partition, a.judgement) == (1, "violation")
    assert "accepted it" in a.explanation


# ------------------------------------------------------------------------------------------ explain_record

def test_explain_record_tells_the_story_in_order() -> None:
    b = HistoryBuilder("orders")
    b.producer("p1")
    ids = b.produce("p1", 10)
    b.member("m1", strategy="commit-before")
    b.assign("m1", [0], committed={}, generation=3)
    b.deliver("m1", 0, range(10))
    b.commit("m1", {0: 10})
    b.process("m1", 0, range(3))
    b.crash("m1", "after processing 3 of 10 in a batch")
    lines = explain_record(b.build(), ids[5])
    text = "\n".join(lines)
    order = ["sent by producer p1", "acknowledged at orders/0@5", "delivered to member m1 (incarnation 0, "
             "generation 3", "committed past", "crashed (after processing 3 of 10", "final re-read: stored at "
             "orders/0@5"]
    positions = [text.index(part) for part in order]
    assert positions == sorted(positions), text
    assert "processed by" not in text
    assert explain_record(b.build(), "nope/x/0/0") == ["nothing recorded mentions nope/x/0/0"]


def test_a_log_duplicate_processed_at_its_other_offset_is_not_skipped() -> None:
    b = HistoryBuilder("orders")
    b.producer("p1", retries=5)
    ids = b.produce("p1", 3)
    b.store(0, ids[1])                        # offset 3 holds a retry copy of ids[1]
    b.member("m1")
    b.assign("m1", [0], committed={0: 0})
    b.consume("m1", 0, range(3), commit=None)
    b.deliver("m1", 0, [3])                   # the copy is received but not processed again
    b.commit("m1", {0: 4})
    b.final_commit("g", {0: 4})
    verdict = check(b.build())
    assert verdict.count("skipped") == 0
    assert verdict.count("log-duplicate") == 1


def test_many_partitions_and_incarnations_use_the_general_path_with_the_same_result() -> None:
    b = HistoryBuilder("wide", partitions=20)
    b.producer("p1", idempotent=True)
    for p in range(20):
        b.produce("p1", 2, partition=p)
    b.new_incarnation("p1")
    first, second = b.produce("p1", 2, partition=19, stored=False)
    b.store(19, second)
    b.store(19, first)
    (a,) = check(b.build()).of_kind("producer-reorder")
    assert (a.partition, a.msg_ids, a.judgement) == (19, (second,), "violation")
    assert "incarnation 1" in a.explanation


@pytest.mark.parametrize(("strategy", "judgement"), [("sync-per-batch", "violation"), ("never", "expected")])
def test_processing_again_after_a_clean_leave(strategy: str, judgement: str) -> None:
    """kafkatest consumer bounce: a clean shutdown commits first, so no record is consumed twice."""
    b = HistoryBuilder("orders")
    b.producer("p1")
    b.produce("p1", 4)
    b.member("m1", strategy=strategy)
    b.member("m2", strategy=strategy)
    b.assign("m1", [0], committed={0: 0}, generation=1)
    b.consume("m1", 0, range(4), commit=None)
    b.leave("m1")                             # ...but no commit was recorded
    b.assign("m2", [0], committed={0: 0}, generation=2)
    b.consume("m2", 0, range(4), commit=None)
    verdict = check(b.build())
    (a,) = verdict.of_kind("processed-twice")
    assert (a.count, a.judgement) == (4, judgement)
    assert "left the group" in a.explanation
    assert verdict.of_kind("redelivered")[0].judgement == "expected"
