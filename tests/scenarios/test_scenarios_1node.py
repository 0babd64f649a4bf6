"""Every 1-node workshop scenario meets its expectations on the real lab cluster (shared ``lab1``).

Each run creates fresh topics and groups (``<name>-<run suffix>``), so the scenarios can share one
cluster and run again on a reused one.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.scenarios.harness import assert_replays, explain, run_bundled
from tui.lab import LabCluster
from tui.scenario.load import bundled_dir, load_file

pytestmark = pytest.mark.kafka

ONE_NODE = sorted(p.stem for p in bundled_dir().glob("*.yaml")
                  if load_file(p).cluster.nodes == 1 and load_file(p).cluster.kafka is None)
"""Scenarios that need a particular Kafka (share groups: 4.2+) run in their own module, skipped on an
older lab (tests/engine/test_share_scenarios.py)."""


def test_the_one_node_set_is_complete() -> None:
    expected = {"commit-auto-crash", "commit-auto-stored-crash", "commit-sync-per-message-crash",
                "commit-sync-per-batch-crash", "commit-async-per-batch-crash",
                "commit-commit-before-crash", "commit-never-crash", "rebalance-eager",
                "rebalance-cooperative", "rebalance-consumer-protocol", "latest-reset-new-group",
                "hot-key-skew", "eos-copy-crash", "transactions-aborted-visibility"}
    assert expected <= set(ONE_NODE)


@pytest.mark.parametrize("slug", ONE_NODE)
def test_scenario(slug: str, lab1: LabCluster, tmp_path: Path) -> None:
    outcome = run_bundled(slug, lab1, tmp_path, record=tmp_path / f"{slug}.kxr")
    assert outcome.passed, explain(outcome)
    assert outcome.verdict is not None
    assert all(step.ok for step in outcome.steps)
    assert_replays(outcome, tmp_path / f"{slug}.kxr")
