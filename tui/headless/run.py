"""``kafka-explorer run SCENARIO.yaml``: run a workshop scenario headless; exit 0 when every
expectation holds, 1 when one does not (or a step failed), 2 when the file or connection is wrong.

With no ``-b``/``--profile`` it uses the local lab cluster, and starts one with the scenario's node
count and profile when none runs (stopped again at the end unless ``--keep-lab``).
"""

from __future__ import annotations

import argparse
import secrets
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from tui.headless.output import emit_json, fail, say

if TYPE_CHECKING:
    from tui.engine import Event
    from tui.kafka.connection import Connection
    from tui.scenario.model import Scenario, Step
    from tui.scenario.results import RunOutcome


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("scenario", metavar="SCENARIO",
                        help="scenario YAML file, or the name of a bundled scenario")
    parser.add_argument("--report", type=Path, metavar="FILE",
                        help="write a report: FILE.html, FILE.json, FILE.md, or all three for any "
                             "other name")
    parser.add_argument("--record", type=Path, metavar="FILE", default=argparse.SUPPRESS,
                        help="record the run to FILE (replay it with `kafka-explorer replay FILE`)")
    parser.add_argument("--json", action="store_true",
                        help="print progress and the result as JSON lines")
    parser.add_argument("--check", action="store_true",
                        help="only validate the file and list its steps; touch no cluster")
    parser.add_argument("--keep-lab", action="store_true",
                        help="leave a lab cluster this command started running")
    parser.add_argument("--quiet", "-q", action="store_true", help="no narration, only results")
    parser.add_argument("--ask", action="store_true",
                        help="wait at each question of the scenario for the room's answer on stdin "
                             "(a choice number; empty to skip); without it questions are printed "
                             "and the run goes on")


def find_scenario(text: str) -> Path:
    """A path, or the name of a bundled scenario (``run acks0-leader-kill``)."""
    from tui.scenario.load import bundled_dir

    path = Path(text)
    if path.exists() or path.suffix in (".yaml", ".yml"):
        return path
    bundled = bundled_dir() / f"{text}.yaml"
    return bundled if bundled.exists() else path


def run(args: argparse.Namespace) -> int:
    from tui.scenario.load import ScenarioError, load_file

    try:
        scenario = load_file(find_scenario(args.scenario))
    except ScenarioError as exc:
        fail(str(exc))
        return 2
    if args.check:
        return _check(scenario, args.json)
    from tui.connect import ConnectError, resolve
    from tui.lab import LabError
    from tui.lab.session import lab_session

    try:
        if getattr(args, "bootstrap", None) or getattr(args, "profile", None):
            return _run(scenario, resolve(args), args)
        # the local lab: the one running in --state-dir, or one of the scenario's size started
        # for this run (and stopped afterwards unless --keep-lab)
        with lab_session(getattr(args, "state_dir", None), nodes=scenario.cluster.nodes,
                         profile=scenario.cluster.profile, keep=args.keep_lab,
                         kafka_version=getattr(args, "kafka_version", None),
                         on_orphan=getattr(args, "orphaned_lab", "refuse"),
                         progress=lambda line: print(line, file=sys.stderr, flush=True)) as session:
            return _run(scenario, session.connection, args)
    except (ConnectError, LabError) as exc:
        fail(str(exc))
        return 2


def _check(scenario: Scenario, as_json: bool) -> int:
    from tui.scenario.describe import describe

    if as_json:
        emit_json({"scenario": scenario.slug, "title": scenario.title, "valid": True,
                   "steps": [{"number": s.number, "kind": s.kind, "title": s.title or describe(s)}
                             for s in scenario.steps]})
        return 0
    say(f"{scenario.source}: valid — {scenario.title} ({len(scenario.steps)} steps, "
        f"{scenario.cluster.nodes} node(s), profile {scenario.cluster.profile})")
    for step in scenario.steps:
        say(f"  {step.number:>2}. {step.kind}: {step.title or describe(step)}")
    return 0


