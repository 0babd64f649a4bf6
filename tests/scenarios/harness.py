"""Running a bundled scenario against a lab cluster fixture, the way ``kafka-explorer run`` does."""

from __future__ import annotations

from pathlib import Path

from tui.engine import Connection, Engine
from tui.lab import LabCluster
from tui.scenario import report
from tui.scenario.load import bundled_dir, load_file
from tui.scenario.results import RunOutcome
from tui.scenario.runner import ScenarioRun


def run_bundled(slug: str, lab: LabCluster, report_dir: Path | None = None,
                heal: bool = True) -> RunOutcome:
    """Run ``sample_configs/scenarios/<slug>.yaml`` on ``lab`` with a fresh engine; fresh names.
    ``heal=False`` leaves broken nodes broken (for a cluster that is torn down next anyway)."""
    scenario = load_file(bundled_dir() / f"{slug}.yaml")
    connection = Connection(bootstrap=lab.bootstrap, lab_dir=lab.dir, label="scenario test")
    with Engine(connection, watch=False) as engine:
        run = ScenarioRun(scenario, engine)
        try:
            outcome = run.run_all()
        finally:
            run.close(heal=heal)
    if report_dir is not None:
        report.write(outcome, report_dir / slug)
    return outcome


def explain(outcome: RunOutcome) -> str:
    """Why a run did not pass, for the assertion message."""
    lines = [f"{outcome.scenario.slug}: error={outcome.error}"]
    lines += [f"  step {s.number} {s.kind}: {'ok' if s.ok else 'FAILED'} {s.detail}"
              for s in outcome.steps]
    lines += [f"  expect {e.subject} {e.expected}: actual {e.actual} {'ok' if e.ok else 'FAIL'}"
              for e in outcome.expectations]
    if outcome.verdict is not None:
        lines += [f"  {k} ({j}): {x}" for k, j, x in outcome.verdict.explanations[:10]]
    return "\n".join(lines)
