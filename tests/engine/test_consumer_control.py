"""Member control on the real lab: hard crash vs clean leave, live strategy switch, pause/resume,
restart of a running member, and the view fields the TUI reads."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from tests.engine.test_consumer_support import (
    Ledger,
    committed,
    create_topics,
    events,
    processed_twice,
    wait_processed,
    wait_state,
)
from tests.helpers import unique, wait_until
from tui.engine.consumer.commands import (
    AddMember,
    CrashMember,
    MemberSpec,
    PauseMember,
    RemoveMember,
    RestartMember,
    ResumeMember,
    SetProcessingTime,
    SetStrategy,
)
from tui.engine.consumer.members import GroupMembers
from tui.engine.context import Connection, EngineContext
from tui.engine.history import ConsumerEventKind as K
from tui.lab import LabCluster

pytestmark = pytest.mark.kafka


@pytest.fixture
def consumer_lab(lab1: LabCluster) -> Iterator[GroupMembers]:
    ctx = EngineContext(Connection(lab1.bootstrap))
    lab = GroupMembers(ctx)
    yield lab
    lab.close(15)


def _owner_of(lab: GroupMembers, topic: str, partition: int) -> str | None:
    for member in lab.view().members:
        if (topic, partition) in member.assignment:
            return member.name
    return None


@pytest.mark.parametrize("hard", [True, False], ids=["sigkill", "clean-leave"])
def test_crash_keeps_the_partition_until_session_timeout_but_leave_hands_it_over(
        lab1: LabCluster, consumer_lab: GroupMembers, hard: bool) -> None:
    topic = unique("takeover")
    create_topics(lab1.bootstrap, [topic], partitions=2)
    spec = MemberSpec(group=unique("g"), topics=(topic,), assignor="cooperative-sticky",
                      session_timeout_ms=6000, strategy="auto")
    m1 = consumer_lab.handle(AddMember(spec))
    wait_until(lambda: len(consumer_lab.view().member(m1).assignment) == 2, 30, message="m1 owns both")
    m2 = consumer_lab.handle(AddMember(spec))
    wait_until(lambda: len(consumer_lab.view().member(m2).assignment) == 1, 30, message="m2 got one")
    [(_, moved)] = consumer_lab.view().member(m1).assignment
    started = time.monotonic()
    consumer_lab.handle(CrashMember(m1) if hard else RemoveMember(m1))
    wait_until(lambda: _owner_of(consumer_lab, topic, moved) == m2, 30, message="m2 takes over")
    took = time.monotonic() - started
    view = consumer_lab.view().member(m1)
    assert view is not None
    if hard:
        assert view.state == "crashed"
        [crash] = events(consumer_lab, m1, K.CRASH)
        assert "SIGKILL" in (crash.detail or "")
        assert not events(consumer_lab, m1, K.LEAVE)
        assert took > 3.0, f"no LeaveGroup was sent, so the group waited ({took:.1f} s)"
    else:
        assert view.state == "stopped"
        assert events(consumer_lab, m1, K.LEAVE)
        assert took < 3.0, f"a clean leave rebalances at once ({took:.1f} s)"


def test_strategy_switch_takes_effect_at_the_next_batch(lab1: LabCluster,
                                                        consumer_lab: GroupMembers) -> None:
    topic = unique("switch")
    create_topics(lab1.bootstrap, [topic])
    ledger = Ledger(lab1.bootstrap, "switch")
    group = unique("g")
    m1 = consumer_lab.handle(AddMember(MemberSpec(group=group, topics=(topic,), strategy="never")))
    ledger.produce(topic, 5, partition=0)
    wait_processed(consumer_lab, m1, 0, topic, 4)
    consumer_lab.handle(SetStrategy(m1, "sync-per-batch"))
    wait_until(lambda: consumer_lab.view().member(m1).pending_strategy == "sync-per-batch", 10,
               message="switch pending")
    assert not events(consumer_lab, m1, K.STRATEGY), "nothing changes before the next batch"
    ledger.produce(topic, 5, partition=0)
    wait_processed(consumer_lab, m1, 0, topic, 9)
    wait_until(lambda: consumer_lab.view().member(m1).commits_ok >= 1, 10, message="a commit")
    [switch] = events(consumer_lab, m1, K.STRATEGY)
    assert switch.detail == "sync-per-batch"
    second_batch = [e for e in events(consumer_lab, m1, K.DELIVER) if e.offset == 5]
    assert switch.seq < second_batch[0].seq
    results = events(consumer_lab, m1, K.COMMIT_RESULT)
    assert results
    assert all(e.seq > switch.seq for e in results)
    assert results[-1].offsets == ((0, 10),)
    assert committed(lab1.bootstrap, group, topic) == 10
    view = consumer_lab.view().member(m1)
    assert view.strategy == "sync-per-batch"
    assert view.pending_strategy is None


def test_pause_resume_processing_time_and_view(lab1: LabCluster, consumer_lab: GroupMembers) -> None:
    topic = unique("pause")
    create_topics(lab1.bootstrap, [topic])
    ledger = Ledger(lab1.bootstrap, "pause")
    m1 = consumer_lab.handle(AddMember(MemberSpec(group=unique("g"), topics=(topic,))))
    wait_state(consumer_lab, m1, ("running",))
    consumer_lab.handle(PauseMember(m1))
    wait_state(consumer_lab, m1, ("paused",))
    ledger.produce(topic, 3, partition=0)
    consumer_lab.handle(SetProcessingTime(m1, 20))
    resumed_at = time.time()
    consumer_lab.handle(ResumeMember(m1))
    wait_processed(consumer_lab, m1, 0, topic, 2)
    delivered = events(consumer_lab, m1, K.DELIVER)
    assert all(e.ts >= resumed_at for e in delivered)
    wait_until(lambda: consumer_lab.view().member(m1).commits_ok >= 1, 10, message="a commit")
    view = consumer_lab.view().member(m1)
    assert view.state == "running"
    assert view.processing_ms == 20
    assert (view.delivered, view.processed, view.redelivered) == (3, 3, 0)
    assert [d.offset for d in view.recent] == [0, 1, 2]
    assert view.recent[0].msg_id == ledger.records[0].msg_id
    assert view.recent[0].value is not None
    assert view.recent[0].value.startswith(b"kx|")
    [part] = view.partitions
    assert (part.partition, part.delivered, part.committed) == (0, 3, 3)
    assert view.last_commit is not None
    assert view.last_commit.startswith("sync ok")


def test_restart_of_a_running_member_is_a_clean_leave_then_a_new_incarnation(
        lab1: LabCluster, consumer_lab: GroupMembers) -> None:
    topic = unique("restart")
    create_topics(lab1.bootstrap, [topic])
    Ledger(lab1.bootstrap, "restart").produce(topic, 4, partition=0)
    m1 = consumer_lab.handle(AddMember(MemberSpec(group=unique("g"), topics=(topic,),
                                                  strategy="auto-stored")))
    wait_processed(consumer_lab, m1, 0, topic, 3)
    consumer_lab.handle(RestartMember(m1))
    wait_until(lambda: events(consumer_lab, m1, K.ASSIGN, incarnation=1), 30, message="rejoined")
    assert events(consumer_lab, m1, K.LEAVE, incarnation=0)
    assert not events(consumer_lab, m1, K.CRASH)
    # auto-stored: close() committed the stored offsets, so nothing is delivered again
    assert events(consumer_lab, m1, K.ASSIGN, incarnation=1)[0].offsets == ((0, 4),)
    assert consumer_lab.view().member(m1).incarnation == 1
    with pytest.raises(ValueError, match="no member called 'nobody'"):
        consumer_lab.handle(PauseMember("nobody"))


def test_kip848_static_member_restart_waits_out_the_fenced_instance_id(
        lab1: LabCluster, consumer_lab: GroupMembers) -> None:
    # KIP-848 fences a new member whose group.instance.id the crashed one still holds; the member
    # keeps re-joining until the broker-side session (10 s in the lab) expires, then resumes
    topic = unique("kip848")
    create_topics(lab1.bootstrap, [topic])
    Ledger(lab1.bootstrap, "kip848").produce(topic, 10, partition=0)
    m1 = consumer_lab.handle(AddMember(MemberSpec(
        group=unique("g"), topics=(topic,), protocol="consumer", session_timeout_ms=None,
        group_instance_id=unique("static"), crash_after_records=3)))
    wait_state(consumer_lab, m1, ("crashed",))
    consumer_lab.handle(RestartMember(m1))
    wait_processed(consumer_lab, m1, 1, topic, 9, timeout=45)
    # sync-per-batch never committed before the crash: the new incarnation starts at offset 0
    assert [e.offset for e in events(consumer_lab, m1, K.DELIVER, 1)] == list(range(10))
    assert consumer_lab.view().member(m1).state == "running"


@pytest.mark.parametrize("strategy", ["sync-per-batch", "transactional"])
def test_a_clean_stop_mid_batch_finishes_the_batch_and_commits_it(
        lab1: LabCluster, consumer_lab: GroupMembers, strategy: str) -> None:
    """Issue 18: batches of 10, 300 ms per record, stop after 13 processed: the member finishes the
    batch in hand and commits it, so a restart repeats nothing."""
    topic = unique("stop-mid")
    output = f"{topic}-out"
    create_topics(lab1.bootstrap, [topic, output])
    Ledger(lab1.bootstrap, "stop").produce(topic, 20, partition=0)
    group = unique("g")
    spec = MemberSpec(group=group, topics=(topic,), strategy=strategy, batch_size=10, processing_ms=300,
                      output_topic=output if strategy == "transactional" else None)
    m1 = consumer_lab.handle(AddMember(spec))
    wait_processed(consumer_lab, m1, 0, topic, 12)
    consumer_lab.handle(RemoveMember(m1))
    wait_state(consumer_lab, m1, ("stopped",))
    processed = [e.offset for e in events(consumer_lab, m1, K.PROCESSED)]
    assert processed == list(range(20)), "the batch in hand (10-19) was finished"
    assert committed(lab1.bootstrap, group, topic) == 20
    consumer_lab.handle(RestartMember(m1))
    wait_until(lambda: events(consumer_lab, m1, K.ASSIGN, incarnation=1), 30, message="rejoined")
    assert events(consumer_lab, m1, K.ASSIGN, incarnation=1)[0].offsets == ((0, 20),)
    consumer_lab.handle(RemoveMember(m1))
    wait_state(consumer_lab, m1, ("stopped",))
    assert processed_twice(consumer_lab, group) == 0
    if strategy == "transactional":
        txns = consumer_lab.transactions.transactions()
        assert [t.outcome for t in txns] == ["committed", "committed"]
        assert [len(t.copies or ()) for t in txns] == [10, 10]


def test_positions_and_high_watermarks_never_contradict(lab1: LabCluster, consumer_lab: GroupMembers) -> None:
    """Issue 19: after every batch the position is past it and the high watermark is not below it; a
    caught-up partition shows its position (the committed offset) rather than nothing."""
    topic = unique("positions")
    create_topics(lab1.bootstrap, [topic], partitions=2)
    ledger = Ledger(lab1.bootstrap, "pos")
    ledger.produce(topic, 300, partition=0)
    group = unique("g")
    m1 = consumer_lab.handle(AddMember(MemberSpec(group=group, topics=(topic,), batch_size=7,
                                                  processing_ms=1)))
    seen: list[tuple[int | None, int | None, int | None]] = []

    def caught_up() -> bool:
        view = consumer_lab.view().member(m1)
        assert view is not None
        for part in view.partitions:
            seen.append((part.position, part.committed, part.high))
            if part.position is not None and part.high is not None:
                assert part.high >= part.position
        return bool(view.partitions) and view.partitions[0].position == 300

    wait_until(caught_up, 60, interval=0.02, message="partition 0 read")
    assert len([s for s in seen if s[0] is not None]) > 10
    consumer_lab.handle(RemoveMember(m1))
    wait_state(consumer_lab, m1, ("stopped",))
    m2 = consumer_lab.handle(AddMember(MemberSpec(group=group, topics=(topic,))))

    def first() -> tuple[int | None, int | None, int | None]:
        view = consumer_lab.view().member(m2)
        assert view is not None
        part = view.partitions[0] if view.partitions else None
        return (None, None, None) if part is None else (part.position, part.committed, part.lag)
    wait_until(lambda: first() == (300, 300, 0), 30, message="m2's position on the caught-up partition")
    view = consumer_lab.view().member(m2)
    assert view is not None
    assert view.assignments == 1


def test_end_to_end_latency_per_member_and_group(lab1: LabCluster, consumer_lab: GroupMembers) -> None:
    topic = unique("e2e")
    create_topics(lab1.bootstrap, [topic])
    group = unique("g")
    m1 = consumer_lab.handle(AddMember(MemberSpec(group=group, topics=(topic,))))
    wait_state(consumer_lab, m1, ("running",))
    wait_until(lambda: consumer_lab.view().member(m1).assignment, 30, message="assigned")  # type: ignore[union-attr]
    before = time.time()
    Ledger(lab1.bootstrap, "e2e").produce(topic, 50, partition=0)
    wait_processed(consumer_lab, m1, 0, topic, 49)
    took = time.time() - before
    view = consumer_lab.view()
    member = view.member(m1)
    assert member is not None
    assert member.e2e.count == 50
    assert member.e2e.p50 is not None
    assert 0.0 <= member.e2e.p50 <= took
    [(name, summary)] = [(g.group, g.e2e) for g in view.group_e2e if g.group == group]
    assert summary.count == 50
    assert summary.max == member.e2e.max
