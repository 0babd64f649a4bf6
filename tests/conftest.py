"""Session fixtures: real Apache Kafka lab clusters, started once per test session.

* ``lab1``: a 1-node cluster for most engine tests.
* ``lab3``: a 3-node cluster for replication and failover tests; ``healthy_lab3`` restarts any node a
  previous test broke, so each failover test starts from three running nodes.

Set ``KX_TEST_LAB1_DIR`` / ``KX_TEST_LAB3_DIR`` to the state dir of a running lab to reuse it (it is
then left running); otherwise a temporary cluster is started and torn down at session end.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tui.lab import LabCluster


def _session_lab(tmp_path_factory: pytest.TempPathFactory, nodes: int, env: str) -> Iterator[LabCluster]:
    reuse = os.environ.get(env)
    if reuse:
        cluster = LabCluster(Path(reuse))
        cluster.up(nodes=nodes)
        yield cluster
        return
    cluster = LabCluster(tmp_path_factory.mktemp(f"lab{nodes}"))
    with cluster.running(nodes=nodes, timeout=180):
        yield cluster


@pytest.fixture(scope="session")
def lab1(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabCluster]:
    yield from _session_lab(tmp_path_factory, 1, "KX_TEST_LAB1_DIR")


@pytest.fixture(scope="session")
def lab3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabCluster]:
    yield from _session_lab(tmp_path_factory, 3, "KX_TEST_LAB3_DIR")


@pytest.fixture
def healthy_lab3(lab3: LabCluster) -> LabCluster:
    """The 3-node lab with every node running (heals what an earlier test broke)."""
    for node_id in lab3.spec.node_ids():
        state = lab3.node_state(node_id)
        if state == "paused":
            lab3.resume(node_id)
        elif state in ("dead", "stopped"):
            lab3.start_node(node_id)
    lab3.wait_ready(timeout=120)
    return lab3


@pytest.fixture
def bootstrap1(lab1: LabCluster) -> str:
    return lab1.bootstrap
