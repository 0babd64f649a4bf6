"""Every 3-node workshop scenario meets its expectations on a private 3-node lab (faults are real:
kill -9, SIGSTOP). The slow-replication one needs its own cluster (the profile is per cluster)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.scenarios.harness import assert_replays, explain, run_bundled
from tui.lab import LabCluster
from tui.scenario.load import bundled_dir, load_file

pytestmark = pytest.mark.failover

SCENARIOS = [load_file(p) for p in sorted(bundled_dir().glob("*.yaml"))]
THREE_NODE = [s.slug for s in SCENARIOS if s.cluster.nodes == 3 and s.cluster.profile == "default"]
SLOW = [s.slug for s in SCENARIOS if s.cluster.nodes == 3 and s.cluster.profile == "slow-replication"]


def test_the_three_node_set_is_complete() -> None:
    assert {"acks0-leader-kill", "acks-all-min-isr", "durability-control", "unclean-election",
            "retries-duplicates", "retries-idempotent"} <= set(THREE_NODE)
    assert {"acks1-failover-slow-replication", "tuning-in-flight"} <= set(SLOW)


@pytest.mark.parametrize("slug", THREE_NODE)
def test_scenario(slug: str, healthy_lab3: LabCluster, tmp_path: Path) -> None:
    outcome = run_bundled(slug, healthy_lab3, tmp_path, record=tmp_path / f"{slug}.kxr")
    assert outcome.passed, explain(outcome)
    assert_replays(outcome, tmp_path / f"{slug}.kxr")


@pytest.fixture(scope="module")
def slow_lab3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabCluster]:
    """Its own 3-node cluster with the slow-replication profile (about 20 s to start)."""
    cluster = LabCluster(tmp_path_factory.mktemp("lab3slow"))
    with cluster.running(nodes=3, profile="slow-replication", timeout=180):
        yield cluster


@pytest.mark.parametrize("slug", SLOW)
def test_slow_replication_scenario(slug: str, slow_lab3: LabCluster, tmp_path: Path) -> None:
    outcome = run_bundled(slug, slow_lab3, tmp_path, heal=False,  # the cluster goes away next
                          record=tmp_path / f"{slug}.kxr")
    assert outcome.passed, explain(outcome)
    assert_replays(outcome, tmp_path / f"{slug}.kxr")