def _run(scenario: Scenario, connection: Connection, args: argparse.Namespace) -> int:
    from tui.engine import Engine
    from tui.scenario import report
    from tui.scenario.describe import ask_lines
    from tui.scenario.runner import Progress, ScenarioRun

    as_json: bool = args.json
    quiet: bool = args.quiet
    steps_by_number: dict[int, Step] = {}

    def progress(p: Progress) -> None:
        if as_json:
            emit_json({"type": "progress", "kind": p.kind, "step": p.step, "text": p.text})
            return
        if p.kind == "step-started":
            say("")
            say(p.text)
            step = steps_by_number.get(p.step or -1)
            # a step that asks the room keeps its narration (the answer) until the room answered
            if step is not None and step.narrate and not quiet and step.ask is None:
                for line in textwrap.wrap(step.narrate, 96):
                    say(f"    │ {line}")
        elif p.kind in ("step-done", "step-failed"):
            say(f"    {'✓' if p.kind == 'step-done' else '✗'} {p.text}")
        elif p.kind == "ask":
            step = steps_by_number.get(p.step or -1)
            if step is not None and step.ask is not None:
                question, *choices = ask_lines(step.ask)
                say(f"    ? {question}")
                for line in choices:
                    say(f"        {line}")
        elif p.kind == "answer":
            say(f"    → {p.text}")
            step = steps_by_number.get(p.step or -1)
            if step is not None and step.narrate and not quiet:
                for line in textwrap.wrap(step.narrate, 96):
                    say(f"    │ {line}")
        elif p.kind in ("expectation", "finished"):
            pass
        elif not quiet or p.kind == "warning":
            say(f"    … {p.text}")

    if not as_json:
        say(f"{scenario.title}")
        if not quiet:
            for line in textwrap.wrap(scenario.goal, 100):
                say(f"  {line}")
    from tui.recording.recorder import new_recording, scenario_watch_filter

    record: Path | None = getattr(args, "record", None)
    timeline: list[Event] = []
    suffix = secrets.token_hex(3)
    # a recording gets the watcher's picture of the run's own topics and groups (the Cluster screen)
    with Engine(connection, watch=record is not None,
                watch_filter=scenario_watch_filter(scenario, suffix) if record else None) as engine:
        recorder = new_recording(engine, record, "run", connection).start() if record else None
        events = engine.subscribe(maxlen=20_000, replay=True) if args.report is not None else None
        run = ScenarioRun(scenario, engine, on_progress=progress, run_suffix=suffix)
        if getattr(args, "ask", False):
            run.answer_source = lambda q: read_answer(q.ask.choices, sys.stdin, sys.stderr)
        if recorder is not None:
            run.on_progress = recorder.record_progress(scenario, progress, run.outcome,
                                                       find_scenario(args.scenario))
        steps_by_number.update({s.number: s for s in run.steps})
        try:
            outcome = run.run_all()
        finally:
            run.close()
            if events is not None:
                timeline = events.drain()
                events.close()
            if recorder is not None:
                print(f"kafka-explorer: {recorder.close().sentence()}", file=sys.stderr, flush=True)
    if args.report is not None:
        try:
            for path in report.write(outcome, args.report, timeline):
                print(f"report written to {path}", file=sys.stderr, flush=True)
        except OSError as exc:
            fail(f"cannot write the report {args.report}: {exc.strerror or exc}")
    if as_json:
        emit_json({"type": "result", **report.to_json(outcome)})
    else:
        _print_result(outcome)
    return 0 if outcome.passed else 1


def _print_result(outcome: RunOutcome) -> None:
    say("")
    if outcome.verdict is not None:
        headline = outcome.verdict.raw.get("headline")
        say(f"verdict: {headline}" if headline else "verdict")
        violations = outcome.verdict.raw.get("violations")
        found = {k: v for k, v in outcome.verdict.counts.items() if v}
        for kind, count in found.items():
            bad = violations.get(kind, 0) if isinstance(violations, dict) else 0
            say(f"  {kind:<20} {count:>8}" + (f"  ({bad} violation{'s' if bad != 1 else ''})" if bad else ""))
        if not found:
            say("  no findings")
    if outcome.metrics is not None and outcome.metrics.errors:
        say("producer errors")
        for name, count in sorted(outcome.metrics.errors.items()):
            say(f"  {name:<28} {count:>8}")
    if outcome.expectations:
        say("expectations")
        for e in outcome.expectations:
            actual = "n/a" if e.actual is None else (
                str(int(e.actual)) if float(e.actual).is_integer() else f"{e.actual:.3g}")
            say(f"  {'ok  ' if e.ok else 'FAIL'} {e.subject:<28} expected {e.expected:<10} "
                f"actual {actual}")
    if outcome.asks:
        say("predictions")
        for a in outcome.asks:
            say(f"  step {a.step}: {a.question}")
            mark = "" if a.correct is None else ("  (right)" if a.correct else "  (not right)")
            say(f"    the room: {a.answer_text()}{mark}")
            if a.right is not None:
                say(f"    right:    {a.right_text()}" + (f" — {a.why}" if a.why else ""))
            if a.observed:
                checked = "" if a.verified is None else (" (verified)" if a.verified
                                                         else " (not confirmed)")
                say(f"    happened: {a.observed}{checked}")
    if outcome.error:
        say(f"scenario failed: {outcome.error}")
    say(f"{'PASSED' if outcome.passed else 'FAILED'}: {outcome.scenario.title}")


ANSWER_TRIES = 3


def read_answer(choices: Sequence[str], lines: TextIO, prompts: TextIO) -> int | None:
    """The room's answer from ``lines`` (``run --ask``): a choice number, or an empty line to skip;
    the end of input skips too. Returns the choice from 0, or None."""
    for _ in range(ANSWER_TRIES):
        print(f"    answer 1-{len(choices)} (empty: skip): ", end="", file=prompts, flush=True)
        line = lines.readline()
        if not line or not line.strip():
            return None
        text = line.strip()
        if text.isdigit() and 1 <= int(text) <= len(choices):
            return int(text) - 1
        print(f"    {text!r} is not a choice: type a number from 1 to {len(choices)}, or nothing "
              "to skip.", file=prompts, flush=True)
    return None
