"""Every Kafka version the lab offers, for real: a 1-node lab of that version in a temporary state dir,
the broker says it runs that version and accepts every setting the lab gives it, share groups are on
exactly where the lab expects them, a plain client produces and consumes, and the lab stops.

The default version (``$KX_KAFKA_VERSION``, else the vocabulary's) is covered by the whole suite;
4.4.0 always runs here; the others are marked ``versions`` (deselect with ``-m "not versions"``).
Each prints jar fetch, start and stop times."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from confluent_kafka import TopicPartition
from confluent_kafka.admin import NewTopic

from tests.helpers import unique, wait_until
from tui.kafka import clients
from tui.lab import LabCluster, process
from tui.lab.jars import default_version, ensure_jars
from tui.lab.tools import run_tool
from tui.lab.versions import has_share_groups
from tui.vocab import KafkaVersion

pytestmark = pytest.mark.kafka

FEATURE_COMMAND = "org.apache.kafka.tools.FeatureCommand"
VERSIONS = [pytest.param(str(v), marks=() if v == KafkaVersion.V4_4_0 else (pytest.mark.versions,), id=v)
            for v in KafkaVersion if v != default_version()]
UNKNOWN_KEY = re.compile(r"The configuration '([^']+)' was supplied but isn't a known config")


def _round_trip(bootstrap: str, records: int = 50) -> set[bytes]:
    topic = unique("versions")
    admin = clients.admin({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic(topic, 2, 1)], request_timeout=20)[topic].result(timeout=30)
    producer = clients.producer({"bootstrap.servers": bootstrap, "acks": "all",
                                 "enable.idempotence": True})
    for i in range(records):
        producer.produce(topic, key=str(i % 5).encode(), value=f"v{i}".encode())
    assert producer.flush(30) == 0
    consumer = clients.consumer({"bootstrap.servers": bootstrap, "group.id": unique("g"),
                                 "enable.auto.commit": False})
    consumer.assign([TopicPartition(topic, p, 0) for p in range(2)])
    seen: set[bytes] = set()

    def drained() -> bool:
        seen.update(m.value() for m in consumer.consume(100, 0.5) if m.error() is None)
        return len(seen) >= records

    try:
        wait_until(drained, timeout=30, message=f"{records} records read back")
    finally:
        consumer.close()
    return seen


def _features(bootstrap: str, version: str) -> dict[str, str]:
    """Finalized feature levels (``metadata.version`` reads like ``4.4-IV2``, the others are numbers)."""
    out = run_tool(FEATURE_COMMAND, ["--bootstrap-server", bootstrap, "describe"], kafka_version=version)
    return dict(re.findall(r"Feature: (\S+)\s.*?FinalizedVersionLevel: (\S+)", out))


def _share_members_refused(cluster: LabCluster, bootstrap: str, version: str) -> None:
    """Before 4.2 the first thing said is the version's sentence, not a broker refusing a share
    setting it does not know (the settings used to be sent first)."""
    topic = unique("versions-share")
    admin = clients.admin({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic(topic, 1, 1)], request_timeout=20)[topic].result(timeout=30)
    out = subprocess.run([sys.executable, "-m", "tui", "--state-dir", str(cluster.dir), "consume", topic,
                          "--share", "--group", unique("share-g"), "--delivery-limit", "3",
                          "--lock-ms", "5000"], capture_output=True, text=True, timeout=120, check=False)
    assert out.returncode != 0
    lines = [line for line in (out.stdout + out.stderr).splitlines() if line.strip()]
    assert lines, "nothing was said"
    assert f"Share groups need Kafka 4.2 or newer and this lab runs Kafka {version}" in lines[0], lines


@pytest.mark.parametrize("version", VERSIONS)
def test_a_lab_of_each_version(version: str, tmp_path: Path) -> None:
    started = time.monotonic()
    ensure_jars(version=version)
    fetched = time.monotonic() - started
    cluster = LabCluster(tmp_path / "lab")
    started = time.monotonic()
    with cluster.running(nodes=1, kafka_version=version, timeout=180) as spec:
        ready = time.monotonic() - started
        assert spec.kafka_version == version
        assert json.loads((cluster.dir / "cluster.json").read_text())["kafka_version"] == version
        log = cluster.log_file(1).read_text(errors="replace")
        assert f"Kafka version: {version}" in log
        assert UNKNOWN_KEY.findall(log) == []
        status = json.loads(subprocess.run(
            [sys.executable, "-m", "tui", "lab", "status", "--json", "--state-dir", str(cluster.dir)],
            capture_output=True, text=True, timeout=60, check=True).stdout)
        assert status["kafka_version"] == version
        assert status["owner"]["state"] == "owned"

        assert _round_trip(spec.bootstrap()) == {f"v{i}".encode() for i in range(50)}
        features = _features(spec.bootstrap(), version)
        assert features["metadata.version"].startswith(".".join(version.split(".")[:2]))
        assert (int(features.get("share.version", "0")) >= 1) == has_share_groups(version), features
        if not has_share_groups(version):
            _share_members_refused(cluster, spec.bootstrap(), version)
        pid = cluster.pid(1)
        assert pid is not None
        started = time.monotonic()
    stopped = time.monotonic() - started
    assert not process.alive(pid)
    print(f"\nKafka {version}: jars {fetched:.1f} s (cached after the first fetch), ready in "
          f"{ready:.1f} s, stopped in {stopped:.1f} s; features {features}")
