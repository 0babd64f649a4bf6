"""Checker self-tests from published scenarios, re-expressed as our own histories.

* the issue's commit-strategy examples (crash after processing 3 of 10 in a batch);
* the *scenarios* (not the code) of Jepsen's ``jepsen/test/jepsen/tests/kafka_test.clj``;
* kafkatest ``validate_delivery``'s three outcomes (missing; duplicates with / without idempotence).
"""

from __future__ import annotations

from tui.engine.checker import Verdict, check
from tui.engine.checker.builder import HistoryBuilder
from tui.engine.history import Outcome, TxnOutcome

CRASH = "after processing 3 of 10 in a batch"


def nonzero(verdict: Verdict) -> dict[str, int]:
    return {k: n for k, n in verdict.counts.items() if n}


def crash_mid_batch(strategy: str) -> HistoryBuilder:
    """One member, a batch of 10, processing stops after 3; commits as the strategy would; restart."""
    b = HistoryBuilder("orders")
    b.producer("p1", acks="all", idempotent=True)
    b.produce("p1", 10)
    b.member("m1", strategy=strategy)
    b.assign("m1", [0], committed={}, generation=1)
    b.deliver("m1", 0, range(10))
    if strategy == "commit-before":
        b.commit("m1", {0: 10})
    for off in range(3):
        b.process("m1", 0, [off])
        if strategy == "sync-per-message" and off < 2:   # the crash hits before the 3rd commit
            b.commit("m1", {0: off + 1})
    b.crash("m1", CRASH)
    committed = {"commit-before": 10, "sync-per-message": 2}.get(strategy)
    b.restart("m1")
    b.assign("m1", [0], committed={0: committed} if committed is not None else {}, generation=2)
    start = committed or 0
    b.deliver("m1", 0, range(start, 10))
    b.process("m1", 0, range(start, 10))
    if strategy != "never":
        b.commit("m1", {0: 10})
        b.final_commit("g", {0: 10})
    return b


# ------------------------------------------------------------------------------------------ issue examples

def test_commit_before_crash_after_3_of_10_skips_exactly_7() -> None:
    verdict = check(crash_mid_batch("commit-before").build())
    assert nonzero(verdict) == {"skipped": 7}
    (a,) = verdict.of_kind("skipped")
    assert a.offsets == tuple(range(3, 10))
    assert a.judgement == "expected"
    assert "commit-before" in a.explanation
    assert "crashed after processing offset 2 (crash point: after processing 3 of 10 in a batch)" in (
        a.explanation)


def test_sync_per_message_crash_skips_nothing_and_processes_at_most_one_twice() -> None:
    verdict = check(crash_mid_batch("sync-per-message").build())
    assert verdict.count("skipped") == 0
    assert verdict.count("processed-twice") <= 1
    assert verdict.count("processed-twice") == 1          # offset 2: processed, commit not yet sent
    # every offset returned again counts as redelivered: 2 (processed) and 3-9 (returned, unprocessed)
    assert verdict.count("redelivered") == 8
    assert verdict.ok


def test_never_crash_redelivers_everything_after_restart() -> None:
    verdict = check(crash_mid_batch("never").build())
    assert verdict.count("redelivered") == 10
    assert verdict.count("skipped") == 0
    assert verdict.count("processed-twice") == 3
    assert verdict.ok


