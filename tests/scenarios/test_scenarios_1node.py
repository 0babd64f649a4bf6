"""Every 1-node workshop scenario meets its expectations on the real lab cluster (shared ``lab1``).

Each run creates fresh topics and groups (``<name>-<run suffix>``), so the scenarios can share one
cluster, run again on a reused one, and run side by side: most of a scenario's time is spent waiting
(session timeouts, rebalances, idle members), so :data:`SIDE_BY_SIDE` of them run at once in threads,
each with its own engine, and every test judges its own run. Scenarios whose expectations compare
measured latency or throughput (:data:`ALONE`) run one at a time, on a machine the others do not load.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.scenarios.harness import assert_replays, explain, run_bundled
from tui.lab import LabCluster
from tui.scenario.load import bundled_dir, load_file
from tui.scenario.results import RunOutcome

pytestmark = pytest.mark.kafka

ONE_NODE = sorted(p.stem for p in bundled_dir().glob("*.yaml")
                  if load_file(p).cluster.nodes == 1 and load_file(p).cluster.kafka is None)
"""Scenarios that need a particular Kafka (share groups: 4.2+) run in their own module, skipped on an
older lab (tests/engine/test_share_scenarios.py)."""
ALONE = sorted(s for s in ONE_NODE
               if any(e.to is not None for e in load_file(bundled_dir() / f"{s}.yaml").expectations)
               or s == "resend-after-timeout")
"""Measured ratios (and a run built on producer timeouts) are judged on an unshared machine."""
SIDE_BY_SIDE = 3
Runs = dict[str, Future[tuple[RunOutcome, Path]]]


def test_the_one_node_set_is_complete() -> None:
    expected = {"commit-auto-crash", "commit-auto-stored-crash", "commit-sync-per-message-crash",
                "commit-sync-per-batch-crash", "commit-async-per-batch-crash",
                "commit-commit-before-crash", "commit-never-crash", "rebalance-eager",
                "rebalance-cooperative", "rebalance-consumer-protocol", "latest-reset-new-group",
                "hot-key-skew", "eos-copy-crash", "transactions-aborted-visibility"}
    assert expected <= set(ONE_NODE)
    assert {"tuning-linger", "tuning-compression", "resend-after-timeout"} <= set(ALONE)


def _run(slug: str, lab: LabCluster, folder: Path) -> tuple[RunOutcome, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    recording = folder / f"{slug}.kxr"
    return run_bundled(slug, lab, folder, record=recording), recording


@pytest.fixture(scope="module")
def side_by_side(lab1: LabCluster, tmp_path_factory: pytest.TempPathFactory,
                 request: pytest.FixtureRequest) -> Iterator[Runs]:
    """The selected scenarios not in ALONE, started at once on a pool of SIDE_BY_SIDE threads."""
    selected = [item.callspec.params["slug"] for item in request.session.items
                if getattr(item, "originalname", "") == "test_scenario" and item.module is request.module]
    base = tmp_path_factory.mktemp("side-by-side")
    pool = ThreadPoolExecutor(max_workers=SIDE_BY_SIDE, thread_name_prefix="scenario")
    futures = {slug: pool.submit(_run, slug, lab1, base / slug) for slug in selected}
    try:
        yield futures
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _check(outcome: RunOutcome, recording: Path) -> None:
    assert outcome.passed, explain(outcome)
    assert outcome.verdict is not None
    assert all(step.ok for step in outcome.steps)
    assert_replays(outcome, recording)


@pytest.mark.parametrize("slug", [s for s in ONE_NODE if s not in ALONE])
def test_scenario(slug: str, side_by_side: Runs) -> None:
    _check(*side_by_side[slug].result(timeout=280))


@pytest.mark.parametrize("slug", ALONE)
def test_measured_scenario(slug: str, lab1: LabCluster, tmp_path: Path) -> None:
    # defined after test_scenario: every side-by-side run has been awaited, this one has the machine
    _check(*_run(slug, lab1, tmp_path))
