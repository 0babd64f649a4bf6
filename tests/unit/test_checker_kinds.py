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
from tui.vocab import ANOMALY_TITLES, AnomalyKind

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