def test_transactional_copy_after_a_crash_mid_transaction_holds_each_input_once() -> None:
    """X18: the crashed copier's open transaction is aborted; the retry commits. Under read_committed the
    output holds every input record exactly once, so there is no duplicate, loss or torn transaction."""
    b = HistoryBuilder("in")
    b.producer("p1", acks="all", idempotent=True)
    inputs = b.produce("p1", 4, topic="in")
    b.producer("copier", idempotent=True, transactional=True)
    b.produce("copier", 2, topic="out", txn_id="copy-1", txn_outcome=TxnOutcome.ABORTED)
    b.produce("copier", 4, topic="out", txn_id="copy-2", txn_outcome=TxnOutcome.COMMITTED)
    b.member("c1", strategy="transactional")
    b.assign("c1", [0], committed={}, generation=1, topic="in")
    b.deliver("c1", 0, range(4), topic="in")
    b.process("c1", 0, range(2), topic="in")
    b.crash("c1", "in the middle of a transaction")
    b.restart("c1")
    b.assign("c1", [0], committed={}, generation=2, topic="in")
    b.deliver("c1", 0, range(4), topic="in")
    b.process("c1", 0, range(4), topic="in")
    b.commit("c1", {0: 4}, mode="txn", topic="in")
    b.final_commit("g", {0: 4}, topic="in")
    verdict = check(b.build())
    assert nonzero(verdict) == {"redelivered": 4, "processed-twice": 2}, [
        a.explanation for a in verdict.anomalies]
    assert verdict.ok
    assert len(inputs) == 4


def test_transactional_copy_holding_an_input_twice_under_read_committed_is_a_violation() -> None:
    b = HistoryBuilder("in")
    b.producer("p1", acks="all", idempotent=True)
    inputs = b.produce("p1", 3, topic="in")
    b.rc_view = True
    for mid in (*inputs, inputs[1]):              # the copier committed input #1 twice
        b.store(0, mid, topic="out")
    verdict = check(b.build())
    (a,) = verdict.of_kind("log-duplicate")
    assert (a.topic, a.msg_ids, a.judgement) == ("out", (inputs[1],), "violation")
    assert "exactly-once" in a.explanation


# ------------------------------------------------------------------------------------------ Jepsen scenarios

def test_jepsen_inconsistent_offsets_info_send_is_not_a_conflict_until_read() -> None:
    # An indefinite send (no offset known) and an acked send of another value at offset 0: no conflict.
    b = HistoryBuilder("x")
    b.producer("w")
    info = b.produce("w", 1, outcome=Outcome.FAIL_INDEFINITE, error="REQUEST_TIMED_OUT", stored=False)[0]
    acked = b.produce("w", 1)[0]
    assert check(b.build()).count("inconsistent-offset") == 0
    # A reader that saw the indefinite value at offset 0 proves it was written there: now two values.
    b.member("r")
    b.assign("r", [0], committed={0: 0})
    b.deliver("r", 0, [0], msg_id=info)
    (a,) = check(b.build()).of_kind("inconsistent-offset")
    assert a.offsets == (0,)
    assert set(a.msg_ids) == {info, acked}


def test_jepsen_g1a_failed_write_observed() -> None:
    b = HistoryBuilder("x")
    b.producer("w")
    failed = b.produce("w", 1, outcome=Outcome.FAIL_DEFINITE, error="TOPIC_AUTHORIZATION_FAILED",
                       stored=True)[0]
    b.member("r")
    b.assign("r", [0], committed={0: 0})
    b.deliver("r", 0, [0])
    verdict = check(b.build())
    assert {a.judgement for a in verdict.of_kind("aborted-visible")} == {"violation"}
    assert all(a.msg_ids == (failed,) for a in verdict.of_kind("aborted-visible"))


def test_jepsen_lost_write_consistent() -> None:
    # a@0 and b@1, d@3 acked; c (indefinite) read at 2; a and b are gone although later records exist.
    b = HistoryBuilder("x")
    b.producer("w")
    a_, b_ = b.produce("w", 2, stored=False)
    b.skip_offsets(0, 2)
    c_ = b.produce("w", 1, outcome=Outcome.FAIL_INDEFINITE, stored=False)[0]
    b.store(0, c_, offset=2)
    d_ = b.produce("w", 1)[0]
    b.replace_row(a_, offset=0)
    b.replace_row(b_, offset=1)
    b.member("r")
    b.assign("r", [0], committed={0: 2})
    b.deliver("r", 0, [2])
    verdict = check(b.build())
    (lost,) = verdict.of_kind("lost")
    assert set(lost.msg_ids) == {a_, b_}
    assert lost.offsets == (0, 1)
    assert d_ not in lost.msg_ids
    assert c_ not in lost.msg_ids


