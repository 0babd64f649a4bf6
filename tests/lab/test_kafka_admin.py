"""One-shot admin calls (tui.kafka.admin) and the lab's use of them, against the real 1-node lab."""

from __future__ import annotations

import pytest
from confluent_kafka.admin import NewTopic

from tests.helpers import unique
from tui.kafka import admin, clients
from tui.lab import LabCluster

pytestmark = pytest.mark.kafka


def _topic_with_records(bootstrap: str, records: int) -> str:
    topic = unique("one-shot")
    creator = clients.admin({"bootstrap.servers": bootstrap})
    creator.create_topics([NewTopic(topic, 2, 1, config={"min.insync.replicas": "1"})])[topic].result(30)
    producer = clients.producer({"bootstrap.servers": bootstrap})
    for i in range(records):
        producer.produce(topic, value=f"v{i}".encode(), partition=0)
    assert producer.flush(30) == 0
    return topic


def test_one_shot_calls_answer(lab1: LabCluster) -> None:
    conf = {"bootstrap.servers": lab1.bootstrap}
    topic = _topic_with_records(lab1.bootstrap, 5)
    assert {node.id for node in admin.describe_cluster(conf, timeout=10).nodes} == set(lab1.spec.node_ids())
    meta = admin.list_topics(conf, topic=topic, timeout=10)
    assert sorted(meta.topics[topic].partitions) == [0, 1]
    assert admin.list_offsets(conf, [(topic, 0), (topic, 1)], timeout=10) == {(topic, 0): 5, (topic, 1): 0}
    assert admin.list_offsets(conf, [(topic, 0)], latest=False, timeout=10) == {(topic, 0): 0}
    missing = unique("no-such-topic")
    configs = admin.topic_configs(conf, [topic, missing], timeout=10)
    assert set(configs) == {topic}  # an unknown topic is left out, the others are kept
    assert configs[topic]["min.insync.replicas"] == "1"


def test_the_lab_asks_through_one_shot_calls(lab1: LabCluster) -> None:
    topic = _topic_with_records(lab1.bootstrap, 1)
    parts = lab1.partitions(topic)
    assert [(p.partition, p.leader, p.replicas) for p in parts] == [(0, 1, (1,)), (1, 1, (1,))]
    counts = lab1.leader_counts()
    assert counts is not None
    assert counts[1] >= 2
    assert lab1._metadata_nodes(timeout=5.0) == {1}
