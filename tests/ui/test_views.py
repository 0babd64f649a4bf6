"""What the panes read from the engine's frozen views: the derived values are view properties."""

from __future__ import annotations

from tests.ui.fakes import cluster, member, runner, snapshot
from tui.engine import BrokerView, PartitionView, TopicView


def _part(p: int, leader: int | None, replicas: tuple[int, ...], isr: tuple[int, ...]) -> PartitionView:
    return PartitionView("t", p, leader, replicas, isr, leader is None, 10, 25, 25, None)


def test_partition_and_topic_counts() -> None:
    parts = (_part(0, 1, (1, 2, 3), (1, 2, 3)), _part(1, 2, (2, 3), (2,)), _part(2, None, (3,), ()))
    topic = TopicView("t", False, parts)
    assert [p.replication_factor for p in parts] == [3, 2, 1]
    assert [p.under_replicated for p in parts] == [False, True, True]
    assert parts[0].records == 15
    assert (topic.replication_factor, topic.under_replicated_count, topic.offline_count) == (3, 2, 1)
    assert topic.produce_rate is None


def test_cluster_counts_once_per_view() -> None:
    view = cluster(isr={0: (1, 3), 1: (2,)})
    assert (view.partition_count, view.under_replicated_count, view.offline_count) == (3, 2, 0)
    assert view.stale_sections == ()
    assert "under_replicated_count" in view.__dict__  # cached: a view never changes


def test_broker_and_member_and_snapshot_properties() -> None:
    up = BrokerView(1, "127.0.0.1", 9092, "up", True, 3)
    gone = BrokerView(2, "", 0, "fenced-or-missing", None, 0)
    assert (up.is_up, up.address, gone.is_up, gone.address) == (True, "127.0.0.1:9092", False, "")
    assert member("m1", (), state="paused").active
    assert not member("m1", (), state="crashed").active
    snap = snapshot(1, lab_states=("running", "dead", "paused"),
                    runners=(runner("p1", topic="orders"), runner("p2", state="done")),
                    members=(member("m1", (("demo", 0),)), member("m2", (), state="crashed")))
    assert snap.lab_down == (2, 3)
    assert [r.name for r in snap.producers.active] == ["p1"]
    assert [m.name for m in snap.consumers.active] == ["m1"]
    assert snap.topics_in_play == ("demo", "orders")
