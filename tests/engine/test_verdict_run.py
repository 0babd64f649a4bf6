"""The whole pipeline on the real lab: producer lab -> group members -> final drain -> checker."""

from __future__ import annotations

import pytest

from tests.engine.test_consumer_support import create_topics
from tests.helpers import unique, wait_until
from tui.engine.consumer.commands import AddMember, MemberSpec, RemoveMember
from tui.engine.context import Connection
from tui.engine.engine import Engine
from tui.engine.producer.commands import StartProducer
from tui.engine.producer.profile import ProducerProfile
from tui.engine.producer.workload import Workload
from tui.engine.verdict_run import compute_verdict
from tui.lab import LabCluster

pytestmark = pytest.mark.kafka


def test_clean_run_gets_a_clean_verdict_with_exact_totals(lab1: LabCluster) -> None:
    topic = unique("verdict")
    create_topics(lab1.bootstrap, [topic], partitions=2)
    with Engine(Connection(lab1.bootstrap), watch=False) as engine:
        name = engine.call(StartProducer(ProducerProfile("vp", acks="all", idempotence=True),
                                         Workload(topic, count=40)))
        assert engine.producers.wait_done(name, 30)
        spec = MemberSpec(group=unique("g"), topics=(topic,), assignor="cooperative-sticky")
        members = [engine.call(AddMember(spec)) for _ in range(2)]

        def processed() -> int:
            return sum(m.processed for m in engine.consumers.view().members)

        wait_until(lambda: processed() >= 40, 40, message="all 40 records processed")
        for member in members:
            engine.call(RemoveMember(member))
        assert engine.consumers.wait_idle(20)
        verdict = compute_verdict(engine.ctx, engine.producers, engine.consumers, timeout=30)
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
        wait_until(lambda: engine.consumers.view().member(m1).state == "crashed", 30,
                   message="crash")
        verdict = compute_verdict(engine.ctx, None, engine.consumers, timeout=30,
                                  ledger_from_audit=True)
        assert verdict.summary.produced == 6
        assert verdict.count("skipped") == 4
        assert verdict.count("lost") == 0
