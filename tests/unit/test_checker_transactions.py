"""The transactional strategy's copies (History.transactions + kx-txn tags in the output's re-read):
aborted-visible, torn-transaction and log-duplicate on the output, each from both sides (X17, X18)."""

from __future__ import annotations

import pytest

from tui.engine.checker import Verdict, check
from tui.engine.checker.builder import HistoryBuilder
from tui.engine.history import TxnOutcome

CRASH = "in the middle of a transaction"


def nonzero(verdict: Verdict) -> dict[str, int]:
    return {k: n for k, n in verdict.counts.items() if n}


def copier(n: int = 4) -> tuple[HistoryBuilder, list[str]]:
    """``n`` input records and a transactional member c1 (group g) that has consumed them all."""
    b = HistoryBuilder("in")
    b.producer("p1", acks="all", idempotent=True)
    inputs = b.produce("p1", n, topic="in")
    b.member("c1", strategy="transactional")
    b.assign("c1", [0], committed={}, generation=1, topic="in")
    b.consume("c1", 0, range(n), commit=None, topic="in")
    b.commit("c1", {0: n}, mode="txn", topic="in")
    b.final_commit("g", {0: n}, topic="in")
    return b, inputs


# ------------------------------------------------------------------------------------------ clean

def test_crash_mid_transaction_then_a_committed_retry_holds_each_input_once() -> None:
    """X18: the crashed incarnation's open transaction (2 copies, flushed to the log) is never visible;
    the restarted member copies all 4 in a committed transaction."""
    b = HistoryBuilder("in")
    b.producer("p1", acks="all", idempotent=True)
    inputs = b.produce("p1", 4, topic="in")
    b.member("c1", strategy="transactional")
    b.assign("c1", [0], committed={}, generation=1, topic="in")
    b.deliver("c1", 0, range(4), topic="in")
    b.process("c1", 0, range(3), topic="in")
    open_txn = b.transaction("c1", inputs[:2], TxnOutcome.OPEN)
    b.crash("c1", CRASH)
    b.restart("c1")
    b.assign("c1", [0], committed={}, generation=2, topic="in")
    b.consume("c1", 0, range(4), commit=None, topic="in")
    done = b.transaction("c1", inputs, TxnOutcome.COMMITTED)
    b.commit("c1", {0: 4}, mode="txn", topic="in")
    b.final_commit("g", {0: 4}, topic="in")
    verdict = check(b.build())
    assert nonzero(verdict) == {"redelivered": 4, "processed-twice": 3}, [
        a.explanation for a in verdict.anomalies]
    assert verdict.ok
    assert verdict.summary.transactions == 2
    assert (open_txn, done) == ("kx-g-c1/0/0", "kx-g-c1/1/0")


# ------------------------------------------------------------------------------------------ A11

@pytest.mark.parametrize("outcome", [TxnOutcome.ABORTED, TxnOutcome.OPEN])
def test_a_copy_of_a_transaction_that_did_not_commit_visible_under_read_committed(outcome: TxnOutcome) -> None:
    b, inputs = copier()
    bad = b.transaction("c1", inputs[:2], outcome, visible=True)
    b.transaction("c1", inputs, TxnOutcome.COMMITTED)
    verdict = check(b.build())
    (a,) = verdict.of_kind("aborted-visible")
    assert (a.count, a.judgement, a.topic, a.offsets) == (2, "violation", "out", (0, 1))
    assert bad in a.explanation
    assert not verdict.ok


def test_the_same_transaction_hidden_under_read_committed_is_clean() -> None:
    b, inputs = copier()
    b.transaction("c1", inputs[:2], TxnOutcome.ABORTED)
    b.transaction("c1", inputs, TxnOutcome.COMMITTED)
    verdict = check(b.build())
    assert nonzero(verdict) == {}, [a.explanation for a in verdict.anomalies]


def test_untagged_copies_are_matched_by_content_and_say_so() -> None:
    b, inputs = copier()
    b.transaction("c1", inputs[:2], TxnOutcome.ABORTED, visible=True, tag=False)
    b.transaction("c1", inputs[2:], TxnOutcome.COMMITTED, tag=False)
    (a,) = check(b.build()).of_kind("aborted-visible")
    assert (a.count, a.judgement, a.msg_ids) == (2, "violation", tuple(inputs[:2]))
    assert "no kx-txn header" in a.explanation


def test_untagged_copies_cannot_tell_an_aborted_copy_from_a_committed_retry() -> None:
    """Without the header, a visible copy of an input that a committed transaction also copied is
    attributed to the committed one: no aborted-visible (the duplicate is still reported)."""
    b, inputs = copier()
    b.transaction("c1", inputs[:2], TxnOutcome.ABORTED, visible=True, tag=False)
    b.transaction("c1", inputs, TxnOutcome.COMMITTED, tag=False)
    verdict = check(b.build())
    assert verdict.count("aborted-visible") == 0
    assert verdict.count("log-duplicate") == 2


@pytest.mark.parametrize(("isolation", "judgement"), [("read_committed", "violation"),
                                                      ("read_uncommitted", "expected")])
