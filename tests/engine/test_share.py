"""Share members on a real Kafka 4.2+ lab: per-record acknowledgement (implicit and explicit), RELEASE
and REJECT, the delivery-count limit, a crash returning in-flight records with delivery count 2, group
settings through the admin API, and the verdict end to end."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import pytest

from tests.engine.test_share_support import (
    add,
    engine_on,
    events,
    judge,
    member,
    require_share_groups,
    share_group,
    topic_with_records,
    wait_done,
)
from tests.helpers import unique, wait_until
from tui.engine import (
    CrashShareMember,
    DescribeShareGroupConfig,
    Engine,
    RemoveShareMember,
    SetAckPolicy,
    SetShareGroupConfig,
    ShareMemberSpec,
)
from tui.engine.history import ConsumerEventKind as K
from tui.lab import LabCluster

pytestmark = [pytest.mark.kafka, pytest.mark.share]


@pytest.fixture(scope="module")
def engine(lab1: LabCluster) -> Iterator[Engine]:
    yield from engine_on(require_share_groups(lab1))


def test_explicit_acknowledgement_accepts_and_rejects_a_poison_record(engine: Engine) -> None:
    topic, producer = topic_with_records(engine, 10)
    group = share_group(engine)
    name = add(engine, ShareMemberSpec(group, (topic,), name=unique("s"), ack_mode="explicit",
                                       fail_ids=(f"{producer}/0/4",)))
    wait_done(engine, [name], 10)
    view = member(engine, name)
    assert (view.acquired, view.processed, view.failed) == (10, 9, 1)
    assert (view.accepted, view.released, view.rejected) == (9, 0, 1)
    assert view.delivery_counts == ((1, 10),)
    acks = events(engine, name, K.ACK)
    assert Counter(e.action for e in acks) == {"accept": 9, "reject": 1}
    assert {(e.mode, e.attempt) for e in acks} == {("explicit", 1)}
    (rejected,) = [e for e in acks if e.action == "reject"]
    assert rejected.msg_id is not None
    assert rejected.msg_id.endswith(f"/{producer}/0/4")
    confirmed = {o for e in events(engine, name, K.ACK_COMMIT) if e.ok for _p, o in e.offsets}
    assert confirmed == set(range(10))
    # each record: ACQUIRED, then PROCESSED or FAILED, then ACK, in that order of the log
    for ev in acks:
        mine = [e.kind for e in events(engine, name) if e.offset == ev.offset and e.partition == ev.partition
                and e.kind in (K.ACQUIRED, K.PROCESSED, K.FAILED, K.ACK)]
        assert mine[0] is K.ACQUIRED
        assert mine[-1] is K.ACK
    engine.call(RemoveShareMember(name))
    wait_until(lambda: member(engine, name).state == "stopped", 20, message="a clean leave")
    verdict = judge(engine, topic, group)
    assert {k: n for k, n in verdict.counts.items() if n} == {"rejected": 1}
    (finding,) = verdict.of_kind("rejected")
    assert finding.judgement == "expected"
    assert finding.group == group
    assert any("promises no ordering" in r for r in verdict.summary.remarks)


def test_release_until_the_delivery_count_limit_archives_the_record(engine: Engine) -> None:
    topic, producer = topic_with_records(engine, 6)
    group = share_group(engine, limit=3)
    name = add(engine, ShareMemberSpec(group, (topic,), name=unique("s"), ack_mode="explicit",
                                       fail_ids=(f"{producer}/0/2",), fail_transient=100))
    wait_until(lambda: member(engine, name).released >= 3 and member(engine, name).accepted >= 5, 40,
               message="three releases and five accepts")
    releases = [e for e in events(engine, name, K.ACK) if e.action == "release"]
    assert [e.attempt for e in releases] == [1, 2, 3]  # the broker's delivery count grows by one
    counts = [e.attempt for e in events(engine, name, K.ACQUIRED) if e.offset == releases[0].offset]
    assert counts == [1, 2, 3]
    engine.call(RemoveShareMember(name))
    verdict = judge(engine, topic, group)
    assert {k: n for k, n in verdict.counts.items() if n} == {"delivered-again": 1, "archived": 1}
    assert "share.delivery.count.limit" in verdict.of_kind("archived")[0].explanation
    shown = [r for r in member(engine, name).recent if r.offset == releases[0].offset]
    assert [(r.delivery_count, r.outcome) for r in shown] == [(1, "release"), (2, "release"), (3, "release")]


def test_implicit_mode_accepts_the_previous_poll_at_the_next(engine: Engine) -> None:
    topic, _producer = topic_with_records(engine, 8, partitions=2)
    group = share_group(engine)
    name = add(engine, ShareMemberSpec(group, (topic,), name=unique("s"), ack_mode="implicit"))
    wait_until(lambda: member(engine, name).processed >= 8, 30, message="8 records processed")
    engine.call(RemoveShareMember(name))  # close() accepts the last poll's records
    wait_until(lambda: member(engine, name).state == "stopped", 20, message="a clean leave")
    acks = events(engine, name, K.ACK)
    assert len(acks) == 8
    assert {(e.action, e.mode) for e in acks} == {("accept", "implicit")}
    log = events(engine, name)
    for ack in acks:  # logged after the record was processed, before the broker's answer
        processed = next(i for i, e in enumerate(log) if e.kind is K.PROCESSED and e.offset == ack.offset
                         and e.partition == ack.partition)
        assert log.index(ack) > processed
    confirmed = [(e.topic, p, o) for e in events(engine, name, K.ACK_COMMIT) if e.ok for p, o in e.offsets]
    assert sorted(confirmed) == sorted((e.topic, e.partition, e.offset) for e in acks)
    verdict = judge(engine, topic, group)
    assert {k: n for k, n in verdict.counts.items() if n} == {}
    assert verdict.summary.acknowledged == {"accept": 8}


def test_a_crashed_member_s_in_flight_records_come_back_with_delivery_count_2(engine: Engine) -> None:
    topic, _producer = topic_with_records(engine, 10)
    lock_ms = 6000
    group = share_group(engine, lock_ms=lock_ms)
    first = add(engine, ShareMemberSpec(group, (topic,), name=unique("s"), ack_mode="explicit",
                                        processing_ms=300, crash_after_records=3))
    wait_until(lambda: member(engine, first).acquired == 10, 30, message="the first member to acquire all 10")
    second = add(engine, ShareMemberSpec(group, (topic,), name=unique("s"), ack_mode="explicit"))
    wait_until(lambda: member(engine, first).state == "crashed", 30, message="the crash after 3 records")
    crashed_at = next(e.ts for e in events(engine, first, K.CRASH))
    wait_until(lambda: member(engine, second).accepted >= 10, lock_ms / 1000 + 15,
               message="the crashed member's 10 records to come back")
    again = events(engine, second, K.ACQUIRED)
    assert sorted(e.offset for e in again) == list(range(10))
    assert {e.attempt for e in again} == {2}
    back = min(e.ts for e in again) - crashed_at
    assert back <= lock_ms / 1000 + 5, f"back after {back:.1f} s, not within the lock duration"
    shown = [r for m, r in engine.snapshot().shares.redeliveries if m == second]
    assert len(shown) == 10
    assert {r.delivery_count for r in shown} == {2}  # the view shows each count
    assert member(engine, first).in_flight == 0
    engine.call(RemoveShareMember(second))
    verdict = judge(engine, topic, group)
    counts = {k: n for k, n in verdict.counts.items() if n}
    assert counts == {"delivered-again": 10, "processed-twice": 3}
    assert all(a.judgement == "expected" for a in verdict.anomalies)
    assert "crashed" in " ".join(a.explanation for a in verdict.of_kind("delivered-again"))


def test_sigkill_while_holding_records(engine: Engine) -> None:
    topic, _producer = topic_with_records(engine, 5)
    group = share_group(engine)
    first = add(engine, ShareMemberSpec(group, (topic,), name=unique("s"), ack_mode="explicit",
                                        processing_ms=5000))
    wait_until(lambda: member(engine, first).acquired == 5, 30, message="5 records held")
    engine.call(CrashShareMember(first))
    wait_until(lambda: member(engine, first).state == "crashed", 10, message="the kill")
    assert member(engine, first).in_flight == 0
    assert {r.outcome for r in member(engine, first).recent} == {"lost"}
    runner = engine.shares._runners[first]
    assert b"Preview" not in runner.stderr_tail  # librdkafka's preview warning went to the log
    second = add(engine, ShareMemberSpec(group, (topic,), name=unique("s"), ack_mode="explicit"))
    wait_until(lambda: member(engine, second).accepted >= 5, 25, message="the 5 records back")
    assert dict(member(engine, second).delivery_counts) == {2: 5}
    engine.call(RemoveShareMember(second))


def test_policy_switch_applies_from_the_next_poll(engine: Engine) -> None:
    topic, producer = topic_with_records(engine, 4)
    group = share_group(engine)
    name = add(engine, ShareMemberSpec(group, (topic,), name=unique("s"), ack_mode="explicit"))
    wait_done(engine, [name], 4)
    engine.call(SetAckPolicy(name, fail_ids=("9",)))
    wait_until(lambda: member(engine, name).fail_ids == ("9",), 5, message="the new policy in the view")
    with pytest.raises(ValueError, match="fail-transient"):
        engine.call(SetAckPolicy(name, fail_transient=-1))
    # the acknowledgement mode is a client setting: a new incarnation with it
    engine.call(SetAckPolicy(name, ack_mode="implicit", fail_ids=()))
    wait_until(lambda: member(engine, name).incarnation == 1 and member(engine, name).state == "running", 30,
               message="the member restarted in implicit mode")
    assert member(engine, name).ack_mode == "implicit"
    assert [e.kind for e in events(engine, name) if e.kind in (K.LEAVE, K.RESTART)] == [K.LEAVE, K.RESTART]
    engine.call(RemoveShareMember(name))


def test_group_settings_are_set_read_back_and_refused_in_one_sentence(engine: Engine) -> None:
    group = unique("share-g")
    view = engine.call(SetShareGroupConfig(group, auto_offset_reset="earliest", lock_duration_ms=7000,
                                           delivery_count_limit=4), timeout=20)
    assert (view.auto_offset_reset, view.lock_duration_ms, view.delivery_count_limit) == ("earliest", 7000, 4)
    assert dict(view.sources) == dict.fromkeys(("share.auto.offset.reset", "share.record.lock.duration.ms",
                                                "share.delivery.count.limit"), "group")
    fresh = engine.call(DescribeShareGroupConfig(unique("share-g")), timeout=20)
    assert fresh.auto_offset_reset == "latest"  # Kafka's default: a new share group starts at the end
    with pytest.raises(ValueError) as refused:
        engine.call(SetShareGroupConfig(group, lock_duration_ms=100), timeout=20)
    text = str(refused.value)
    assert text.startswith(f"Kafka refused the settings of share group {group}: ")
    assert "share.record.lock.duration.ms" in text
    assert "\n" not in text
    assert text.endswith(".")


def test_kafka_s_share_group_command_agrees_with_the_explorer(engine: Engine, lab1: LabCluster) -> None:
    from tui.engine.share.tool import SHARE_GROUP_COMMAND
    from tui.lab.tools import run_tool

    topic, _producer = topic_with_records(engine, 10, partitions=2, keys="cycle:2")
    group = share_group(engine)
    names = [add(engine, ShareMemberSpec(group, (topic,), name=unique("s"), ack_mode="explicit"))
             for _ in range(2)]
    wait_done(engine, names, 10)

    def seen() -> object:
        g = engine.snapshot().shares.group(group)
        return g is not None and g.read_at is not None and len(g.members) == 2 and g.partitions and g
    view = wait_until(seen, 40, message="the explorer's ShareGroupCommand round to see both members")
    assert view.state == "Stable"
    assert view.type == "share"
    assert {m.member for m in view.members} == set(names)  # client ids mapped to our member names
    assert sorted({tp for m in view.members for tp in m.assignment}) == [(topic, 0), (topic, 1)]
    # Kafka's own tool, run here from the lab's jars, says the same
    bootstrap, version = lab1.bootstrap, lab1.spec.kafka_version
    members = run_tool(SHARE_GROUP_COMMAND, ["--bootstrap-server", bootstrap, "--describe", "--group", group,
                                             "--members", "--verbose"], kafka_version=version)
    rows = [line.split() for line in members.splitlines() if line.startswith(group)]
    assert sorted(r[3] for r in rows) == sorted(f"kx-{n}" for n in names)
    assert sorted(r[1] for r in rows) == sorted(m.consumer_id for m in view.members)
    state = run_tool(SHARE_GROUP_COMMAND, ["--bootstrap-server", bootstrap, "--describe", "--group", group,
                                           "--state", "--verbose"], kafka_version=version)
    assert any(line.startswith(group) and "Stable" in line.split() for line in state.splitlines())
    offsets = run_tool(SHARE_GROUP_COMMAND, ["--bootstrap-server", bootstrap, "--describe", "--group", group,
                                             "--offsets", "--verbose"], kafka_version=version)
    tool_start = {(w[1], int(w[2])): int(w[4]) if w[4].isdigit() else None
                  for w in (line.split() for line in offsets.splitlines()) if w and w[0] == group}
    assert set(tool_start) == {(p.topic, p.partition) for p in view.partitions}
    for p in view.partitions:  # the start offset only moves forward, up to what was acknowledged
        later = tool_start[(p.topic, p.partition)]
        assert p.start_offset is not None
        assert later is not None
        assert p.start_offset <= later <= 10
    assert all(p.in_flight == 0 for p in view.partitions)  # every record confirmed: nothing held
    for n in names:
        engine.call(RemoveShareMember(n))
