"""Group behaviour on the real lab: rebalances per protocol, kicked members, committed offsets vs Kafka's
own ConsumerGroupCommand."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator

import pytest

from tests.engine.test_consumer_support import (
    Ledger,
    create_topics,
    events,
    wait_processed,
    wait_state,
)
from tests.helpers import unique, wait_until
from tui.engine.consumer.commands import AddMember, MemberSpec, SetSlow
from tui.engine.consumer.members import GroupMembers
from tui.engine.context import Connection, EngineContext
from tui.engine.history import ConsumerEventKind as K
from tui.lab import LabCluster
from tui.lab.jars import classpath, ensure_jars
from tui.lab.java import java_executable

pytestmark = pytest.mark.kafka


@pytest.fixture
def consumer_lab(lab1: LabCluster) -> Iterator[GroupMembers]:
    lab = GroupMembers(EngineContext(Connection(lab1.bootstrap)))
    yield lab
    lab.close(15)


def _assigned(lab: GroupMembers, member: str) -> set[int]:
    view = lab.view().member(member)
    return {p for _, p in view.assignment} if view else set()


@pytest.mark.parametrize(("protocol", "assignor", "incremental"), [
    ("classic", "range", False),
    ("classic", "cooperative-sticky", True),
    ("consumer", "range", True),
])
def test_adding_a_member_revokes_all_or_only_moved_partitions(
        lab1: LabCluster, consumer_lab: GroupMembers, protocol: str, assignor: str,
        incremental: bool) -> None:
    topic = unique("rebal")
    create_topics(lab1.bootstrap, [topic], partitions=4)
    spec = MemberSpec(group=unique("g"), topics=(topic,), protocol=protocol,
                      assignor=assignor if protocol == "classic" else "range",
                      remote_assignor="uniform" if protocol == "consumer" else None,
                      session_timeout_ms=6000 if protocol == "classic" else None)
    m1 = consumer_lab.handle(AddMember(spec))
    wait_until(lambda: _assigned(consumer_lab, m1) == {0, 1, 2, 3}, 30, message="m1 owns all four")
    mark = len(consumer_lab.history())
    m2 = consumer_lab.handle(AddMember(spec))
    wait_until(lambda: len(_assigned(consumer_lab, m1)) == 2 and len(_assigned(consumer_lab, m2)) == 2,
               40, message="two partitions each")
    later = consumer_lab.history()[mark:]
    revoked = {p for e in later if e.member == m1 and e.kind is K.REVOKE for p in e.partitions}
    kept = _assigned(consumer_lab, m1)
    moved = _assigned(consumer_lab, m2)
    assert kept | moved == {0, 1, 2, 3}
    assert not kept & moved
    if incremental:
        assert revoked == moved, "only the partitions that moved were revoked"
        assert not any(e.member == m1 and e.kind is K.ASSIGN and set(e.partitions) & kept
                       for e in later), "kept partitions were never re-assigned"
    else:
        assert revoked == {0, 1, 2, 3}, "eager rebalancing revokes everything"
        reassigned = {p for e in later if e.member == m1 and e.kind is K.ASSIGN for p in e.partitions}
        assert reassigned == kept
    assert all(e.generation is not None for e in later if e.kind in (K.ASSIGN, K.REVOKE))


def test_kicked_member_is_reported_and_its_batch_redelivered(
        lab1: LabCluster, consumer_lab: GroupMembers) -> None:
    topic = unique("kick")
    create_topics(lab1.bootstrap, [topic], partitions=1)
    spec = MemberSpec(group=unique("g"), topics=(topic,), assignor="cooperative-sticky",
                      strategy="sync-per-batch", batch_size=5, max_poll_interval_ms=6000,
                      session_timeout_ms=6000)
    m1 = consumer_lab.handle(AddMember(spec))
    wait_until(lambda: _assigned(consumer_lab, m1) == {0}, 30, message="m1 owns the partition")
    m2 = consumer_lab.handle(AddMember(spec))
    wait_state(consumer_lab, m2, ("running",), timeout=30)
    assert _assigned(consumer_lab, m1) == {0}, "sticky: m1 keeps the partition"
    consumer_lab.handle(SetSlow(m1, True))
    Ledger(lab1.bootstrap, "kick").produce(topic, 5, partition=0)
    wait_until(lambda: events(consumer_lab, m1, K.KICKED), 40, message="m1 to be kicked out")
    consumer_lab.handle(SetSlow(m1, False))
    wait_processed(consumer_lab, m2, 0, topic, 4, timeout=30)
    in_flight = {e.offset for e in events(consumer_lab, m1, K.DELIVER)}
    assert in_flight == {0, 1, 2, 3, 4}
    again = {e.offset for e in events(consumer_lab, m2, K.DELIVER)}
    assert in_flight <= again, "the kicked member's in-flight records went to m2"
    failed = [e for e in events(consumer_lab, m1, K.COMMIT_RESULT) if not e.ok]
    assert failed, "the kicked member's late commit was refused"
    assert not any(e.ok for e in events(consumer_lab, m1, K.COMMIT_RESULT))
    assert any(0 in e.partitions for e in events(consumer_lab, m1, K.LOST)), "its partition was lost"


def _cgc_describe(bootstrap: str, group: str) -> dict[tuple[str, int], int | None]:
    libs = ensure_jars()
    cmd = [java_executable(), "-Xmx256m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
           "-cp", classpath(libs), "org.apache.kafka.tools.consumer.group.ConsumerGroupCommand",
           "--bootstrap-server", bootstrap, "--describe", "--group", group]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=True).stdout
    rows: dict[tuple[str, int], int | None] = {}
    for line in out.splitlines():
        cols = line.split()
        if len(cols) >= 4 and cols[0] == group and re.fullmatch(r"\d+", cols[2]):
            rows[(cols[1], int(cols[2]))] = int(cols[3]) if cols[3].isdigit() else None
    return rows


def test_committed_offsets_agree_with_consumer_group_command(
        lab1: LabCluster, consumer_lab: GroupMembers) -> None:
    topic = unique("cgc")
    create_topics(lab1.bootstrap, [topic], partitions=3)
    Ledger(lab1.bootstrap, "cgc").produce(topic, 30, partitions=3)
    group = unique("g")
    m1 = consumer_lab.handle(AddMember(MemberSpec(group=group, topics=(topic,), batch_size=4,
                                                  strategy="sync-per-batch")))
    for p in range(3):
        wait_until(lambda p=p: any(e.partition == p and e.offset == 9 for e in
                                   events(consumer_lab, m1, K.PROCESSED)), 30,
                   message=f"partition {p} processed")

    def engine_view() -> dict[tuple[str, int], int | None]:
        view = consumer_lab.view().member(m1)
        assert view is not None
        return {(p.topic, p.partition): p.committed for p in view.partitions}

    wait_until(lambda: set(engine_view().values()) == {10}, 20, message="every commit reported")
    kafka = _cgc_describe(lab1.bootstrap, group)
    assert kafka == engine_view() == {(topic, p): 10 for p in range(3)}