def test_a_reader_of_the_output_receiving_an_aborted_copy(isolation: str, judgement: str) -> None:
    b, inputs = copier(2)
    b.transaction("c1", inputs, TxnOutcome.ABORTED)
    b.transaction("c1", inputs, TxnOutcome.COMMITTED)      # copies at 2, 3
    b.member("r1", group="readers")
    b.isolation["readers"] = isolation
    b.assign("r1", [0], committed={}, topic="out")
    b.consume("r1", 0, [0, 1, 2, 3] if isolation == "read_uncommitted" else [0, 2, 3], commit=None,
              topic="out")
    verdict = check(b.build())
    delivered = [a for a in verdict.of_kind("aborted-visible") if a.group == "readers"]
    expected_count = 2 if isolation == "read_uncommitted" else 1
    assert [(a.count, a.judgement) for a in delivered] == [(expected_count, judgement)]
    assert "kx-g-c1/0/0 (aborted)" in delivered[0].explanation


# ------------------------------------------------------------------------------------------ A12

def test_a_committed_transaction_missing_a_copy_is_torn() -> None:
    b, inputs = copier()
    txn = b.transaction("c1", inputs, TxnOutcome.COMMITTED, drop=[inputs[3]])
    verdict = check(b.build())
    (a,) = verdict.of_kind("torn-transaction")
    assert (a.count, a.judgement, a.msg_ids) == (1, "violation", (inputs[3],))
    assert f"transaction {txn} (committed)" in a.explanation
    assert "only 3 of 4" in a.explanation
    assert "not in the log" in a.explanation


def test_a_committed_transaction_with_a_copy_hidden_under_read_committed_is_torn() -> None:
    b, inputs = copier()
    b.transaction("c1", inputs, TxnOutcome.COMMITTED, hidden=[inputs[0]])
    (a,) = check(b.build()).of_kind("torn-transaction")
    assert (a.count, a.msg_ids) == (1, (inputs[0],))
    assert "stored but not visible under read_committed" in a.explanation


def test_a_complete_committed_transaction_is_not_torn() -> None:
    b, inputs = copier()
    b.transaction("c1", inputs, TxnOutcome.COMMITTED)
    assert nonzero(check(b.build())) == {}


@pytest.mark.parametrize(("visible", "torn"), [((True, False), 1), ((False, False), 0), ((True, True), 0)])
def test_a_transaction_of_unknown_outcome_is_torn_only_when_partly_visible(visible: tuple[bool, bool],
                                                                         torn: int) -> None:
    b, inputs = copier(2)
    hidden = [m for m, v in zip(inputs, visible, strict=True) if not v]
    b.transaction("c1", inputs, TxnOutcome.UNKNOWN, visible=True, hidden=hidden)
    assert check(b.build()).count("torn-transaction") == torn


def test_torn_with_an_unreadable_output_partition_is_liveness() -> None:
    b, inputs = copier()
    b.transaction("c1", inputs, TxnOutcome.COMMITTED, drop=[inputs[3]])
    b.incomplete.add(("out", 0))
    (a,) = check(b.build()).of_kind("torn-transaction")
    assert a.judgement == "liveness"
    assert "could not reach the end of out/0" in a.explanation


def test_copies_of_a_member_that_died_before_reporting_them_come_from_the_tags() -> None:
    b, inputs = copier(3)
    b.transaction("c1", inputs, TxnOutcome.UNKNOWN, report_copies=False, hidden=[inputs[2]], visible=True)
    (a,) = check(b.build()).of_kind("torn-transaction")
    assert (a.count, a.msg_ids) == (1, (inputs[2],))


# ------------------------------------------------------------------------------------------ A4 on the output

def test_an_input_copied_by_two_committed_transactions_is_a_duplicate_naming_both() -> None:
    b, inputs = copier(3)
    first = b.transaction("c1", inputs[:2], TxnOutcome.COMMITTED)
    second = b.transaction("c1", inputs[1:], TxnOutcome.COMMITTED)   # inputs[1] copied again
    verdict = check(b.build())
    assert nonzero(verdict) == {"log-duplicate": 1}
    (a,) = verdict.of_kind("log-duplicate")
    assert (a.topic, a.msg_ids, a.judgement, a.offsets) == ("out", (inputs[1],), "violation", (1, 2))
    assert "exactly-once" in a.explanation
    assert f"{first} (committed) and {second} (committed)" in a.explanation


def test_an_aborted_copy_next_to_its_committed_retry_is_no_duplicate() -> None:
    b, inputs = copier(3)
    b.transaction("c1", inputs[:2], TxnOutcome.ABORTED)
    b.transaction("c1", inputs, TxnOutcome.COMMITTED)
    assert check(b.build()).count("log-duplicate") == 0


def test_explain_record_names_the_copies_and_their_transactions() -> None:
    from tui.engine.checker import explain_record

    b, inputs = copier(2)
    aborted = b.transaction("c1", inputs, TxnOutcome.ABORTED)
    committed = b.transaction("c1", inputs, TxnOutcome.COMMITTED)
    lines = explain_record(b.build(), inputs[0])
    assert "final re-read: stored at in/0@0; visible under read_committed" in lines
    assert (f"final re-read: a copy at out/0@0 written by transaction {aborted} (aborted, member c1); hidden "
            "under read_committed (only read_uncommitted sees it)") in lines
    assert (f"final re-read: a copy at out/0@2 written by transaction {committed} (committed, member c1); "
            "visible under read_committed") in lines
    assert not any("log duplicate" in line for line in lines)
