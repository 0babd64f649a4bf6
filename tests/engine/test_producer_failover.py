"""acks=all below min.insync.replicas on the real 3-node lab: NOT_ENOUGH_REPLICAS, definite.

Approach: an RF=2 topic on brokers (1, 2) with min.insync.replicas=2, and ONE follower (node 2)
paused. Pausing two of three combined nodes would stop the KRaft quorum, so the ISR could never
shrink (kafka-lab.md §2.5); with one node paused the quorum survives, the controller fences node 2
after broker.session.timeout.ms (9 s), the ISR becomes {1} < 2, and the leader refuses acks=all
writes with NOT_ENOUGH_REPLICAS before appending. retries=0 makes that error the final report.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.helpers import unique, wait_until
from tui.engine.context import Connection
from tui.engine.engine import Engine
from tui.engine.history import Outcome
from tui.engine.producer.commands import StartProducer
from tui.engine.producer.profile import ProducerProfile
from tui.engine.producer.workload import Workload
from tui.engine.topics import CreateTopic, TopicSpec
from tui.lab import LabCluster

pytestmark = pytest.mark.failover

LEADER, FOLLOWER = 1, 2


@pytest.fixture
def engine3(healthy_lab3: LabCluster) -> Iterator[Engine]:
    with Engine(Connection(healthy_lab3.bootstrap), watch=False) as eng:
        yield eng


def _isr(lab: LabCluster, topic: str) -> tuple[int, tuple[int, ...]]:
    part = lab.partitions(topic)[0]
    return part.leader, part.isr


def test_acks_all_below_min_isr_fails_definitely(engine3: Engine, healthy_lab3: LabCluster) -> None:
    lab = healthy_lab3
    topic = unique("minisr")
    engine3.call(CreateTopic(TopicSpec(topic, replica_assignment=((LEADER, FOLLOWER),),
                                       min_insync_replicas=2)))
    wait_until(lambda: _isr(lab, topic) == (LEADER, (LEADER, FOLLOWER)), timeout=30,
               message="leader 1 with ISR {1,2}")
    events = engine3.subscribe(kinds=("producer.",))
    lab.pause(FOLLOWER)
    try:
        wait_until(lambda: _isr(lab, topic) == (LEADER, (LEADER,)), timeout=45,
                   message="node 2 fenced out of the ISR")
        engine3.call(StartProducer(ProducerProfile("strict", acks="all", retries=0),
                                   Workload(topic, count=20)))
        assert engine3.producers.wait_done("strict", 30)
        records = engine3.producers.history()[0]
        assert len(records) == 20
        assert {r.outcome for r in records} == {Outcome.FAIL_DEFINITE}
        assert {r.error for r in records} == {"NOT_ENOUGH_REPLICAS"}
        view = engine3.snapshot().producers.get("strict")
        assert view is not None
        assert (view.failed_definite, view.acked, view.state) == (20, 0, "done")
        assert [(e.error, e.outcome, e.count) for e in view.errors] == [
            ("NOT_ENOUGH_REPLICAS", "fail-definite", 20)]
        kinds = [e.kind for e in events.drain()]
        assert "producer.failures" in kinds
        # the engine keeps going: acks=1 is still accepted by the lone leader
        engine3.call(StartProducer(ProducerProfile("leader-only", acks="1"), Workload(topic, count=10)))
        assert engine3.producers.wait_done("leader-only", 30)
        again = engine3.snapshot().producers.get("leader-only")
        assert again is not None
        assert again.acked == 10
    finally:
        lab.resume(FOLLOWER)
