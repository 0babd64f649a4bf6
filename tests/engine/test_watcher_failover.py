"""The watcher while brokers of the private 3-node lab are killed, restarted and paused."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from confluent_kafka import TopicPartition
from confluent_kafka.admin import NewTopic

from tests.helpers import unique, wait_until
from tui.engine.context import Connection, EngineContext
from tui.engine.events import Event, Subscription
from tui.engine.watcher.views import ClusterView
from tui.engine.watcher.watcher import Watcher
from tui.kafka import clients
from tui.lab import LabCluster

pytestmark = pytest.mark.failover

INTERVAL = 0.5
OBSERVE = 10.5
"""Seconds to watch a paused node: past the 9 s after which the controller fences it."""


def _victim(lab: LabCluster) -> int:
    """A node that is not the active controller (a controller change would slow everything)."""
    controller = lab.active_controller()
    return next(n for n in lab.spec.node_ids() if n != controller)


def _topic_led_by(lab: LabCluster, leader: int) -> str:
    """A 2-partition RF=3 topic whose partition 0 is led by ``leader`` (preferred replica first)."""
    others = [n for n in lab.spec.node_ids() if n != leader]
    name = unique("wx-fo")
    admin = clients.admin({"bootstrap.servers": lab.bootstrap})
    topic = NewTopic(name, num_partitions=2, replication_factor=-1,
                     replica_assignment=[[leader, *others], [others[0], leader, others[1]]])
    admin.create_topics([topic], operation_timeout=20)[name].result(30)
    return name


@pytest.fixture
def watched(healthy_lab3: LabCluster) -> Iterator[tuple[LabCluster, Watcher, Subscription]]:
    ctx = EngineContext(Connection(healthy_lab3.bootstrap, lab_dir=healthy_lab3.dir))
    sub = ctx.bus.subscribe(kinds=("partition.", "broker."))
    w = Watcher(ctx, interval=INTERVAL)
    w.start()
    yield healthy_lab3, w, sub
    w.close(5)
    sub.close()


class Collected:
    def __init__(self, sub: Subscription) -> None:
        self.sub = sub
        self.events: list[Event] = []

    def find(self, kind: str, topic: str, **data: object) -> Event | None:
        self.events.extend(self.sub.drain())
        for e in self.events:
            if e.kind == kind and e.data.get("topic", topic) == topic and all(
                    e.data.get(k) == v or (isinstance(e.data.get(k), list) and v in e.data[k])
                    for k, v in data.items()):
                return e
        return None


def test_killed_leader_gives_leader_change_and_isr_shrink_then_expand(
        watched: tuple[LabCluster, Watcher, Subscription]) -> None:
    lab, watcher, sub = watched
    victim = _victim(lab)
    topic = _topic_led_by(lab, victim)
    wait_until(lambda: (v := watcher.view()) is not None and (p := v.partition(topic, 0)) is not None
               and p.leader == victim and len(p.isr) == 3, 20, message="the watcher to see the topic")
    got = Collected(sub)
    killed_at = time.monotonic()
    lab.kill(victim)
    changed = wait_until(lambda: got.find("partition.leader-changed", topic, partition=0, was=victim),
                         30, message=f"leader-changed for {topic}-0 after killing broker {victim}")
    shrunk = wait_until(lambda: got.find("partition.isr-shrunk", topic, removed=victim), 30,
                        message=f"isr-shrunk naming broker {victim}")
    detected = time.monotonic() - killed_at
    print(f"\nkill -> leader-changed + isr-shrunk events after {detected:.1f} s")
    assert changed.data["leader"] != victim
    assert victim not in shrunk.data["isr"]
    assert got.find("broker.down", topic, broker=victim) is not None
    view = watcher.view()
    assert view is not None
    assert view.broker(victim).state != "up"  # type: ignore[union-attr]
    # fencing takes broker.session.timeout.ms (9 s); the watcher adds at most about one interval
    assert detected < 9 + 8, f"events took {detected:.1f} s"

    lab.start_node(victim)
    wait_until(lambda: got.find("partition.isr-expanded", topic, added=victim), 60,
               message=f"isr-expanded naming broker {victim} after the restart")
    wait_until(lambda: got.find("broker.up", topic, broker=victim), 20, message="broker.up")


def test_paused_node_does_not_delay_snapshots(
        watched: tuple[LabCluster, Watcher, Subscription]) -> None:
    lab, watcher, sub = watched
    victim = _victim(lab)
    topic = _topic_led_by(lab, victim)
    wait_until(lambda: (v := watcher.view()) is not None and v.partition(topic, 0) is not None
               and not v.partition(topic, 0).offsets_stale, 20,  # type: ignore[union-attr]
               message="fresh offsets for the topic")
    lab.pause(victim)
    try:
        start_seq = watcher.view().seq  # type: ignore[union-attr]
        t0 = time.monotonic()
        views: list[tuple[float, ClusterView]] = []
        seen_states: set[str] = set()
        # watch through the unanswered window and the fencing (9 s), sampling the published views
        while time.monotonic() - t0 < OBSERVE:
            v = watcher.view()
            assert v is not None
            if not views or v.seq != views[-1][1].seq:
                views.append((time.monotonic(), v))
                b = v.broker(victim)
                if b is not None:
                    seen_states.add(b.state)
            time.sleep(0.05)
        starts = [t for t in watcher.refresh_times if t >= t0]
        gaps = [b - a for a, b in zip(starts, starts[1:], strict=False)]
        durations = [v.duration for _, v in views]
        print(f"\npaused node {victim}: {len(views)} views in {OBSERVE} s, max gap {max(gaps):.3f} s, "
              f"max refresh {max(durations):.3f} s, broker states {sorted(seen_states)}")
        assert views[-1][1].seq - start_seq >= int(OBSERVE / INTERVAL) - 2, "refreshes were skipped"
        assert max(gaps) < INTERVAL + 0.35, f"refresh gaps {sorted(gaps)[-3:]}"
        # a refresh that waited on the paused broker would take its request timeout (seconds); one
        # bounded wait plus a loaded machine's scheduling stays under two intervals
        assert max(durations) < 2 * INTERVAL, f"refresh durations {sorted(durations)[-3:]}"
        assert "unreachable" in seen_states or "fenced-or-missing" in seen_states, seen_states
        # meanwhile the other partitions and brokers stayed fresh
        last = views[-1][1]
        assert all(b.state == "up" for b in last.brokers if b.node_id != victim)
        p1 = last.partition(topic, 1)
        assert p1 is not None
        assert not p1.offsets_stale
    finally:
        lab.resume(victim)


def test_group_sections_recover_by_themselves_after_a_restart(
        watched: tuple[LabCluster, Watcher, Subscription]) -> None:
    """After stop + start of a broker, librdkafka can leave the AdminClient's coordinator requests
    unanswered for minutes: the watcher replaces its client and every section is fresh again."""
    lab, watcher, _sub = watched
    group = unique("wx-fo-g")
    topic = _topic_led_by(lab, _victim(lab))
    consumer = clients.consumer({"bootstrap.servers": lab.bootstrap, "group.id": group,
                                 "enable.auto.commit": False})
    consumer.commit(offsets=[TopicPartition(topic, 0, 0)], asynchronous=False)
    consumer.close()
    wait_until(lambda: (v := watcher.view()) is not None and v.ok and (g := v.group(group)) is not None
               and not g.stale, 30, message="a fresh view with the group")
    for node in lab.spec.node_ids():  # every node, so the group's coordinator restarts too
        lab.stop(node)
        lab.start_node(node)
        restarted = time.monotonic()
        # fresh means every broker back up as well: a view taken before the watcher saw the
        # restarted node answer is ok and fresh but still shows it down
        try:
            view = wait_until(lambda: (v := watcher.view()) is not None and v.ok
                              and not v.group(group).stale  # type: ignore[union-attr]
                              and all(b.state == "up" for b in v.brokers) and v or None,
                              60, message=f"every section fresh after restarting node {node}")
        except AssertionError as exc:  # say which part did not recover
            last = watcher.view()
            g = last.group(group) if last is not None else None
            raise AssertionError(
                f"{exc}: brokers {[(b.node_id, b.state) for b in last.brokers] if last else None}, "
                f"group stale {g.stale if g else None} ({g.error if g else ''}), stale sections "
                f"{[(s.name, s.message) for s in last.stale_sections] if last else None}, "
                f"clients replaced {watcher.clients_replaced}") from None
        print(f"\nnode {node}: fresh again {time.monotonic() - restarted:.1f} s after its restart")
        assert len(view.brokers) == len(lab.spec.node_ids())
    print(f"clients replaced: {watcher.clients_replaced}")
