"""The bundled share-group scenarios pass on a Kafka 4.2+ lab (recorded, and the recording replays to
the same verdict), and the runner refuses them on an older lab with the command that starts one."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.engine.test_share_support import require_share_groups
from tests.scenarios.fake_driver import FakeDriver
from tests.scenarios.harness import assert_replays, explain, run_bundled
from tui.lab import LabCluster
from tui.scenario.load import bundled_dir, load_file
from tui.scenario.runner import ScenarioRun

SHARE = ("share-more-members-than-partitions", "share-crash-redelivery", "share-reject-poison",
         "share-release-until-limit")


def test_the_share_scenarios_ask_for_a_current_kafka() -> None:
    for slug in SHARE:
        scenario = load_file(bundled_dir() / f"{slug}.yaml")
        assert scenario.cluster.kafka == ">=4.2"
        assert scenario.cluster.nodes == 1


def test_an_older_lab_is_refused_with_the_command_that_starts_a_current_one() -> None:
    scenario = load_file(bundled_dir() / "share-reject-poison.yaml")
    driver = FakeDriver(nodes=1, kafka="4.1.1")
    outcome = ScenarioRun(scenario, driver=driver).run_all()
    assert not outcome.passed
    assert outcome.error is not None
    assert "needs Kafka >=4.2; the connected lab runs Kafka 4.1.1" in outcome.error
    assert "kafka-explorer lab up --kafka-version 4.4.0" in outcome.error
    assert not any(c[0] == "share-member" for c in driver.calls)  # nothing was started


@pytest.mark.kafka
@pytest.mark.share
@pytest.mark.parametrize("slug", SHARE)
def test_share_scenario(slug: str, lab1: LabCluster, tmp_path: Path) -> None:
    outcome = run_bundled(slug, require_share_groups(lab1), tmp_path, record=tmp_path / f"{slug}.kxr")
    assert outcome.passed, explain(outcome)
    assert all(step.ok for step in outcome.steps)
    assert any("promises no ordering" in r for r in outcome.verdict.summary.get("remarks", ())), \
        "the verdict's summary says share groups promise no ordering"
    assert_replays(outcome, tmp_path / f"{slug}.kxr")