def test_jepsen_lost_write_inconsistent_overwrite() -> None:
    # a acked at 0, then b acked at 0 as well (overwritten), c at 2: a is lost and offset 0 is inconsistent.
    b = HistoryBuilder("x")
    b.producer("w")
    a_ = b.produce("w", 1)[0]
    b.truncate(0, 0)
    b_ = b.produce("w", 1)[0]
    b.skip_offsets(0, 1)
    b.produce("w", 1)
    verdict = check(b.build())
    (lost,) = verdict.of_kind("lost")
    assert lost.msg_ids == (a_,)
    (inc,) = verdict.of_kind("inconsistent-offset")
    assert inc.offsets == (0,)
    assert set(inc.msg_ids) == {a_, b_}


def test_jepsen_lost_write_atomic_transaction() -> None:
    """An indefinite transaction writes a (x) and b (y@0); c lands at y@1. Only when a is readable must
    b exist too; then its absence is a torn transaction."""
    def run(a_visible: bool) -> Verdict:
        b = HistoryBuilder("t", partitions=2)
        b.producer("w", idempotent=True, transactional=True)
        b.produce("w", 1, partition=0, txn_id="T", txn_outcome=TxnOutcome.UNKNOWN,
                  outcome=Outcome.FAIL_INDEFINITE, stored=a_visible)
        b.produce("w", 1, partition=1, txn_id="T", txn_outcome=TxnOutcome.UNKNOWN,
                  outcome=Outcome.FAIL_INDEFINITE, stored=False)
        b.skip_offsets(1, 1)
        b.produce("w", 1, partition=1, txn_id="U", txn_outcome=TxnOutcome.COMMITTED)
        return check(b.build())

    assert nonzero(run(False)) == {}
    verdict = run(True)
    assert nonzero(verdict) == {"torn-transaction": 1}
    assert verdict.count("lost") == 0


def test_jepsen_poll_skip() -> None:
    # One consumer reads 1, 2, then 4 (3 exists), then 7 (6 exists; 5 is a hole in the log).
    b = HistoryBuilder("x")
    b.producer("w")
    b.produce("w", 5)                      # 0-4
    b.skip_offsets(0, 1)                   # 5: a hole
    b.produce("w", 2)                      # 6, 7
    b.member("r")
    b.assign("r", [0], committed={0: 1})
    b.consume("r", 0, [1, 2, 4, 7], commit=None)
    skips = check(b.build()).of_kind("poll-skip")
    assert [a.offsets for a in skips] == [(3,), (6,)]


def test_jepsen_poll_skip_excused_by_reassignment_that_drops_the_partition() -> None:
    b = HistoryBuilder("x")
    b.producer("w")
    b.produce("w", 5)
    b.member("r", strategy="never")
    b.assign("r", [0], committed={})
    b.consume("r", 0, [1, 2], commit=None)
    b.revoke("r", [0])
    b.assign("r", [0], committed={})
    b.consume("r", 0, [4], commit=None)
    assert check(b.build()).count("poll-skip") == 0


def test_jepsen_poll_skip_when_an_aborted_transaction_does_not_rewind() -> None:
    b = HistoryBuilder("x")
    b.producer("w")
    b.produce("w", 6)
    b.member("r", strategy="transactional")
    b.assign("r", [0], committed={0: 0})
    b.consume("r", 0, [0], commit=None)
    b.commit("r", {0: 1}, mode="txn")
    b.consume("r", 0, [1, 2], commit=None)
    b.commit("r", {0: 3}, mode="txn", ok=False, error="aborted")
    b.consume("r", 0, [3, 4], commit=None)          # should have rewound to 1
    (a,) = check(b.build()).of_kind("poll-skip")
    assert a.offsets == (1, 2)


