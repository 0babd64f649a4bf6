"""``kafka-explorer group reset|delete`` and ``topic describe|alter|delete`` on the real lab: what they
print, what they change (checked with plain admin calls), and one sentence with exit 1 or 2 otherwise."""

from __future__ import annotations

import json
import time

import pytest
from confluent_kafka.admin import NewTopic

from tests.engine.test_admin_ops import _commit, _committed, _produce
from tests.engine.test_consumer_support import create_topics
from tests.helpers import unique
from tui.cli import main
from tui.kafka import admin as one_shot
from tui.kafka import clients
from tui.lab import LabCluster

pytestmark = pytest.mark.kafka


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _one_sentence(err: str) -> None:
    assert err.startswith("kafka-explorer: ")
    assert err.count("\n") == 1
    assert "Traceback" not in err


def test_group_reset_prints_current_and_new_and_only_execute_changes(
        lab1: LabCluster, capsys: pytest.CaptureFixture[str]) -> None:
    topic, group = unique("cli-reset"), unique("cli-reset-g")
    create_topics(lab1.bootstrap, [topic], partitions=2)
    _produce(lab1.bootstrap, topic, 0, 10)
    _produce(lab1.bootstrap, topic, 1, 4)
    _commit(lab1.bootstrap, group, {(topic, 0): 9, (topic, 1): 4})
    code, out, err = _cli(capsys, "group", "reset", group, "-b", lab1.bootstrap, "--topic", topic,
                          "--to", "shift:-3")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].split() == ["GROUP", "TOPIC", "PARTITION", "CURRENT-OFFSET", "NEW-OFFSET"]
    assert [line.split()[2:] for line in lines[1:3]] == [["0", "9", "6"], ["1", "4", "1"]]
    assert lines[3].startswith("dry run: nothing changed")
    assert _committed(lab1.bootstrap, group) == {(topic, 0): 9, (topic, 1): 4}
    code, out, err = _cli(capsys, "-b", lab1.bootstrap, "group", "reset", group, "--topic", f"{topic}:0",
                          "--to", "2", "--execute", "--json")
    assert code == 0, err
    rows = [json.loads(line) for line in out.splitlines()]
    assert [(r["partition"], r["current"], r["new"]) for r in rows[:-1]] == [(0, 9, 2)]
    assert rows[-1]["executed"] is True
    assert _committed(lab1.bootstrap, group) == {(topic, 0): 2, (topic, 1): 4}


def test_group_commands_refuse_with_one_sentence(lab1: LabCluster, capsys: pytest.CaptureFixture[str]) -> None:
    topic, group = unique("cli-active"), unique("cli-active-g")
    create_topics(lab1.bootstrap, [topic])
    for argv, code in (
            (["--topic", topic, "--to", "soon"], 2),
            (["--topic", f"{topic}:x", "--to", "earliest"], 2),
            (["--topic", f"{topic}:3", "--to", "earliest"], 1),
            (["--topic", unique("missing"), "--to", "earliest"], 1)):
        got, _out, err = _cli(capsys, "-b", lab1.bootstrap, "group", "reset", group, *argv)
        assert got == code, err
        _one_sentence(err)
    member = clients.consumer({"bootstrap.servers": lab1.bootstrap, "group.id": group,
                               "session.timeout.ms": 6000})
    member.subscribe([topic])
    try:
        deadline = time.monotonic() + 30
        while not member.assignment():
            assert time.monotonic() < deadline
            member.poll(0.2)
        got, _out, err = _cli(capsys, "-b", lab1.bootstrap, "group", "reset", group, "--topic", topic,
                              "--to", "earliest", "--execute")
        assert got == 1
        _one_sentence(err)
        assert "active member(s)" in err
        got, out, err = _cli(capsys, "-b", lab1.bootstrap, "group", "reset", group, "--topic", topic,
                             "--to", "earliest")
        assert got == 0  # the dry run still shows the plan, and says the execute would be refused
        assert "--execute would be refused" in out
    finally:
        member.close()
    got, _out, err = _cli(capsys, "-b", lab1.bootstrap, "group", "delete", group)
    assert got == 1
    assert "add --yes" in err


def test_topic_describe_alter_delete(lab1: LabCluster, capsys: pytest.CaptureFixture[str]) -> None:
    topic = unique("cli-topic")
    admin = clients.admin({"bootstrap.servers": lab1.bootstrap})
    admin.create_topics([NewTopic(topic, 3, 1, config={"retention.ms": "86400000"})])[topic].result(30)
    code, out, err = _cli(capsys, "-b", lab1.bootstrap, "topic", "describe", topic)
    assert code == 0, err
    assert out.splitlines()[0] == f"topic {topic}: 3 partition(s), replication factor 1"
    assert any(line.split() == ["retention.ms", "86400000", "(DYNAMIC_TOPIC_CONFIG)"]
               for line in out.splitlines())
    assert "cleanup.policy" not in out
    code, out, err = _cli(capsys, "topic", "alter", topic, "-b", lab1.bootstrap, "--set", "retention.ms=60000",
                          "--set", "max.message.bytes=2097152")
    assert code == 0, err
    assert f"{topic}: retention.ms 86400000 → 60000" in out
    configs = one_shot.topic_configs({"bootstrap.servers": lab1.bootstrap}, [topic], timeout=10)[topic]
    assert (configs["retention.ms"], configs["max.message.bytes"]) == ("60000", "2097152")
    for argv, code_wanted in ((["--set", "retention.ms=soon"], 2), (["--set", "retention"], 2),
                              (["--set", "cleanup.policy=compact"], 2),
                              (["--set", "min.insync.replicas=3"], 1)):
        got, _out, err = _cli(capsys, "-b", lab1.bootstrap, "topic", "alter", topic, *argv)
        assert got == code_wanted, err
        _one_sentence(err)
    got, _out, err = _cli(capsys, "-b", lab1.bootstrap, "topic", "delete", "__consumer_offsets", "--yes")
    assert got == 1
    assert "internal topics" in err
    got, _out, err = _cli(capsys, "-b", lab1.bootstrap, "topic", "delete", topic)
    assert got == 1
    assert "add --yes" in err
    got, out, err = _cli(capsys, "-b", lab1.bootstrap, "topic", "delete", topic, "--yes")
    assert got == 0, err
    assert "deleted" in out
