"""The lab cluster for real: produce/consume, replication, leader kill, pause/fencing, teardown."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from confluent_kafka import TopicPartition
from confluent_kafka.admin import NewTopic

from tests.helpers import unique, wait_until
from tui.kafka import clients
from tui.lab import LabCluster, cpu_share
from tui.lab import process as proc
from tui.lab.tools import describe_topic


def _create_topic(bootstrap: str, name: str, partitions: int, rf: int, **config: str) -> None:
    admin = clients.admin({"bootstrap.servers": bootstrap})
    futures = admin.create_topics([NewTopic(name, partitions, rf, config=config)], request_timeout=20)
    futures[name].result(timeout=30)


def test_produce_acks_all_and_consume_back(lab1: LabCluster) -> None:
    topic = unique("lab-roundtrip")
    _create_topic(lab1.bootstrap, topic, 2, 1)
    producer = clients.producer({"bootstrap.servers": lab1.bootstrap, "acks": "all"})
    acked: list[tuple[int, int]] = []

    def on_delivery(err: object, msg: object) -> None:
        assert err is None
        acked.append((msg.partition(), msg.offset()))  # type: ignore[attr-defined]

    for i in range(200):
        producer.produce(topic, key=str(i % 7).encode(), value=f"v{i}".encode(), on_delivery=on_delivery)
    assert producer.flush(30) == 0
    assert len(acked) == 200
    consumer = clients.consumer({"bootstrap.servers": lab1.bootstrap, "group.id": unique("g"),
                                 "enable.auto.commit": False})
    consumer.assign([TopicPartition(topic, p, 0) for p in range(2)])
    seen: set[bytes] = set()
    try:
        wait_until(lambda: _drain(consumer, seen) >= 200, timeout=30, message="200 records read back")
    finally:
        consumer.close()
    assert seen == {f"v{i}".encode() for i in range(200)}


def _drain(consumer: object, seen: set[bytes]) -> int:
    for msg in consumer.consume(500, 0.5):  # type: ignore[attr-defined]
        if msg.error() is None:
            seen.add(msg.value())
    return len(seen)


def test_cli_status_json_reports_running_node(lab1: LabCluster) -> None:
    out = subprocess.run([sys.executable, "-m", "tui", "lab", "status", "--json", "--state-dir",
                          str(lab1.dir)], capture_output=True, text=True, timeout=60, check=True)
    status = json.loads(out.stdout)
    node = status["node_status"][0]
    assert node["state"] == "running"
    assert node["pid"] == lab1.pid(1)
    assert node["active_controller"] is True
    assert status["bootstrap"] == lab1.bootstrap


def test_cli_bad_node_is_one_sentence(lab1: LabCluster) -> None:
    out = subprocess.run([sys.executable, "-m", "tui", "lab", "kill", "7", "--state-dir", str(lab1.dir)],
                         capture_output=True, text=True, timeout=60, check=False)
    assert out.returncode == 1
    assert "Node 7 does not exist" in out.stderr
    assert "Traceback" not in out.stderr


@pytest.mark.failover
def test_replication_leader_kill_and_restart(healthy_lab3: LabCluster) -> None:
    lab = healthy_lab3
    topic = unique("lab-isr")
    _create_topic(lab.bootstrap, topic, 1, 3)
    state = wait_until(lambda: _full_isr(lab, topic), timeout=30, message="ISR of 3")
    assert set(state.isr) == {1, 2, 3}
    tool = describe_topic(lab.bootstrap, topic)[0]
    assert (tool.leader, set(tool.isr)) == (state.leader, set(state.isr))

    old_leader = state.leader
    lab.kill(old_leader)
    assert lab.node_state(old_leader) == "dead"
    after = wait_until(lambda: _moved(lab, topic, old_leader), timeout=40,
                       message="a new leader from the ISR and an ISR of 2")
    assert after.leader in state.isr
    assert after.leader != old_leader
    assert set(after.isr) == set(state.isr) - {old_leader}
    tool = describe_topic(lab.bootstrap, topic)[0]
    assert (tool.leader, set(tool.isr)) == (after.leader, set(after.isr))

    lab.restart(old_leader)
    back = wait_until(lambda: _full_isr(lab, topic), timeout=60, message="ISR back to 3")
    assert set(back.isr) == {1, 2, 3}
    _weigh_as_one_program(lab)


def _weigh_as_one_program(lab: LabCluster) -> None:
    """Every node's session, the restarted one included, has its share of one program's weight."""
    pids = [lab.pid(n) for n in lab.spec.node_ids()]
    assert all(pids)
    if cpu_share.autogroup_nice(os.getpid()) is None:
        pytest.skip("no autogroup scheduler on this kernel")
    nice = cpu_share.share_nice(3)
    assert [cpu_share.autogroup_nice(p) for p in pids if p] == [nice] * 3
    assert nice > 0


@pytest.mark.failover
def test_paused_follower_is_fenced_and_rejoins(healthy_lab3: LabCluster) -> None:
    lab = healthy_lab3
    topic = unique("lab-pause")
    _create_topic(lab.bootstrap, topic, 1, 3)
    state = wait_until(lambda: _full_isr(lab, topic), timeout=30, message="ISR of 3")
    follower = next(n for n in state.replicas if n != state.leader)
    lab.pause(follower)
    try:
        assert lab.node_state(follower) == "paused"
        shrunk = wait_until(lambda: _without(lab, topic, follower), timeout=40,
                            message=f"node {follower} fenced out of the ISR")
        assert follower not in shrunk.isr
    finally:
        lab.resume(follower)
    back = wait_until(lambda: _full_isr(lab, topic), timeout=60, message="follower back in the ISR")
    assert follower in back.isr


def _partition(lab: LabCluster, topic: str) -> object | None:
    try:
        return lab.partitions(topic, timeout=3)[0]
    except Exception:
        return None


def _full_isr(lab: LabCluster, topic: str):  # type: ignore[no-untyped-def]
    state = _partition(lab, topic)
    return state if state is not None and len(state.isr) == 3 else None  # type: ignore[attr-defined]


def _moved(lab: LabCluster, topic: str, old: int):  # type: ignore[no-untyped-def]
    state = _partition(lab, topic)
    ok = state is not None and state.leader not in (-1, old) and old not in state.isr  # type: ignore[attr-defined]
    return state if ok else None


def _without(lab: LabCluster, topic: str, node: int):  # type: ignore[no-untyped-def]
    state = _partition(lab, topic)
    return state if state is not None and node not in state.isr else None  # type: ignore[attr-defined]


def test_down_leaves_no_jvm_behind(tmp_path: Path) -> None:
    lab = LabCluster(tmp_path / "own")
    lab.up(nodes=1, timeout=120)
    pid = lab.pid(1)
    assert pid is not None
    assert proc.alive(pid)
    # a second `up` reuses the healthy cluster instead of starting another JVM
    lab.up(nodes=1)
    assert lab.pid(1) == pid
    # kill -> start -> kill again: a JVM the lab started itself reads 'dead' at once after SIGKILL,
    # even while the kernel still tears its threads down (regression: it read 'running')
    lab.kill(1)
    assert lab.node_state(1) == "dead"
    lab.start_node(1)
    second = lab.pid(1)
    assert second is not None
    assert second != pid
    lab.kill(1)
    assert lab.node_state(1) == "dead"
    assert not proc.alive(second)
    lab.start_node(1)
    pid = lab.pid(1)
    assert pid is not None
    assert lab.down() == [1]
    assert not proc.alive(pid)
    assert lab.node_state(1) == "stopped"
    assert "kafka.Kafka" not in " ".join(proc.cmdline(pid))