def test_jepsen_aborted_transaction_that_rewinds_is_clean() -> None:
    b = HistoryBuilder("x")
    b.producer("w")
    b.produce("w", 3)
    b.member("r", strategy="transactional")
    b.assign("r", [0], committed={0: 0})
    b.consume("r", 0, [0], commit=None)
    b.commit("r", {0: 1}, mode="txn")
    b.consume("r", 0, [1, 2], commit=None)
    b.commit("r", {0: 3}, mode="txn", ok=False, error="aborted")
    b.consume("r", 0, [1, 2], commit=None)
    b.commit("r", {0: 3}, mode="txn")
    verdict = check(b.build())
    assert verdict.count("poll-skip") == 0
    assert verdict.count("nonmonotonic-poll") == 0


def test_jepsen_nonmonotonic_poll() -> None:
    b = HistoryBuilder("x")
    b.producer("w")
    b.produce("w", 4)
    b.member("r")
    b.assign("r", [0], committed={0: 0})
    b.consume("r", 0, [0, 1, 3, 2], commit=None)
    verdict = check(b.build())
    (a,) = verdict.of_kind("nonmonotonic-poll")
    assert a.offsets == (3, 2)
    (skip,) = verdict.of_kind("poll-skip")         # jumping from 1 to 3 passed over 2
    assert skip.offsets == (2,)


def test_jepsen_nonmonotonic_send() -> None:
    b = HistoryBuilder("x")
    b.producer("w", idempotent=True)
    first, second = b.produce("w", 2, stored=False)
    b.store(0, second)
    b.store(0, first)
    verdict = check(b.build())
    (a,) = verdict.of_kind("producer-reorder")
    assert a.msg_ids == (second,)
    assert a.judgement == "violation"


def test_jepsen_duplicate() -> None:
    b = HistoryBuilder("x")
    b.producer("w", idempotent=True)
    ids = b.produce("w", 2)
    b.store(0, ids[0])
    (a,) = check(b.build()).of_kind("log-duplicate")
    assert a.msg_ids == (ids[0],)
    assert a.offsets == (0, 2)


def test_jepsen_unseen() -> None:
    b = HistoryBuilder("x", partitions=2)
    b.producer("w")
    b.produce("w", 2, partition=0)
    tail = b.produce("w", 3, partition=1, stored=False)
    b.incomplete.add(("x", 1))
    verdict = check(b.build())
    assert nonzero(verdict) == {"unseen": 3}
    (a,) = verdict.of_kind("unseen")
    assert a.partition == 1
    assert set(a.msg_ids) == set(tail)


# ------------------------------------------------------------------------------------------ kafkatest

def _acked_and_consumed(idempotent: bool, duplicate: bool, missing: bool) -> Verdict:
    b = HistoryBuilder("test_topic")
    b.producer("verifiable", acks="all", idempotent=idempotent, retries=1000000 if idempotent else 5)
    ids = b.produce("verifiable", 5)
    if duplicate:
        b.store(0, ids[2])
    if missing:
        b.produce("verifiable", 1, stored=False)
        b.produce("verifiable", 1)
    return check(b.build())


def test_kafkatest_missing_acked_records_fail() -> None:
    verdict = _acked_and_consumed(idempotent=True, duplicate=False, missing=True)
    assert nonzero(verdict) == {"lost": 1}
    assert not verdict.ok


def test_kafkatest_duplicates_with_idempotence_fail() -> None:
    verdict = _acked_and_consumed(idempotent=True, duplicate=True, missing=False)
    assert nonzero(verdict) == {"log-duplicate": 1}
    assert not verdict.ok


def test_kafkatest_duplicates_without_idempotence_are_acceptable() -> None:
    verdict = _acked_and_consumed(idempotent=False, duplicate=True, missing=False)
    assert nonzero(verdict) == {"log-duplicate": 1}
    assert verdict.ok
