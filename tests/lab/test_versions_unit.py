"""Kafka versions without a cluster: the closed set, the pom, per-version broker settings, KAFKA_HOME,
Maven's failures, and a state dir refusing another version."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tui.lab import LabCluster, LabError
from tui.lab.jars import (
    default_version,
    jar_dir,
    maven_failure,
    requested_version,
    runtime_version,
    versioned_pom,
)
from tui.lab.nodeconfig import SHARE_GROUPS, node_properties
from tui.lab.session import lab_session
from tui.lab.spec import LabSpec, NodePorts
from tui.lab.versions import LEGACY_KAFKA_VERSION, VersionMismatch, has_share_groups, version_key
from tui.vocab import DEFAULT_KAFKA_VERSION, KafkaVersion, names


def _spec(version: str, nodes: int = 1) -> LabSpec:
    ports = {n: NodePorts(broker=40000 + n, controller=41000 + n) for n in range(1, nodes + 1)}
    return LabSpec(nodes=nodes, cluster_id="abc", ports=ports, kafka_version=version)


def _keys(text: str) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in text.splitlines() if line and not line.startswith("#"))
    return {key: value for key, value in pairs}


def test_the_version_set_and_its_default() -> None:
    assert names(KafkaVersion) == ("4.1.1", "4.1.2", "4.2.2", "4.3.1", "4.4.0")
    assert DEFAULT_KAFKA_VERSION in KafkaVersion
    assert sorted(names(KafkaVersion), key=version_key) == list(names(KafkaVersion))
    assert requested_version(None) is None
    assert requested_version(" 4.4.0") == "4.4.0"
    with pytest.raises(LabError, match=r"^Unknown Kafka version '4\.0\.0'; use one of 4\.1\.1, "):
        requested_version("4.0.0")


def test_version_order_is_numeric() -> None:
    assert version_key("4.10.0") > version_key("4.9.1") > version_key("4.2.2")
    assert version_key("4.2.0-rc1") == (4, 2, 0)
    assert not has_share_groups("4.1.2")
    assert has_share_groups("4.2.2")
    assert has_share_groups("4.4.0")


@pytest.fixture(autouse=True)
def _no_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KX_KAFKA_VERSION", raising=False)
    monkeypatch.delenv("KAFKA_HOME", raising=False)


def test_the_default_can_be_overridden_for_a_whole_run(monkeypatch: pytest.MonkeyPatch) -> None:
    assert default_version() == DEFAULT_KAFKA_VERSION
    monkeypatch.setenv("KX_KAFKA_VERSION", "4.4.0")
    assert default_version() == runtime_version(None) == "4.4.0"
    assert jar_dir().parent.name == "kafka-4.4.0"
    monkeypatch.setenv("KX_KAFKA_VERSION", "5.0")
    with pytest.raises(LabError, match=r"^Unknown Kafka version in \$KX_KAFKA_VERSION '5\.0'; use one"):
        default_version()


def test_one_pom_with_the_version_substituted() -> None:
    pom = versioned_pom("4.4.0")
    assert pom.count("<kafka.version>4.4.0</kafka.version>") == 1
    assert "4.1.1" not in pom.split("<dependencyManagement>")[0].split("<properties>")[1]
    assert jar_dir("4.3.1").parent.name == "kafka-4.3.1"
    assert jar_dir().parent.name == f"kafka-{DEFAULT_KAFKA_VERSION}"


@pytest.mark.parametrize("version", ["4.1.1", "4.1.2"])
def test_kafka_4_1_gets_no_share_group_settings(version: str, tmp_path: Path) -> None:
    keys = _keys(node_properties(_spec(version), 1, tmp_path))
    assert not set(SHARE_GROUPS) & set(keys)
    assert "group.share.enable" not in keys  # share groups stay off where librdkafka cannot use them
    # the state topic of a 1-node lab must fit on one node in every version
    assert keys["share.coordinator.state.topic.replication.factor"] == "1"
    assert keys["share.coordinator.state.topic.min.isr"] == "1"


@pytest.mark.parametrize("version", ["4.2.2", "4.3.1", "4.4.0"])
def test_share_group_versions_get_quick_demo_settings(version: str, tmp_path: Path) -> None:
    one = _keys(node_properties(_spec(version), 1, tmp_path))
    three = _keys(node_properties(_spec(version, nodes=3), 1, tmp_path))
    for key, value in SHARE_GROUPS.items():
        assert one[key] == value
    assert int(one["group.share.min.session.timeout.ms"]) <= int(one["group.share.session.timeout.ms"])
    assert int(one["group.share.heartbeat.interval.ms"]) < int(one["group.share.session.timeout.ms"])
    assert (one["share.coordinator.state.topic.replication.factor"],
            one["share.coordinator.state.topic.min.isr"]) == ("1", "1")
    assert (three["share.coordinator.state.topic.replication.factor"],
            three["share.coordinator.state.topic.min.isr"]) == ("3", "2")
    # keys 4.4 removed or whose defaults it changed are left to each version
    for gone in ("group.share.enable", "internal.metadata.max.fetch.size.in.bytes",
                 "group.coordinator.append.linger.ms", "share.coordinator.append.linger.ms"):
        assert gone not in one


def test_a_lab_written_before_versions_ran_4_1_1(tmp_path: Path) -> None:
    _spec("4.4.0").save(tmp_path / "cluster.json")
    data = json.loads((tmp_path / "cluster.json").read_text())
    assert data["kafka_version"] == "4.4.0"
    del data["kafka_version"]
    (tmp_path / "cluster.json").write_text(json.dumps(data))
    assert LabSpec.load(tmp_path / "cluster.json").kafka_version == LEGACY_KAFKA_VERSION == "4.1.1"


def _fake_kafka_home(root: Path, version: str) -> Path:
    libs = root / "libs"
    libs.mkdir(parents=True)
    for name in (f"kafka_2.13-{version}.jar", f"kafka-tools-{version}.jar", "kafka_2.13-x-test.jar"):
        (libs / name).write_bytes(b"")
    return root


def test_kafka_home_decides_the_version(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAFKA_HOME", str(_fake_kafka_home(tmp_path / "kafka", "4.0.1")))
    assert runtime_version(None) == "4.0.1"
    assert runtime_version("4.0.1") == "4.0.1"
    with pytest.raises(LabError, match=r"holds Kafka 4\.0\.1, not 4\.4\.0; unset KAFKA_HOME"):
        runtime_version("4.4.0")
    monkeypatch.delenv("KAFKA_HOME")
    assert runtime_version(None) == DEFAULT_KAFKA_VERSION
    assert runtime_version("4.2.2") == "4.2.2"


def test_maven_failures_are_one_sentence() -> None:
    missing = ["[ERROR] Failed to execute goal on project kafka-runtime: Could not resolve dependencies "
               "for project local.kafka-explorer:kafka-runtime:pom:0: The following artifacts could "
               "not be resolved: org.apache.kafka:kafka_2.13:jar:4.0.99, org.apache.kafka:kafka-tools:"
               "jar:4.0.99: org.apache.kafka:kafka_2.13:jar:4.0.99 was not found in "
               "https://repo.maven.apache.org/maven2 during a previous attempt."]
    assert maven_failure("4.0.99", 1, missing) == (
        "Maven Central does not serve Apache Kafka 4.0.99 (org.apache.kafka:kafka_2.13:jar:4.0.99 was "
        "not found); choose one of 4.1.1, 4.1.2, 4.2.2, 4.3.1, 4.4.0.")
    offline = ["[ERROR] Failed to execute goal on project kafka-runtime: Could not transfer artifact "
               "org.apache.kafka:kafka_2.13:pom:4.4.0 from/to central: Unknown host repo.maven.apache.org"]
    assert maven_failure("4.4.0", 1, offline).startswith(
        "Maven could not reach Maven Central to fetch Apache Kafka 4.4.0; check the network")
    other = maven_failure("4.4.0", 1, ["[INFO] x", "[ERROR] disk full"])
    assert other == "Fetching the Kafka 4.4.0 jars with Maven failed (exit 1): disk full"


@pytest.mark.parametrize(("formatted", "asked", "sentence"), [
    ("4.4.0", "4.1.2", r"was formatted by Kafka 4\.4\.0, whose storage Kafka 4\.1\.2 cannot read: run "
                       r"`kafka-explorer lab reset` to start over with 4\.1\.2"),
    ("4.1.1", "4.4.0", r"runs Kafka 4\.1\.1, not 4\.4\.0: run `kafka-explorer lab reset`"),
])
def test_a_state_dir_runs_one_version(tmp_path: Path, formatted: str, asked: str, sentence: str) -> None:
    spec = _spec(formatted)
    spec.save(tmp_path / "cluster.json")
    cluster = LabCluster(tmp_path)
    with pytest.raises(VersionMismatch, match=sentence):
        cluster.up(nodes=1, kafka_version=asked)
    with pytest.raises(VersionMismatch, match=sentence), lab_session(tmp_path, nodes=1, kafka_version=asked):
        pytest.fail("the block must not run")
    cluster.check_version(formatted)  # the same version, or none asked, passes
    cluster.check_version(None)
    assert LabSpec.load(tmp_path / "cluster.json") == spec  # nothing was rewritten
    assert not (tmp_path / "owner.json").exists()
