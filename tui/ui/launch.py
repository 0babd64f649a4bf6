"""``kafka-explorer`` with no subcommand: connect (or start the lab), then run the explorer.

This is the UI's composition root, the one ``tui.ui`` module that builds the engine and touches the
lab cluster (both imported inside functions). It owns their lifetime through the one lab session
(start the lab if needed, stop only what it started, unless ``--keep-lab``) and
``with Engine(connection) as engine: ExplorerApp(engine).run()``. An explorer that ``serve`` started
for a browser takes ``serve``'s connection from its environment instead. Every failure is a
:class:`~tui.errors.UserError`: one sentence on stderr and exit 1 (the CLI prints it).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tui.errors import UserError

if TYPE_CHECKING:
    from tui.engine import Engine
    from tui.kafka.connection import Connection
    from tui.lab.session import UpFunction
    from tui.scenario.model import Scenario
    from tui.scenario.results import ProgressCallback
    from tui.scenario.runner import ScenarioRun
    from tui.ui.themes import ThemeSet

CONNECT_TIMEOUT = 15.0
"""Seconds to wait for the first successful broker metadata before giving up."""


def _say(line: str) -> None:
    sys.stderr.write(f"kafka-explorer: {line}\n")
    sys.stderr.flush()


def run_explorer(args: argparse.Namespace) -> int:
    from tui.connect import parse_properties, resolve
    from tui.lab.session import lab_session
    from tui.serve.handoff import take_connection
    from tui.serve.namespace import namespace_from
    from tui.ui.themes import load_themes

    themes = load_themes()
    requested = getattr(args, "theme", None)
    if requested and themes.resolve(requested) is None:
        names = ", ".join(sorted(themes.themes)) or "none found"
        raise UserError(f"Unknown theme {requested!r}; available themes: {names}.")
    namespace = namespace_from(getattr(args, "namespace", None))
    handed = take_connection()
    if handed is not None:  # a browser's explorer under `serve`: its connection, never a lab start
        return _run_app(handed, requested, themes, namespace, getattr(args, "record", None))
    if getattr(args, "bootstrap", None) or getattr(args, "profile", None):
        return _run_app(resolve(args), requested, themes, namespace, getattr(args, "record", None))
    state_dir: Path | None = getattr(args, "state_dir", None)
    nodes = int(getattr(args, "nodes", 3) or 3)
    with lab_session(state_dir, nodes=nodes, keep=bool(getattr(args, "keep_lab", False)),
                     kafka_version=getattr(args, "kafka_version", None),
                     on_orphan=getattr(args, "orphaned_lab", "refuse"),
                     progress=_say, starter=_startup_screen(nodes, state_dir),
                     properties=parse_properties(getattr(args, "properties", []) or [])) as session:
        try:
            return _run_app(session.connection, requested, themes, namespace,
                            getattr(args, "record", None))
        except KeyboardInterrupt:
            raise UserError("interrupted") from None


def _startup_screen(nodes: int, state_dir: Path | None) -> Any:
    """Runs the lab start behind the progress screen; raises the start's own sentence on failure."""
    from tui.lab.session import LabStartError
    from tui.ui.startup import StartupApp

    def start(up: UpFunction) -> None:
        error = StartupApp(up, nodes, str(state_dir or "the lab state directory")).run()
        if error is not None:
            raise LabStartError(error)

    return start


def _run_app(connection: Connection, theme: str | None, themes: ThemeSet,
             namespace: str | None = None, record: Path | None = None) -> int:
    from tui.engine import Engine
    from tui.kafka.probe import probe_connection
    from tui.ui.app import ExplorerApp

    # one metadata round trip first: a wrong password, CA or mechanism gets its own sentence here
    # (authentication and TLS failures end the probe at once) instead of a generic timeout
    _say(f"connecting to {connection.bootstrap} …")
    problem = probe_connection(connection.bootstrap, dict(connection.properties),
                               timeout=CONNECT_TIMEOUT)
    if problem is not None:
        raise UserError(problem)
    with Engine(connection, namespace=namespace) as engine:
        problem = _wait_connected(engine, connection.bootstrap)
        if problem is not None:
            raise UserError(problem)

        def start_run(scenario: Scenario, on_progress: ProgressCallback) -> ScenarioRun:
            from tui.scenario.runner import ScenarioRun

            return ScenarioRun(scenario, engine, on_progress=on_progress)

        # --record: the app gets the engine through a recorder, and so do its scenario runs
        from tui.recording.recorder import RecordingPort, new_recording, recorded_start_run

        recorder = new_recording(engine, record, "explorer", connection).start() if record else None
        app = ExplorerApp(engine if recorder is None else RecordingPort(engine, recorder), theme=theme,
                          themes=themes, start_run=start_run if recorder is None
                          else recorded_start_run(recorder, start_run))
        try:
            app.run()
        finally:
            if recorder is not None:
                _say(recorder.close().sentence())
    return app.return_code or 0


def _wait_connected(engine: Engine, bootstrap: str) -> str | None:
    """None once the watcher read the brokers; else one sentence saying why not."""
    deadline = time.monotonic() + CONNECT_TIMEOUT
    message = "no answer"
    while time.monotonic() < deadline:
        cluster = engine.snapshot().cluster
        if cluster is not None:
            status = cluster.section("brokers")
            if status.state == "ok" and cluster.brokers:
                return None
            message = status.message or message
        time.sleep(0.2)
    return f"Cannot reach the Kafka cluster at {bootstrap} within {CONNECT_TIMEOUT:.0f} s ({message})."
