"""The member's evidence reaches the parent's log however it dies (real member processes, real lab).

Deliveries and processed records travel a batch at a time; these tests pin down what that must not
change: a crash right after record k leaves exactly PROCESSED 1..k, and a SIGKILL at any moment leaves
a log that is a prefix of what the member did, with every committed offset covered by PROCESSED.
"""

from __future__ import annotations

import time
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


def _tagged(bootstrap: str, topic: str, isolation: str) -> dict[str, int]:
    """A plain client's count of ``topic``'s records per ``kx-txn`` tag, read with ``isolation``."""
    from confluent_kafka import TopicPartition

    from tui.engine.record_format import HEADER_TXN
    from tui.kafka import clients

    consumer = clients.consumer({"bootstrap.servers": bootstrap, "group.id": unique("plain"),
                                 "isolation.level": isolation, "enable.auto.commit": False})
    try:
        end = consumer.get_watermark_offsets(TopicPartition(topic, 0), timeout=10)[1]
        consumer.assign([TopicPartition(topic, 0, 0)])
        counts: dict[str, int] = {}
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            msgs = consumer.consume(100, timeout=1.0)
            for msg in msgs:
                if msg.error() is None:
                    tag = dict(msg.headers() or []).get(HEADER_TXN)
                    if tag is not None:
                        counts[tag.decode()] = counts.get(tag.decode(), 0) + 1
            position = consumer.position([TopicPartition(topic, 0)])[0].offset
            if not msgs and position >= 0 and (isolation == "read_committed" or position >= end):
                break
        return counts
    finally:
        consumer.close()


def test_eos_copy_crash_records_one_open_transaction_and_its_committed_redo(lab1: LabCluster) -> None:
    """Issue 18: the bundled eos-copy-crash scenario -- the crashed copier's transaction is recorded as
    open, its 2 copies are invisible under read_committed, and the redo of the batch committed."""
    from tui.engine import Connection as PublicConnection
    from tui.engine import Engine
    from tui.scenario.load import bundled_dir, load_file
    from tui.scenario.runner import ScenarioRun

    scenario = load_file(bundled_dir() / "eos-copy-crash.yaml")
    with Engine(PublicConnection(bootstrap=lab1.bootstrap), watch=False) as engine:
        run = ScenarioRun(scenario, engine)
        try:
            outcome = run.run_all()
        finally:
            run.close(heal=False)
        assert outcome.passed, outcome.error
        copier = outcome.names["c"]
        output = outcome.names["output"]
        txns = [t for t in engine.members.transactions.transactions() if t.member == copier]
    opened = [t for t in txns if t.outcome == "open"]
    assert len(opened) == 1
    assert opened[0].incarnation == 0
    assert opened[0].copies is not None
    assert len(opened[0].copies) == 2, "the crash came after the 3rd record, before its copy"
    redo = [t for t in txns if t.incarnation == 1 and t.outcome == "committed"]
    assert redo
    assert set(opened[0].copies) <= {c for t in redo for c in t.copies or ()}
    uncommitted = _tagged(lab1.bootstrap, output, "read_uncommitted")
    visible = _tagged(lab1.bootstrap, output, "read_committed")
    assert uncommitted.get(opened[0].txn_id) == 2
    assert opened[0].txn_id not in visible
    assert sum(visible.values()) == 20
    assert outcome.verdict is not None
    assert outcome.verdict.summary.get("transactions", 0) >= 2
