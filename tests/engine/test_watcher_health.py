"""The watcher on the shared 1-node lab: a paused broker reads unreachable and the watcher recovers by
itself; lag in time matches the records' own timestamps; a stuck group is stalled once and recovers
once; thousands of partitions raise no false stale flag.

The pause test freezes the shared node for a few seconds and always resumes it (finally)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from confluent_kafka import TopicPartition
from confluent_kafka.admin import NewTopic

from tests.engine.test_watcher import create_topic, wait_view
from tests.helpers import unique, wait_until
from tui.engine.context import Connection, EngineContext
from tui.engine.events import Event
from tui.engine.watcher.commands import WatchGroups, WatchTopics
from tui.engine.watcher.views import ClusterView
from tui.engine.watcher.watcher import Watcher
from tui.kafka import clients
from tui.lab import LabCluster

pytestmark = pytest.mark.kafka

RECOVERY_BOUND = 20.0
"""Seconds after a resume within which every section must be fresh again."""


def commit(bootstrap: str, group: str, offsets: dict[tuple[str, int], int]) -> None:
    consumer = clients.consumer({"bootstrap.servers": bootstrap, "group.id": group,
                                 "enable.auto.commit": False})
    try:
        consumer.commit(offsets=[TopicPartition(t, p, o) for (t, p), o in offsets.items()],
                        asynchronous=False)
    finally:
        consumer.close()


@pytest.fixture
def watched(lab1: LabCluster) -> Iterator[tuple[LabCluster, Watcher]]:
    w = Watcher(EngineContext(Connection(lab1.bootstrap, lab_dir=lab1.dir)), interval=0.5)
    w.start()
    yield lab1, w
    w.close(5)


def test_paused_broker_reads_unreachable_and_every_section_recovers(
        watched: tuple[LabCluster, Watcher]) -> None:
    lab, watcher = watched
    topic, group = unique("wx-pause"), unique("wx-pause-g")
    create_topic(lab.bootstrap, topic, 2)
    producer = clients.producer({"bootstrap.servers": lab.bootstrap})
    for i in range(20):
        producer.produce(topic, b"v", partition=i % 2)
    assert producer.flush(20) == 0
    commit(lab.bootstrap, group, {(topic, 0): 5, (topic, 1): 5})
    watcher.handle(WatchTopics((topic,)))
    watcher.handle(WatchGroups((group,)))
    wait_view(watcher, lambda v: v.ok and v.group(group) is not None and not v.group(group).stale
              and (t := v.topic(topic)) is not None and all(p.high_watermark == 10
                                                            and not p.offsets_stale
                                                            for p in t.partitions),
              30, "a fresh view of the topic and the group")
    sub = watcher.ctx.bus.subscribe(kinds=("broker.",))
    views: list[ClusterView] = []

    def collect(v: ClusterView) -> bool:
        if not views or views[-1].seq != v.seq:
            views.append(v)
        return True

    lab.pause(1)
    try:
        down = wait_view(watcher, lambda v: collect(v) and v.broker(1) is not None
                         and v.broker(1).state == "unreachable", 15,  # type: ignore[union-attr]
                         "broker 1 to read unreachable while paused")
        # a few more refreshes while paused: it stays down, nothing is made up
        wait_view(watcher, lambda v: collect(v) and v.seq >= down.seq + 3, 10, "more paused views")
    finally:
        lab.resume(1)
    resumed = time.monotonic()
    wait_view(watcher, lambda v: collect(v) and v.ok and v.broker(1).state == "up"  # type: ignore[union-attr]
              and not v.group(group).stale  # type: ignore[union-attr]
              and not any(p.offsets_stale for p in v.topic(topic).partitions),  # type: ignore[union-attr]
              RECOVERY_BOUND, "every section fresh again after the resume")
    print(f"\nrecovered {time.monotonic() - resumed:.1f} s after the resume; "
          f"clients replaced: {watcher.clients_replaced}")
    paused = [v for v in views if v.broker(1) is not None and v.broker(1).state == "unreachable"]  # type: ignore[union-attr]
    assert paused
    for v in paused:
        b = v.broker(1)
        assert b is not None
        assert b.last_answer_at is not None
        assert b.last_answer_at < v.refreshed_at
        t = v.topic(topic)
        assert t is not None
        assert all(p.unknown and p.offsets_stale for p in t.partitions)
        assert all(p.stale_since is not None for p in t.partitions)
    for v in views:  # never a sentinel, never records out of nowhere
        t = v.topic(topic)
        assert t is not None
        assert all(p.high_watermark == 10 and p.log_start == 0 for p in t.partitions), \
            [(p.log_start, p.high_watermark) for p in t.partitions]
    events: list[Event] = sub.drain()
    sub.close()
    mine = [e.kind for e in events if e.data.get("broker") == 1]
    assert mine == ["broker.down", "broker.up"], [e.text for e in events]


def test_lag_in_time_is_the_record_timestamp_and_a_stuck_group_stalls_once(
        watched: tuple[LabCluster, Watcher]) -> None:
    lab, watcher = watched
    topic, group = unique("wx-lagtime"), unique("wx-lagtime-g")
    create_topic(lab.bootstrap, topic, 1)
    base_ms = int((time.time() - 120) * 1000)
    producer = clients.producer({"bootstrap.servers": lab.bootstrap})
    for i in range(10):  # record i was written "120 - i seconds ago"
        producer.produce(topic, b"v%d" % i, partition=0, timestamp=base_ms + i * 1000)
    assert producer.flush(20) == 0
    commit(lab.bootstrap, group, {(topic, 0): 4})
    watcher.handle(WatchGroups((group,)))
    sub = watcher.ctx.bus.subscribe(kinds=("group.partition",))
    view = wait_view(watcher, lambda v: (g := v.group(group)) is not None and bool(g.partitions)
                     and g.partitions[0].oldest_unconsumed_at is not None, 30,
                     "the timestamp of the oldest unconsumed record")
    p = view.group(group).partitions[0]  # type: ignore[union-attr]
    assert p.lag == 6
    assert p.oldest_unconsumed_at == pytest.approx((base_ms + 4000) / 1000.0)
    age = p.lag_age(view.refreshed_at)
    assert age is not None
    assert 110 < age < 130
    # nothing commits: the partition is stalled after the stall window, once
    wait_view(watcher, lambda v: v.group(group).partitions[0].status == "stalled",  # type: ignore[union-attr]
              40, "the stuck partition to read stalled")
    commit(lab.bootstrap, group, {(topic, 0): 10})
    done = wait_view(watcher, lambda v: v.group(group).partitions[0].lag == 0, 20,  # type: ignore[union-attr]
                     "the group to catch up")
    assert done.group(group).partitions[0].status == "ok"  # type: ignore[union-attr]
    assert done.group(group).partitions[0].lag_age(done.refreshed_at) == 0.0  # type: ignore[union-attr]

    def kinds() -> list[str]:
        seen.extend(e.kind for e in sub.drain() if e.data.get("group") == group)
        return seen
    seen: list[str] = []
    wait_until(lambda: "group.partition-recovered" in kinds(), 10, message="the recovered event")
    sub.close()
    assert seen == ["group.partition-stalled", "group.partition-recovered"]


def test_thousands_of_partitions_raise_no_false_stale_flag(lab1: LabCluster) -> None:
    prefix = unique("wx-scale")
    topics = [f"{prefix}-{i}" for i in range(6)]
    groups = [f"{prefix}-g{i}" for i in range(20)]
    admin = clients.admin({"bootstrap.servers": lab1.bootstrap})
    watcher: Watcher | None = None
    try:
        for f in admin.create_topics([NewTopic(t, 500, 1) for t in topics],
                                     operation_timeout=60).values():
            f.result(120)
        wait_until(lambda: sum(len(admin.list_topics(t, timeout=10).topics[t].partitions)
                               for t in topics) == 3000, 120, message="3,000 partitions")
        for i, g in enumerate(groups):
            commit(lab1.bootstrap, g, {(topics[i % 6], p): 0 for p in range(0, 500, 10)})
        watcher = Watcher(EngineContext(Connection(lab1.bootstrap, lab_dir=lab1.dir)), interval=1.0)
        watcher.start()
        wait_view(watcher, lambda v: v.ok and sum(1 for p in v.partitions()
                                                  if p.topic.startswith(prefix)
                                                  and not p.offsets_stale) == 3000, 90,
                  "a first complete view of the 3,000 partitions")
        start = watcher.view().seq  # type: ignore[union-attr]
        flags: list[str] = []
        durations: list[float] = []
        last = start
        end = time.monotonic() + 60
        while time.monotonic() < end:
            v = watcher.view()
            assert v is not None
            if v.seq != last:
                last = v.seq
                durations.append(v.duration)
                flags += [f"#{v.seq} {s.name}: {s.message}" for s in v.stale_sections]
                flags += [f"#{v.seq} {p.topic}-{p.partition} offsets stale" for p in v.partitions()
                          if p.topic.startswith(prefix) and (p.offsets_stale or p.unknown)]
                flags += [f"#{v.seq} group {g.group_id}: {g.error}" for g in v.groups
                          if g.group_id in groups and g.stale]
            time.sleep(0.05)
        durations.sort()
        print(f"\n{len(durations)} refreshes of {v.partition_count} partitions: median "
              f"{durations[len(durations) // 2] * 1000:.0f} ms, max {durations[-1] * 1000:.0f} ms")
        assert len(durations) >= 40, "refreshes were skipped"
        assert flags == [], flags[:10]
    finally:
        if watcher is not None:
            watcher.close(5)
        futures = [*admin.delete_consumer_groups(groups, request_timeout=30).values(),
                   *admin.delete_topics(topics, operation_timeout=60).values()]
        for f in futures:
            try:
                f.result(120)
            except Exception as exc:  # leave the lab as clean as possible, whatever failed
                print(f"could not delete a topic or group: {exc}")
