"""The whole pipeline on the real lab: producers -> group members -> final drain -> checker, through
the engine's one verdict path (``Engine.judge`` and the ``Judge`` command)."""

from __future__ import annotations

import pytest

from tests.engine.test_consumer_support import create_topics
from tests.helpers import unique, wait_until
from tui.engine import (
    AddMember,
    Connection,
    Engine,
    Judge,
    MemberSpec,
    ProducerProfile,
    RemoveMember,
    RunScope,
    StartProducer,
    Workload,
)
from tui.lab import LabCluster

pytestmark = pytest.mark.kafka


def test_clean_run_gets_a_clean_verdict_with_exact_totals(lab1: LabCluster) -> None:
    topic = unique("verdict")
    create_topics(lab1.bootstrap, [topic], partitions=2)
    with Engine(Connection(lab1.bootstrap), watch=False) as engine:
        name = engine.call(StartProducer(ProducerProfile("vp", acks="all", idempotence=True),
                                         Workload(topic, count=40)))
        assert engine.wait_producer(name, 30)
        spec = MemberSpec(group=unique("g"), topics=(topic,), assignor="cooperative-sticky")
        members = [engine.call(AddMember(spec)) for _ in range(2)]

        def processed() -> int:
            return sum(m.processed for m in engine.snapshot().consumers.members)

        wait_until(lambda: processed() >= 40, 40, message="all 40 records processed")
        for member in members:
            engine.call(RemoveMember(member))
        assert engine.wait_members_gone(20)
        verdict = engine.judge(timeout=30)
        assert engine.snapshot().verdict is verdict
    assert verdict.ok
    assert not verdict.anomalies, [a.explanation for a in verdict.anomalies]
    summary = verdict.summary
    assert (summary.produced, summary.acked, summary.audited) == (40, 40, 40)
    assert (summary.processed, summary.processed_twice) == (40, 0)
    committed = summary.committed[spec.group]
    assert sum(v or 0 for v in committed.values()) == 40


def test_ledger_from_audit_when_we_did_not_produce(lab1: LabCluster) -> None:
    from tests.engine.test_consumer_support import Ledger

    topic = unique("audit-ledger")
    create_topics(lab1.bootstrap, [topic])
    Ledger(lab1.bootstrap, "foreign").produce(topic, 6, partition=0)
    with Engine(Connection(lab1.bootstrap), watch=False) as engine:
        m1 = engine.call(AddMember(MemberSpec(group=unique("g"), topics=(topic,), batch_size=6,
                                              strategy="commit-before", crash_after_records=2)))
        wait_until(lambda: engine.snapshot().consumers.member(m1).state == "crashed", 30,
                   message="crash")
        verdict = engine.call(Judge(timeout=30, ledger_from_audit=True), timeout=60)
        assert verdict.summary.produced == 6
        assert verdict.count("skipped") == 4
        assert verdict.count("lost") == 0


def test_a_scoped_verdict_judges_only_its_own_run(lab1: LabCluster) -> None:
    """Two runs in one engine (as two scenarios in one TUI session): the second is judged on its own
    producer and topic only, while an unscoped verdict sees both."""
    first, second = unique("scope-a"), unique("scope-b")
    create_topics(lab1.bootstrap, [first, second])
    with Engine(Connection(lab1.bootstrap), watch=False) as engine:
        a = engine.call(StartProducer(ProducerProfile("pa", acks="all"), Workload(first, count=7)))
        b = engine.call(StartProducer(ProducerProfile("pb", acks="all"), Workload(second, count=5)))
        assert engine.wait_producer(a, 30)
        assert engine.wait_producer(b, 30)
        scoped = engine.judge(scope=RunScope(topics=(second,), producers=(b,)), timeout=30)
        everything = engine.judge(timeout=30)
    assert (scoped.summary.produced, scoped.summary.audited) == (5, 5)
    assert (everything.summary.produced, everything.summary.audited) == (12, 12)
    assert scoped.ok
    assert everything.ok
