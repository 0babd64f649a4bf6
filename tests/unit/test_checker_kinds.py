"""Every anomaly kind fires with an exact count, and its twin (one fact changed) stays quiet.

A kind that no history can make fire would be a check that cannot fail (issue 18): the table below
must name every kind of the vocabulary.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tui.engine.checker import KINDS, check
from tui.engine.checker.builder import HistoryBuilder
from tui.engine.history import Outcome, TxnOutcome
from tui.vocab import ANOMALY_TITLES, AckType, AnomalyKind, PolicyAction

Build = Callable[[bool], HistoryBuilder]
"""``build(fire)``: the history with the anomaly (True) or its clean twin (False)."""


def consumed(n: int = 5, strategy: str = "sync-per-message") -> HistoryBuilder:
    b = HistoryBuilder("t")
    b.producer("p", acks="all", idempotent=True)
    b.produce("p", n)
    b.member("m", strategy=strategy)
    b.assign("m", [0], committed={0: 0})
    return b


def unconsumed(fire: bool) -> HistoryBuilder:
    b = consumed()
    b.consume("m", 0, range(2 if fire else 5))
    return b


def lost(fire: bool) -> HistoryBuilder:
    b = HistoryBuilder("t")
    b.producer("p", acks="all")
    b.produce("p", 2)
    b.produce("p", 1, stored=not fire)
    b.produce("p", 1)
    return b


def unseen(fire: bool) -> HistoryBuilder:
    b = HistoryBuilder("t")
    b.producer("p", acks="all")
    b.produce("p", 2)
    b.produce("p", 2, stored=not fire)
    b.incomplete.add(("t", 0))
    return b


def inconsistent_offset(fire: bool) -> HistoryBuilder:
    b = HistoryBuilder("t")
    b.producer("p", acks="all")
    ids = b.produce("p", 3)
    if fire:
        b.replace_row(ids[0], offset=2)
    return b


def log_duplicate(fire: bool) -> HistoryBuilder:
    b = HistoryBuilder("t")
    b.producer("p", acks="all", idempotent=True)
    ids = b.produce("p", 3)
    if fire:
        b.store(0, ids[1])
    return b


def redelivered(fire: bool) -> HistoryBuilder:
    """Records returned but not processed before a crash are returned again (not processed twice)."""
    b = consumed(4, strategy="sync-per-batch")
    b.deliver("m", 0, range(4) if fire else range(2))
    b.process("m", 0, range(2))
    b.commit("m", {0: 2})
    b.crash("m")
    b.restart("m")
    b.assign("m", [0], committed={0: 2})
    b.consume("m", 0, range(2, 4))
    return b


def processed_twice(fire: bool) -> HistoryBuilder:
    b = consumed(4, strategy="sync-per-batch")
    b.deliver("m", 0, range(4))
    b.process("m", 0, range(4))
    b.commit("m", {0: 2 if fire else 4})
    b.crash("m")
    b.restart("m")
    b.assign("m", [0], committed={0: 2 if fire else 4})
    if fire:
        b.consume("m", 0, range(2, 4))
    return b


def skipped(fire: bool) -> HistoryBuilder:
    b = consumed(6, strategy="sync-per-batch")
    b.deliver("m", 0, range(6))
    b.process("m", 0, range(6 if not fire else 2))
    b.commit("m", {0: 6})
    b.final_commit("g", {0: 6})
    return b


def poll_skip(fire: bool) -> HistoryBuilder:
    b = consumed(5)
    b.consume("m", 0, [0, 1, 4] if fire else range(5))
    if fire:
        b.process("m", 0, [2, 3])            # (processed without delivery: keeps the count to one kind)
    return b


def nonmonotonic_poll(fire: bool) -> HistoryBuilder:
    b = consumed(4)
    b.consume("m", 0, range(4), commit=None)
    if fire:
        b.deliver("m", 0, [2])
    return b


def producer_reorder(fire: bool) -> HistoryBuilder:
    b = HistoryBuilder("t")
    b.producer("p", idempotent=True)
    ids = b.produce("p", 3, stored=False)
    for mid in ([ids[1], ids[0], ids[2]] if fire else ids):
        b.store(0, mid)
    return b


def producer_gap(fire: bool) -> HistoryBuilder:
    b = HistoryBuilder("t")
    b.producer("p", idempotent=True)
    b.produce("p", 2)
    b.produce("p", 1, outcome=Outcome.FAIL_INDEFINITE, error="_MSG_TIMED_OUT", stored=not fire)
    b.produce("p", 2)
    return b


def aborted_visible(fire: bool) -> HistoryBuilder:
    """A NOT_ENOUGH_REPLICAS send found in the log: definite only with retries=0 (outcomes.py), and only
    a definite failure that shows up is a violation."""
    b = HistoryBuilder("t")
    b.producer("p", retries=0 if fire else 5)
    outcome = Outcome.FAIL_DEFINITE if fire else Outcome.FAIL_INDEFINITE
    b.produce("p", 1, outcome=outcome, error="NOT_ENOUGH_REPLICAS", stored=True)
    b.produce("p", 1)
    return b


def aborted_copy_visible(fire: bool) -> HistoryBuilder:
    b = consumed(2, strategy="transactional")
    ids = [b.msg_at(0, 0), b.msg_at(0, 1)]
    b.consume("m", 0, range(2), commit=None)
    b.transaction("m", [i for i in ids if i is not None], TxnOutcome.ABORTED, visible=fire)
    return b


def torn_transaction(fire: bool) -> HistoryBuilder:
    b = consumed(3, strategy="transactional")
    b.consume("m", 0, range(3), commit=None)
    ids = [m for o in range(3) if (m := b.msg_at(0, o)) is not None]
    b.transaction("m", ids, TxnOutcome.COMMITTED, drop=ids[:1] if fire else ())
    return b


def commit_anomaly(fire: bool) -> HistoryBuilder:
    b = consumed(6)
    b.consume("m", 0, range(3), commit=None)
    b.commit("m", {0: 5 if fire else 3})
    b.consume("m", 0, range(3, 6), commit=None)
    b.commit("m", {0: 6})
    return b


def stuck(fire: bool) -> HistoryBuilder:
    """A crash loop under the fail policy at offset 2, seen by the stall detector for 30 s (twin: 5 s,
    under the 10 s threshold)."""
    b = consumed(5)
    t0 = b.tick()
    b.consume("m", 0, range(2))
    for _ in range(2):
        b.deliver("m", 0, [2])
        b.fail("m", 0, 2)
        b.policy("m", 0, 2, PolicyAction.FAIL)
        b.crash("m", "error policy fail on offset 2: invalid-json")
        b.restart("m")
        b.assign("m", [0], committed={0: 2})
    b.stall("g", 0, 2, since=t0, until=t0 + (30.0 if fire else 5.0), lag=3)
    return b


def resend_duplicate(fire: bool) -> HistoryBuilder:
    """The application re-sent a timed-out record; the first send had been written after all."""
    b = HistoryBuilder("t")
    b.producer("p", idempotent=True, resend=True)
    b.produce("p", 2)
    (late,) = b.produce("p", 1, outcome=Outcome.FAIL_INDEFINITE, error="_MSG_TIMED_OUT", stored=fire)
    b.resend("p", late)
    b.produce("p", 1)
    return b


def share_consumed(n: int = 3, limit: int = 5) -> HistoryBuilder:
    b = HistoryBuilder("t")
    b.producer("p", acks="all", idempotent=True)
    b.produce("p", n)
    b.share_member("s", limit=limit)
    b.share_consume("s", 0, range(n - 1))
    return b


def delivered_again(fire: bool) -> HistoryBuilder:
    b = share_consumed()
    if fire:
        b.acquire("s", 0, [2])
        b.fail("s", 0, 2, error="transient", detail="try again", attempt=1)
        b.ack("s", 0, [2], AckType.RELEASE)
        b.ack_commit("s", 0, [2])
    b.share_consume("s", 0, [2])
    return b


def rejected(fire: bool) -> HistoryBuilder:
    b = share_consumed()
    if fire:
        b.acquire("s", 0, [2])
        b.fail("s", 0, 2)
        b.ack("s", 0, [2], AckType.REJECT)
        b.ack_commit("s", 0, [2])
    else:
        b.share_consume("s", 0, [2])
    return b


def archived(fire: bool) -> HistoryBuilder:
    """Released at every delivery up to share.delivery.count.limit=3 (twin: accepted at the third)."""
    b = share_consumed(limit=3)
    for _ in range(3 if fire else 2):
        b.acquire("s", 0, [2])
        b.fail("s", 0, 2, error="transient", detail="try again")
        b.ack("s", 0, [2], AckType.RELEASE)
    if not fire:
        b.share_consume("s", 0, [2])
    return b


def failing_at_2(strategy: str = "sync-per-message") -> HistoryBuilder:
    b = consumed(5, strategy=strategy)
    b.consume("m", 0, range(2))
    b.deliver("m", 0, [2])
    return b


def skipped_by_policy(fire: bool) -> HistoryBuilder:
    b = failing_at_2()
    if fire:
        b.skip_failed("m", 0, 2)
    else:
        b.process("m", 0, [2])
    b.commit("m", {0: 3})
    b.consume("m", 0, range(3, 5))
    return b


def dead_lettered(fire: bool) -> HistoryBuilder:
    b = failing_at_2()
    if fire:
        b.dead_letter("m", 0, 2)
    else:
        b.process("m", 0, [2])
    b.commit("m", {0: 3})
    b.consume("m", 0, range(3, 5))
    return b


def dlt_duplicate(fire: bool) -> HistoryBuilder:
    """A crash between the DLT send and the commit (twin: the commit made it before the crash)."""
    b = failing_at_2()
    b.dead_letter("m", 0, 2)
    if not fire:
        b.commit("m", {0: 3})
    b.crash("m", "after the DLT send, before the commit")
    b.restart("m")
    b.assign("m", [0], committed={0: 2 if fire else 3})
    if fire:
        b.deliver("m", 0, [2])
        b.dead_letter("m", 0, 2)
        b.commit("m", {0: 3})
    b.consume("m", 0, range(3, 5))
    return b


NONE: dict[str, int] = {}
TABLE: dict[str, tuple[Build, int, str, dict[str, int]]] = {
    # kind: (history, exact count, judgement, the other kinds it necessarily brings along)
    AnomalyKind.UNCONSUMED: (unconsumed, 3, "liveness", NONE),
    AnomalyKind.LOST: (lost, 1, "violation", NONE),
    AnomalyKind.UNSEEN: (unseen, 2, "liveness", NONE),
    AnomalyKind.INCONSISTENT_OFFSET: (inconsistent_offset, 1, "violation", NONE),
    AnomalyKind.LOG_DUPLICATE: (log_duplicate, 1, "violation", NONE),
    AnomalyKind.REDELIVERED: (redelivered, 2, "expected", NONE),
    AnomalyKind.PROCESSED_TWICE: (processed_twice, 2, "expected", {"redelivered": 2}),
    AnomalyKind.SKIPPED: (skipped, 4, "violation", NONE),
    AnomalyKind.POLL_SKIP: (poll_skip, 2, "violation", NONE),
    AnomalyKind.NONMONOTONIC_POLL: (nonmonotonic_poll, 1, "violation", {"redelivered": 1}),
    AnomalyKind.PRODUCER_REORDER: (producer_reorder, 1, "violation", NONE),
    AnomalyKind.PRODUCER_GAP: (producer_gap, 1, "expected", NONE),
    AnomalyKind.ABORTED_VISIBLE: (aborted_visible, 1, "violation", NONE),
    AnomalyKind.TORN_TRANSACTION: (torn_transaction, 1, "violation", NONE),
    AnomalyKind.COMMIT_ANOMALY: (commit_anomaly, 1, "violation", NONE),
    AnomalyKind.STUCK: (stuck, 1, "expected", {"redelivered": 1, "unconsumed": 2}),
    AnomalyKind.RESEND_DUPLICATE: (resend_duplicate, 1, "expected", NONE),
    AnomalyKind.DELIVERED_AGAIN: (delivered_again, 1, "expected", NONE),
    AnomalyKind.SKIPPED_BY_POLICY: (skipped_by_policy, 1, "expected", NONE),
    AnomalyKind.DEAD_LETTERED: (dead_lettered, 1, "expected", NONE),
    AnomalyKind.DLT_DUPLICATE: (dlt_duplicate, 1, "expected", {"dead-lettered": 1, "redelivered": 1}),
    AnomalyKind.REJECTED: (rejected, 1, "expected", NONE),
    AnomalyKind.ARCHIVED: (archived, 1, "expected", {"delivered-again": 1}),
}


def test_the_table_names_every_kind_and_every_kind_has_a_title() -> None:
    assert set(TABLE) == set(KINDS)
    assert set(ANOMALY_TITLES) == set(AnomalyKind)


@pytest.mark.parametrize("kind", list(TABLE))
def test_kind_fires_with_the_exact_count(kind: str) -> None:
    build, count, judgement, also = TABLE[kind]
    verdict = check(build(True).build())
    assert verdict.count(kind) == count, [a.explanation for a in verdict.anomalies]
    assert {a.judgement for a in verdict.of_kind(kind)} == {judgement}
    others = {k: n for k, n in verdict.counts.items() if n and k != kind}
    assert others == also, [a.explanation for a in verdict.anomalies]


@pytest.mark.parametrize("kind", list(TABLE))
def test_its_twin_stays_quiet(kind: str) -> None:
    build, _count, _judgement, _also = TABLE[kind]
    verdict = check(build(False).build())
    assert verdict.count(kind) == 0, [a.explanation for a in verdict.anomalies]


def test_an_aborted_copy_fires_too() -> None:
    """aborted-visible over History.transactions (the copier), besides the ledger's definite failures."""
    assert check(aborted_copy_visible(True).build()).count("aborted-visible") == 2
    assert check(aborted_copy_visible(False).build()).count("aborted-visible") == 0
