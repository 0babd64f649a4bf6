"""Lab pieces that need no running cluster: config rendering, parsing, process proof, errors."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tui.lab import LabCluster, LabError, cpu_share
from tui.lab.cluster import kafka_uuid
from tui.lab.java import java_executable, java_major_version
from tui.lab.nodeconfig import node_properties
from tui.lab.process import is_our_node
from tui.lab.spec import LabSpec, NodePorts
from tui.lab.tools import parse_topic_describe


def _spec(nodes: int = 3, profile: str = "default") -> LabSpec:
    ports = {n: NodePorts(broker=40000 + n, controller=41000 + n) for n in range(1, nodes + 1)}
    return LabSpec(nodes=nodes, profile=profile, cluster_id="abc", ports=ports)


def test_properties_have_no_inline_comments_and_bind_loopback(tmp_path: Path) -> None:
    text = node_properties(_spec(), 2, tmp_path)
    for line in text.splitlines():
        if line and not line.startswith("#"):
            assert "#" not in line, f"inline comment in {line!r}"
    assert "listeners=PLAINTEXT://127.0.0.1:40002,CONTROLLER://127.0.0.1:41002" in text
    assert "controller.quorum.voters=1@127.0.0.1:41001,2@127.0.0.1:41002,3@127.0.0.1:41003" in text
    assert "min.insync.replicas=2" in text
    assert "default.replication.factor=3" in text
    assert "localhost" not in text


def test_single_node_uses_replication_factor_one(tmp_path: Path) -> None:
    text = node_properties(_spec(1), 1, tmp_path)
    assert "offsets.topic.replication.factor=1" in text
    assert "min.insync.replicas=1" in text


def test_slow_replication_profile_sets_fetch_knobs(tmp_path: Path) -> None:
    text = node_properties(_spec(3, "slow-replication"), 1, tmp_path)
    assert "replica.fetch.wait.max.ms=5000" in text
    assert "replica.fetch.min.bytes=10485760" in text
    assert "replica.fetch.wait.max.ms" not in node_properties(_spec(), 1, tmp_path)


def test_cluster_id_has_kafka_form() -> None:
    ids = {kafka_uuid() for _ in range(200)}
    assert len(ids) == 200
    for cid in ids:
        assert len(cid) == 22
        assert not cid.startswith("-")
        assert "=" not in cid


@pytest.mark.parametrize(("text", "major"), [
    ('openjdk version "17.0.15" 2025-04-15', 17),
    ('java version "1.8.0_392"', 8),
    ('openjdk version "21" 2023-09-19', 21),
    ("garbage", None),
])
def test_java_version_parsing(text: str, major: int | None) -> None:
    assert java_major_version(text) == major


def test_missing_java_is_one_clear_sentence(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("JAVA_HOME", str(tmp_path / "no-jdk"))
    with pytest.raises(LabError, match=r"Java was not found; install Java 17"):
        java_executable()


def test_spec_round_trip(tmp_path: Path) -> None:
    spec = _spec()
    spec.save(tmp_path / "cluster.json")
    assert LabSpec.load(tmp_path / "cluster.json") == spec


def test_stale_pid_of_a_foreign_process_is_never_ours(tmp_path: Path) -> None:
    # our own test process is alive, but it is not a kafka.Kafka JVM with this lab's properties
    assert not is_our_node(os.getpid(), tmp_path / "node1" / "server.properties")


def test_stale_state_dir_pid_is_cleared_not_signalled(tmp_path: Path) -> None:
    spec = _spec(1)
    (tmp_path / "node1").mkdir()
    spec.save(tmp_path / "cluster.json")
    (tmp_path / "node1" / "pid").write_text(str(os.getpid()))  # a live, unrelated PID
    cluster = LabCluster(tmp_path)
    assert cluster.pid(1) is None
    assert cluster.node_state(1) == "dead"
    cluster._clear_stale_pids(spec)
    assert cluster.node_state(1) == "stopped"


def test_unknown_node_and_missing_lab_are_clear(tmp_path: Path) -> None:
    with pytest.raises(LabError, match="No lab cluster"):
        LabCluster(tmp_path / "none").status()
    _spec(1).save(tmp_path / "cluster.json")
    with pytest.raises(LabError, match="Node 5 does not exist"):
        LabCluster(tmp_path).kill(5)


def test_bad_options_are_refused(tmp_path: Path) -> None:
    with pytest.raises(LabError, match="Unknown lab profile"):
        LabCluster(tmp_path).up(nodes=1, profile="fast")
    with pytest.raises(LabError, match="--nodes must be one of"):
        LabCluster(tmp_path).up(nodes=2)


def test_topic_describe_parsing() -> None:
    out = ("Topic: t\tTopicId: x\tPartitionCount: 2\tReplicationFactor: 3\tConfigs: \n"
           "\tTopic: t\tPartition: 0\tLeader: 2\tReplicas: 2,3,1\tIsr: 2,1\tElr: \tLastKnownElr: \n"
           "\tTopic: t\tPartition: 1\tLeader: none\tReplicas: 3,1,2\tIsr: 3\tElr: 1\tLastKnownElr: \n")
    parts = parse_topic_describe(out)
    assert [(p.partition, p.leader, p.replicas, p.isr) for p in parts] == [
        (0, 2, (2, 3, 1), (2, 1)), (1, -1, (3, 1, 2), (3,))]
    assert parts[1].elr == (1,)


def test_security_reads_the_spec_without_a_cluster(tmp_path: Path) -> None:
    from tui.lab.security import connection_snippet, format_scram_args, lab_credentials, password_file
    from tui.lab.spec import load_spec

    ports = {1: NodePorts(broker=40001, controller=41001, secure=42001)}
    LabSpec(nodes=1, security="sasl-scram", cluster_id="abc", ports=ports).save(tmp_path / "cluster.json")
    args = format_scram_args(tmp_path)  # the state dir is passed, never remembered by the process
    password = password_file(tmp_path).read_text().strip()
    assert args == ["--add-scram", f"SCRAM-SHA-512=[name=kx-user,password={password}]"]
    assert oct(password_file(tmp_path).stat().st_mode & 0o777) == "0o600"
    assert lab_credentials(tmp_path)["sasl.password"] == password
    snippet = connection_snippet(tmp_path)
    assert "127.0.0.1:42001" in snippet
    assert password not in snippet
    assert load_spec(tmp_path).security == "sasl-scram"
    with pytest.raises(LabError, match="No lab cluster in"):
        load_spec(tmp_path / "none")
    (tmp_path / "cluster.json").write_text("{broken")
    with pytest.raises(LabError, match="unreadable"):
        lab_credentials(tmp_path)


def test_lab_nodes_weigh_one_program_together() -> None:
    assert cpu_share.share_nice(1) == 0  # a 1-node lab is one program already
    for nodes in (2, 3, 4, 5):
        weight = nodes * cpu_share.NICE_WEIGHTS[cpu_share.share_nice(nodes)]
        assert abs(weight - cpu_share.NICE_WEIGHTS[0]) < 0.1 * cpu_share.NICE_WEIGHTS[0]


def test_weighing_a_gone_process_changes_nothing() -> None:
    assert cpu_share.weigh_as_one(2**22 + 12345, 3) is False  # beyond pid_max: no such process
    assert cpu_share.autogroup_nice(2**22 + 12345) is None
