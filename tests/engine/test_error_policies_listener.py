"""The rebalance listener on the real lab: a cooperative rebalance with and without commit-on-revoke.

librdkafka already commits *stored* offsets when partitions are revoked (auto-commit on) and waits for
in-flight commits, so the listener only matters when processed offsets are not committed yet at the
poll boundary: here ``auto-stored`` with ``enable.auto.commit=false`` (offsets stored as records are
processed, committed by nobody but the listener). m1 reads both partitions, m2 joins, one partition
moves: without the listener m2 processes its records again, with it none.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import pytest

from tests.engine.test_consumer_support import Ledger, create_topics, events, wait_processed
from tests.helpers import unique, wait_until
from tui.engine.consumer.commands import MemberSpec, RemoveMember, SetCommitOnRevoke, SetSlow
from tui.engine.consumer.members import GroupMembers
from tui.engine.context import Connection, EngineContext
from tui.engine.history import ConsumerEventKind as K
from tui.lab import LabCluster

pytestmark = pytest.mark.kafka

PER_PARTITION = 10


@pytest.fixture
def lab(lab1: LabCluster) -> Iterator[GroupMembers]:
    members = GroupMembers(EngineContext(Connection(lab1.bootstrap)))
    yield members
    members.close(15)


def _twice(lab: GroupMembers, group: str) -> int:
    counts = Counter((e.topic, e.partition, e.offset) for e in lab.history()
                     if e.group == group and e.kind is K.PROCESSED)
    return sum(1 for n in counts.values() if n > 1)


@pytest.mark.parametrize("listener", [False, True], ids=["no-listener", "commit-on-revoke"])
def test_commit_on_revoke_prevents_the_repeat_of_a_moved_partition(lab1: LabCluster, lab: GroupMembers,
                                                                  listener: bool) -> None:
    topic = unique("listener")
    create_topics(lab1.bootstrap, [topic], partitions=2)
    ledger = Ledger(lab1.bootstrap, "listener")
    for p in (0, 1):
        ledger.produce(topic, PER_PARTITION, partition=p)
    group = unique("g")
    spec = MemberSpec(group=group, topics=(topic,), strategy="auto-stored", assignor="cooperative-sticky",
                      commit_on_revoke=listener, extra=(("enable.auto.commit", "false"),))
    m1 = lab.add(spec)
    for p in (0, 1):
        wait_until(lambda p=p: any(e.partition == p and e.offset == PER_PARTITION - 1
                                   for e in events(lab, m1, K.PROCESSED)), 40, message="m1 to read both")
    m2 = lab.add(spec)
    wait_until(lambda: len(lab.view().member(m2).assignment) == 1, 40,  # type: ignore[union-attr]
               message="m2 to get one partition")
    [(_, moved)] = lab.view().member(m2).assignment  # type: ignore[union-attr]
    if not listener:
        wait_processed(lab, m2, 0, topic, PER_PARTITION - 1)
    log = lab.history()
    revoke = next(e for e in log if e.member == m1 and e.kind is K.REVOKE)
    assert revoke.partitions == (moved,)
    assert revoke.commit_on_revoke is listener
    listener_commits = [e for e in log if e.member == m1 and e.detail == "on-revoke"]
    if listener:
        req, result = listener_commits
        assert (req.kind, result.kind) == (K.COMMIT_REQ, K.COMMIT_RESULT)
        assert (req.mode, result.mode, result.ok) == ("sync", "sync", True)
        assert result.offsets == ((moved, PER_PARTITION),)
        assert result.seq < revoke.seq, "the listener commits before the partition is given up"
        assign = next(e for e in log if e.member == m2 and e.kind is K.ASSIGN)
        assert assign.offsets == ((moved, PER_PARTITION),), "m2 starts where m1 stopped"
        assert _twice(lab, group) == 0
        assert not events(lab, m2, K.DELIVER)
    else:
        assert listener_commits == []
        assert _twice(lab, group) == PER_PARTITION, "m2 processes the moved partition again"
    for name in (m1, m2):
        lab.handle(RemoveMember(name))


def test_the_listener_is_switched_live_and_never_commits_under_never(lab1: LabCluster,
                                                                    lab: GroupMembers) -> None:
    topic = unique("listener-live")
    create_topics(lab1.bootstrap, [topic], partitions=2)
    Ledger(lab1.bootstrap, "live").produce(topic, 4, partitions=2)
    group = unique("g")
    m1 = lab.add(MemberSpec(group=group, topics=(topic,), strategy="never", assignor="cooperative-sticky"))
    wait_until(lambda: len(events(lab, m1, K.PROCESSED)) == 4, 40, message="m1 to read all")
    lab.handle(SetCommitOnRevoke(m1, True))
    view = lab.view().member(m1)
    assert view is not None
    assert view.commit_on_revoke
    m2 = lab.add(MemberSpec(group=group, topics=(topic,), strategy="never", assignor="cooperative-sticky"))
    wait_until(lambda: events(lab, m1, K.REVOKE), 40, message="a revoke")
    (revoke,) = events(lab, m1, K.REVOKE)
    assert revoke.commit_on_revoke is False, "under never the listener commits nothing"
    assert not [e for e in events(lab, m1) if e.detail == "on-revoke"]
    lab.handle(RemoveMember(m2))


def test_a_lost_partition_is_not_committed_by_the_listener(lab1: LabCluster, lab: GroupMembers) -> None:
    """Kicked for exceeding max.poll.interval.ms, the member's partitions are lost: the listener's
    commit is refused, and logged (on-lost) before the LOST."""
    topic = unique("listener-lost")
    create_topics(lab1.bootstrap, [topic], partitions=1)
    spec = MemberSpec(group=unique("g"), topics=(topic,), strategy="auto-stored", batch_size=5,
                      assignor="cooperative-sticky", max_poll_interval_ms=6000, session_timeout_ms=6000,
                      commit_on_revoke=True, extra=(("enable.auto.commit", "false"),))
    m1 = lab.add(spec)
    wait_until(lambda: lab.view().member(m1).assignment, 30, message="m1 assigned")  # type: ignore[union-attr]
    lab.handle(SetSlow(m1, True))
    Ledger(lab1.bootstrap, "lost").produce(topic, 5, partition=0)
    wait_until(lambda: events(lab, m1, K.LOST), 60, message="m1's partition to be lost")
    lab.handle(SetSlow(m1, False))
    log = [e for e in lab.history() if e.member == m1]
    (lost,) = [e for e in log if e.kind is K.LOST]
    assert lost.commit_on_revoke is True
    tried = [e for e in log if e.detail == "on-lost"]
    assert [e.kind for e in tried] == [K.COMMIT_REQ, K.COMMIT_RESULT]
    assert tried[1].ok is False, "a lost partition cannot be committed any more"
    assert tried[1].seq < lost.seq
