"""Offset resets, deletes and topic configs on the real lab, checked with Kafka's own
ConsumerGroupCommand and plain admin calls."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from confluent_kafka.admin import NewTopic

from tests.engine.test_consumer_support import create_topics
from tests.helpers import commit_offsets, unique, wait_until
from tui.engine import (
    AlterTopicConfig,
    Connection,
    DeleteGroup,
    DeleteTopic,
    DescribeTopicConfig,
    Engine,
    ResetOffsets,
    ResetPlan,
)
from tui.kafka import admin as one_shot
from tui.kafka import clients
from tui.kafka.committed import committed
from tui.lab import LabCluster
from tui.lab.tools import describe_group

pytestmark = pytest.mark.kafka


@pytest.fixture
def engine(lab1: LabCluster) -> Iterator[Engine]:
    with Engine(Connection(lab1.bootstrap), watch=False) as e:
        yield e


def _produce(bootstrap: str, topic: str, partition: int, count: int) -> None:
    producer = clients.producer({"bootstrap.servers": bootstrap})
    for i in range(count):
        producer.produce(topic, value=f"r{i}".encode(), partition=partition)
    assert producer.flush(30) == 0


def _commit(bootstrap: str, group: str, offsets: dict[tuple[str, int], int]) -> None:
    commit_offsets(bootstrap, group, offsets)


def _committed(bootstrap: str, group: str) -> dict[tuple[str, int], int]:
    answer = committed({"bootstrap.servers": bootstrap}, group, 10)
    return {(tp.topic, tp.partition): tp.offset for tp in answer.topic_partitions if tp.offset >= 0}


def _tool_offsets(bootstrap: str, group: str) -> dict[tuple[str, int], int | None]:
    """CURRENT-OFFSET per partition as ``kafka-consumer-groups --describe`` prints it."""
    rows: dict[tuple[str, int], int | None] = {}
    columns: list[str] = []
    for line in describe_group(bootstrap, group).splitlines():
        cells = line.split()
        if cells[:1] == ["GROUP"]:
            columns = cells
        elif columns and len(cells) >= 4 and cells[0] == group:
            row = dict(zip(columns, cells, strict=False))
            current = row["CURRENT-OFFSET"]
            rows[(row["TOPIC"], int(row["PARTITION"]))] = None if current == "-" else int(current)
    return rows


def _setup(bootstrap: str) -> tuple[str, str]:
    topic, group = unique("reset"), unique("reset-g")
    create_topics(bootstrap, [topic], partitions=2)
    _produce(bootstrap, topic, 0, 10)
    _produce(bootstrap, topic, 1, 10)
    _commit(bootstrap, group, {(topic, 0): 8, (topic, 1): 6})
    return topic, group


def test_a_dry_run_plans_like_kafka_and_changes_nothing(lab1: LabCluster, engine: Engine) -> None:
    topic, group = _setup(lab1.bootstrap)
    before = _committed(lab1.bootstrap, group)
    plans = {to: engine.call(ResetOffsets(group, (topic,), to)) for to in
             ("earliest", "latest", "4", "shift:-5", "shift:+3", "25")}
    rows = {to: [(r.partition, r.current, r.new) for r in p.rows] for to, p in plans.items()}
    assert rows == {"earliest": [(0, 8, 0), (1, 6, 0)], "latest": [(0, 8, 10), (1, 6, 10)],
                    "4": [(0, 8, 4), (1, 6, 4)], "shift:-5": [(0, 8, 3), (1, 6, 1)],
                    "shift:+3": [(0, 8, 10), (1, 6, 9)], "25": [(0, 8, 10), (1, 6, 10)]}
    assert plans["25"].rows[0].note == "25 is past the log end"
    assert all(not p.executed and p.state == "Empty" and p.members == 0 for p in plans.values())
    one = engine.call(ResetOffsets(group, (f"{topic}:1",), "earliest"))
    assert [(r.topic, r.partition) for r in one.rows] == [(topic, 1)]
    assert _committed(lab1.bootstrap, group) == before


def test_execute_sets_exactly_the_printed_offsets(lab1: LabCluster, engine: Engine) -> None:
    topic, group = _setup(lab1.bootstrap)
    marker = int(time.time() * 1000) + 1
    wait_until(lambda: time.time() * 1000 > marker + 5, 5, message="the clock to pass the marker")
    _produce(lab1.bootstrap, topic, 0, 5)
    plan: ResetPlan = engine.call(ResetOffsets(group, (f"{topic}:0",), f"@{marker}", execute=True))
    assert plan.executed
    assert [(r.current, r.new) for r in plan.rows] == [(8, 10)]
    plan = engine.call(ResetOffsets(group, (f"{topic}:1",), "shift:-4", execute=True))
    assert [(r.current, r.new) for r in plan.rows] == [(6, 2)]
    assert _tool_offsets(lab1.bootstrap, group) == {(topic, 0): 10, (topic, 1): 2}
    plan = engine.call(ResetOffsets(group, (), "earliest", all_topics=True, execute=True))
    assert {(r.partition, r.new) for r in plan.rows} == {(0, 0), (1, 0)}
    assert _tool_offsets(lab1.bootstrap, group) == {(topic, 0): 0, (topic, 1): 0}


def test_an_active_group_is_refused_with_one_sentence(lab1: LabCluster, engine: Engine) -> None:
    topic, group = unique("active"), unique("active-g")
    create_topics(lab1.bootstrap, [topic])
    _produce(lab1.bootstrap, topic, 0, 3)
    member = clients.consumer({"bootstrap.servers": lab1.bootstrap, "group.id": group,
                               "session.timeout.ms": 6000})
    member.subscribe([topic])
    try:
        deadline = time.monotonic() + 30
        while not member.assignment():
            assert time.monotonic() < deadline, "the member got no partition"
            member.poll(0.2)
        before = _committed(lab1.bootstrap, group)
        plan = engine.call(ResetOffsets(group, (topic,), "earliest"))
        assert plan.members == 1
        assert plan.state == "Stable"
        for cmd in (ResetOffsets(group, (topic,), "earliest", execute=True), DeleteGroup(group)):
            with pytest.raises(ValueError) as refused:
                engine.call(cmd)
            text = str(refused.value)
            assert "1 active member(s) (state Stable)" in text, text
            assert text.count(".") == 1, text  # one sentence
        assert _committed(lab1.bootstrap, group) == before
    finally:
        member.close()
    wait_until(lambda: engine.call(ResetOffsets(group, (topic,), "earliest")).members == 0, 30,
               message="the group to be empty")
    assert "deleted" in engine.call(DeleteGroup(group))
    with pytest.raises(ValueError, match="does not exist"):
        engine.call(DeleteGroup(group))


def test_bad_reset_requests_get_one_sentence(lab1: LabCluster, engine: Engine) -> None:
    topic, group = _setup(lab1.bootstrap)
    cases = {
        ResetOffsets(group, (topic,), "yesterday"): "Use earliest, latest",
        ResetOffsets(group, (f"{topic}:7",), "earliest"): "there is no partition 7",
        ResetOffsets(group, (unique("nope"),), "earliest"): "does not exist",
        ResetOffsets(unique("fresh"), (topic,), "shift:-1"): "no committed offset",
        ResetOffsets(group, (), "earliest"): "Name the topics",
    }
    for cmd, words in cases.items():
        with pytest.raises(ValueError, match=words):
            engine.call(cmd)


def test_topic_configs_are_described_altered_and_validated(lab1: LabCluster, engine: Engine) -> None:
    topic = unique("configs")
    admin = clients.admin({"bootstrap.servers": lab1.bootstrap})
    admin.create_topics([NewTopic(topic, 1, 1, config={"retention.ms": "123456"})])[topic].result(30)
    view = engine.call(DescribeTopicConfig(topic))
    entry = view.get("retention.ms")
    assert entry is not None
    assert (entry.value, entry.source) == ("123456", "DYNAMIC_TOPIC_CONFIG")
    assert view.get("cleanup.policy") is None  # defaults are left out...
    assert engine.call(DescribeTopicConfig(topic, include_defaults=True)).get("cleanup.policy")  # unless asked
    result = engine.call(AlterTopicConfig(topic, (("retention.ms", "600000"),
                                                  ("unclean.leader.election.enable", "TRUE"))))
    assert {(c.name, c.before, c.after) for c in result.changes} == {
        ("retention.ms", "123456", "600000"), ("unclean.leader.election.enable", "false", "true")}
    configs = one_shot.topic_configs({"bootstrap.servers": lab1.bootstrap}, [topic], timeout=10)[topic]
    assert configs["retention.ms"] == "600000"
    assert configs["unclean.leader.election.enable"] == "true"
    refusals = {("retention.ms", "soon"): "must be a whole number",
                ("min.insync.replicas", "2"): "more than the topic's replication factor 1",
                ("max.message.bytes", "-5"): "between 0 and",
                ("unclean.leader.election.enable", "maybe"): "true or false",
                ("segment.bytes", "1000"): "alters only"}
    for change, words in refusals.items():
        with pytest.raises(ValueError, match=words) as refused:
            engine.call(AlterTopicConfig(topic, (change,)))
        assert "\n" not in str(refused.value)
    again = one_shot.topic_configs({"bootstrap.servers": lab1.bootstrap}, [topic], timeout=10)[topic]
    assert again == configs


def test_topic_delete_refuses_internal_topics_and_deletes_others(lab1: LabCluster, engine: Engine) -> None:
    for internal in ("__consumer_offsets", "__transaction_state"):
        with pytest.raises(ValueError, match="internal topics"):
            engine.call(DeleteTopic(internal))
    with pytest.raises(ValueError, match="internal topics"):
        engine.call(AlterTopicConfig("__consumer_offsets", (("retention.ms", "1"),)))
    topic = unique("delete-me")
    create_topics(lab1.bootstrap, [topic], partitions=2)
    assert "deleted (2 partition(s)" in engine.call(DeleteTopic(topic))
    wait_until(lambda: topic not in one_shot.list_topics({"bootstrap.servers": lab1.bootstrap},
                                                         timeout=10).topics, 30,
               message="the topic to disappear")
    with pytest.raises(ValueError, match="does not exist"):
        engine.call(DeleteTopic(topic))
    assert "__consumer_offsets" in one_shot.list_topics({"bootstrap.servers": lab1.bootstrap},
                                                        timeout=10).topics
