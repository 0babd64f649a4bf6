"""The member's evidence reaches the parent's log however it dies (real member processes, real lab).

Deliveries and processed records travel a batch at a time; these tests pin down what that must not
change: a crash right after record k leaves exactly PROCESSED 1..k, and a SIGKILL at any moment leaves
a log that is a prefix of what the member did, with every committed offset covered by PROCESSED.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.engine.test_consumer_support import Ledger, committed, create_topics, events, wait_state
from tests.helpers import unique, wait_until
from tui.engine.consumer.commands import CrashMember, MemberSpec
from tui.engine.consumer.members import GroupMembers
from tui.engine.context import Connection, EngineContext
from tui.engine.history import ConsumerEventKind as K
from tui.lab import LabCluster

pytestmark = pytest.mark.kafka


@pytest.fixture
def members(lab1: LabCluster) -> Iterator[GroupMembers]:
    lab = GroupMembers(EngineContext(Connection(lab1.bootstrap)))
    yield lab
    lab.close(15)


@pytest.mark.parametrize(("strategy", "crash_after", "batch"), [
    ("auto", 7, 40), ("auto-stored", 57, 20), ("sync-per-batch", 45, 20)])
def test_crash_after_k_records_leaves_exactly_k_processed(
        lab1: LabCluster, members: GroupMembers, strategy: str, crash_after: int, batch: int) -> None:
    topic = unique("evidence")
    create_topics(lab1.bootstrap, [topic])
    Ledger(lab1.bootstrap, "evid").produce(topic, 100, partition=0)
    group = unique("g")
    name = members.add(MemberSpec(group=group, topics=(topic,), strategy=strategy, batch_size=batch,
                                  crash_after_records=crash_after, auto_commit_interval_ms=100))
    wait_state(members, name, ("crashed",), timeout=60)
    log = events(members, name, incarnation=0)
    processed = [e for e in log if e.kind is K.PROCESSED]
    assert [e.offset for e in processed] == list(range(crash_after))
    assert all(e.msg_id == f"evid/t/0/{e.offset}" for e in processed)
    crash = [e for e in log if e.kind is K.CRASH]
    assert len(crash) == 1
    assert crash[0].seq > processed[-1].seq
    assert crash[0].detail
    assert crash[0].detail.startswith("after processing")
    delivered = {e.offset: e.seq for e in log if e.kind is K.DELIVER}
    assert all(delivered[e.offset] < e.seq for e in processed)
    view = members.view().member(name)
    assert view is not None
    assert view.processed == crash_after
    assert view.delivered == len(delivered)
    if strategy != "auto":  # at-least-once: nothing committed beyond the evidence
        done = committed(lab1.bootstrap, group, topic)
        assert done is None or done <= crash_after


def test_sigkill_mid_stream_leaves_a_prefix_covering_every_commit(
        lab1: LabCluster, members: GroupMembers) -> None:
    topic = unique("evidence-kill")
    create_topics(lab1.bootstrap, [topic])
    Ledger(lab1.bootstrap, "kill").produce(topic, 20_000, partition=0)
    group = unique("g")
    name = members.add(MemberSpec(group=group, topics=(topic,), strategy="sync-per-batch",
                                  batch_size=100))

    def busy() -> bool:
        view = members.view().member(name)
        return view is not None and view.processed >= 2_000
    wait_until(busy, 60, interval=0.01, message="the member to process 2,000 records")
    members.handle(CrashMember(name))
    wait_state(members, name, ("crashed",), timeout=30)
    log = events(members, name, incarnation=0)
    processed = [e.offset for e in log if e.kind is K.PROCESSED]
    delivered = [e.offset for e in log if e.kind is K.DELIVER]
    assert processed == list(range(len(processed)))
    assert len(processed) >= 2_000
    assert delivered == list(range(len(delivered)))
    assert len(delivered) >= len(processed)
    assert len(processed) < 20_000, "the kill came after the end: nothing was tested"
    done = committed(lab1.bootstrap, group, topic)
    assert done is not None
    assert done <= len(processed)
    oks = [o for e in log if e.kind is K.COMMIT_RESULT and e.ok for _, o in e.offsets]
    assert oks
    assert max(oks) <= len(processed)
