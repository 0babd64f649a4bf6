"""Every view serialises: JSON-ready, payload bytes escaped, the verdict in its own shape."""

from __future__ import annotations

import json

from tests.ui.fakes import snapshot
from tui.engine.jsonview import jsonable


def test_a_whole_snapshot_is_json_ready() -> None:
    snap = snapshot()
    data = snap.to_json()
    text = json.dumps(data)  # raises on anything not JSON-ready
    assert json.loads(text)["seq"] == snap.seq
    member = data["consumers"]["members"][0]
    assert member["name"] == snap.consumers.members[0].name
    assert data["cluster"]["brokers"][0]["node_id"] == snap.cluster.brokers[0].node_id


def test_payload_bytes_are_text_when_utf8_and_base64_otherwise() -> None:
    assert jsonable(b"k\x07") == "k\x07"
    assert jsonable(b"\xff\xfe") == {"base64": "//4=", "bytes": 2}


def test_odd_values() -> None:
    assert jsonable(float("nan")) is None
    assert jsonable({1: (2, 3)}) == {"1": [2, 3]}
    assert jsonable(frozenset({"b", "a"})) == ["a", "b"]


def test_a_topics_partition_counts_are_kept_once_counted_and_never_exported() -> None:
    """TopicView counts its partitions once (the header and the table ask on every paint): the
    cache must follow a replaced view and stay out of the JSON."""
    from dataclasses import replace

    from tui.engine import PartitionView, TopicView

    def part(p: int, leader: int | None, isr: tuple[int, ...]) -> PartitionView:
        return PartitionView("t", p, leader, (1, 2, 3), isr, leader is None, 0, 10, 10, None)
    topic = TopicView("t", False, (part(0, 1, (1, 2, 3)), part(1, 2, (2,)), part(2, None, ())))
    assert (topic.under_replicated_count, topic.offline_count, topic.unknown_count) == (2, 1, 0)
    assert topic.under_replicated_count == 2  # from the cache
    healed = replace(topic, partitions=(part(0, 1, (1, 2, 3)),))
    assert (healed.under_replicated_count, healed.offline_count) == (0, 0)
    assert topic == TopicView("t", False, topic.partitions)  # the cache takes no part in equality
    assert "_counts" not in topic.to_json()
    assert set(topic.to_json()) == {"name", "internal", "partitions", "error"}
