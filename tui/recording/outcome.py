"""A recorded scenario run back as the scenario layer's own values (steps, results, outcome).

The recording keeps a run's JSON report (``tui.scenario.report.to_json``, the stable shape CI reads)
and the scenario file's text; from them a replay rebuilds what the Scenarios screen shows and what the
report writers need (:func:`outcome_of`), so a replayed run exports the same reports a live one does.
"""

from __future__ import annotations

import calendar
import time
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from tui.recording.format import RecordingError
from tui.recording.reader import RecordedRun, Recording
from tui.scenario.driver import RunMetrics, VerdictFacts
from tui.scenario.model import Scenario, Step, VerdictStep
from tui.scenario.report import asks_from_json
from tui.scenario.results import ExpectationResult, RunOutcome, StepResult


def scenario_of(record: RecordedRun) -> Scenario:
    """The recorded scenario: from the file's text kept in the recording, else the bundled one."""
    from tui.scenario.load import ScenarioError, bundled_dir, load_file, loads

    if record.yaml:
        try:
            return loads(record.yaml, record.source or f"{record.slug}.yaml", record.slug)
        except ScenarioError:
            pass  # written for another version: the bundled file of that name may still do
    path = bundled_dir() / f"{record.slug}.yaml"
    try:
        return load_file(path)
    except ScenarioError as exc:
        raise RecordingError(f"The recorded scenario {record.slug} cannot be read: {exc}") from exc


def recorded_steps(scenario: Scenario, record: RecordedRun
                   ) -> tuple[tuple[Step, ...], tuple[StepResult, ...]]:
    """The run's steps (with the verdict step the runner adds) and their recorded results."""
    by_number = {s.number: s for s in scenario.steps}
    results = _results(record, by_number)
    steps: list[Step] = []
    for result in results:
        step = by_number.get(result.number)
        steps.append(replace(step, title=result.title or step.title) if step is not None else
                     Step(result.number, result.kind, VerdictStep(), title=result.title))
    return tuple(steps), results


def _results(record: RecordedRun, steps: Mapping[int, Step]) -> tuple[StepResult, ...]:
    report = record.report
    if report is not None:
        return tuple(StepResult(int(s["number"]), str(s["kind"]), str(s["title"]),
                                _narrate(steps, int(s["number"])), bool(s["ok"]), str(s["detail"]),
                                float(s["seconds"]))
                     for s in report.get("steps", ()))
    out = []  # the run never finished: what its progress said
    for ts, kind, number, text in record.progress:
        if kind in ("step-done", "step-failed") and number is not None:
            start, _ = record.step_times(number)
            step = steps.get(number)
            out.append(StepResult(number, step.kind if step else "step", step.title if step else "",
                                  _narrate(steps, number), kind == "step-done", text,
                                  ts - start if start is not None else 0.0))
    return tuple(out)


def _narrate(steps: Mapping[int, Step], number: int) -> str:
    step = steps.get(number)
    return step.narrate if step is not None else ""


def expectation_results(report: Mapping[str, Any]) -> tuple[ExpectationResult, ...]:
    return tuple(ExpectationResult(str(e["subject"]), str(e["expected"]),
                                   None if e.get("actual") is None else float(e["actual"]), bool(e["ok"]))
                 for e in report.get("expectations", ()))


def outcome_of(recording: Recording, record: RecordedRun | None = None) -> RunOutcome:
    """The last (or the given) finished scenario run of ``recording`` as a :class:`RunOutcome`."""
    finished = [r for r in recording.runs if r.report is not None]
    record = record or (finished[-1] if finished else None)
    if record is None or record.report is None:
        raise RecordingError(f"{recording.path} holds no finished scenario run.")
    report = record.report
    scenario = scenario_of(record)
    _steps, results = recorded_steps(scenario, record)
    started = _parse_iso(str(report.get("started") or ""), record.started)
    verdict = None
    if report.get("verdict") is not None:
        data = report["verdict"]
        ts = record.finished if record.finished is not None else recording.end
        live = recording.verdict_at(ts) or recording.last_verdict()
        verdict = VerdictFacts(counts=dict(data.get("counts") or {}),
                               explanations=tuple((str(a["kind"]), str(a["judgement"]),
                                                   str(a["explanation"]))
                                                  for a in data.get("anomalies") or ()),
                               summary=dict(data.get("summary") or {}),
                               raw=live.to_json() if live is not None else {})
    metrics = None
    if report.get("metrics") is not None:
        m = report["metrics"]
        metrics = RunMetrics(produced=int(m["produced"]), acked=int(m["acked"]),
                             failed_definite=int(m["failed_definite"]),
                             failed_indefinite=int(m["failed_indefinite"]), errors=dict(m["errors"]),
                             partition_counts={t: {int(p): int(n) for p, n in c.items()}
                                               for t, c in m["partition_counts"].items()},
                             revoked_partitions=dict(m["revoked_partitions"]))
    return RunOutcome(scenario=scenario, run_suffix=str(report.get("run_suffix") or ""),
                      names=dict(report.get("names") or {}), steps=results, verdict=verdict,
                      metrics=metrics, expectations=expectation_results(report),
                      passed=bool(report.get("passed")), error=report.get("error"),
                      started=started, finished=started + float(report.get("seconds") or 0.0),
                      asks=asks_from_json(report))


def _parse_iso(text: str, default: float) -> float:
    try:
        return float(calendar.timegm(time.strptime(text, "%Y-%m-%dT%H:%M:%SZ")))
    except ValueError:
        return default
