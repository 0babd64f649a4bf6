"""Running a bundled scenario against a lab cluster fixture, the way ``kafka-explorer run`` does."""

from __future__ import annotations

import json
from pathlib import Path

from tui.engine import Connection, Engine, Judge
from tui.lab import LabCluster
from tui.recording.reader import load
from tui.recording.recorder import new_recording, scenario_watch_filter
from tui.recording.replay import ReplayEngine
from tui.scenario import report
from tui.scenario.load import bundled_dir, load_file
from tui.scenario.results import RunOutcome
from tui.scenario.runner import ScenarioRun


def run_bundled(slug: str, lab: LabCluster, report_dir: Path | None = None,
                heal: bool = True, record: Path | None = None) -> RunOutcome:
    """Run ``sample_configs/scenarios/<slug>.yaml`` on ``lab`` with a fresh engine; fresh names.
    ``heal=False`` leaves broken nodes broken (for a cluster that is torn down next anyway);
    ``record``: also record the run there, as ``run --record`` does (see :func:`assert_replays`)."""
    scenario = load_file(bundled_dir() / f"{slug}.yaml")
    connection = Connection(bootstrap=lab.bootstrap, lab_dir=lab.dir, label="scenario test")
    with Engine(connection, watch=False) as engine:
        recorder = new_recording(engine, record, "run", connection) if record else None
        run = ScenarioRun(scenario, engine)
        if recorder is not None:
            run.on_progress = recorder.record_progress(scenario, run.on_progress, run.outcome)
            recorder.start()
        try:
            outcome = run.run_all()
        finally:
            run.close(heal=heal)
            if recorder is not None:
                recorder.close()
    if report_dir is not None:
        report.write(outcome, report_dir / slug)
    return outcome


def assert_replays(outcome: RunOutcome, recording_path: Path) -> None:
    """The recorded file replays (no cluster) to the live run's verdict, report and names."""
    recording = load(recording_path)
    verdict = ReplayEngine(recording, playing=False).submit(Judge()).result(5)
    assert outcome.verdict is not None
    assert verdict.to_json() == outcome.verdict.raw, f"{outcome.scenario.slug}: replayed verdict differs"
    recorded = recording.runs[-1]
    assert recorded.slug == outcome.scenario.slug
    assert recorded.report == json.loads(json.dumps(report.to_json(outcome), default=str))
    # what a recorded run's watcher is narrowed to: the names the runner gave (run --record)
    wanted = scenario_watch_filter(outcome.scenario, outcome.run_suffix)
    for names in (wanted.topics, wanted.groups):
        assert {n for n in names if not n.startswith("kx-none-")} <= set(outcome.names.values())


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
