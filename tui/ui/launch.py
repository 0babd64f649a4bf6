"""``kafka-explorer`` with no subcommand: connect (or start the lab), then run the explorer.

This is the UI's composition root, the one ``tui.ui`` module that builds the engine and touches the
lab cluster (both imported inside functions). It owns their lifetime:
``with Engine(connection) as engine: ExplorerApp(engine).run()``, and a lab cluster it started is
stopped on exit unless ``--keep-lab``. Every failure ends in one sentence on stderr and exit 1.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from tui.headless.output import fail

CONNECT_TIMEOUT = 15.0
"""Seconds to wait for the first successful broker metadata before giving up."""


def run_explorer(args: argparse.Namespace) -> int:
    from tui.connect import ConnectError, lab_connection, parse_properties, resolve
    from tui.lab import LabCluster, LabError
    from tui.ui.themes import load_themes

    themes = load_themes()
    requested = getattr(args, "theme", None)
    if requested and themes.resolve(requested) is None:
        names = ", ".join(sorted(themes.themes)) or "none found"
        return fail(f"Unknown theme {requested!r}; available themes: {names}.")
    owned_lab: Any = None
    try:
        if getattr(args, "bootstrap", None) or getattr(args, "profile", None):
            connection = resolve(args)
        else:
            state_dir: Path | None = getattr(args, "state_dir", None)
            lab = LabCluster(state_dir)
            if not _lab_running(lab):
                # nodes already running belong to whoever started them: never stop those
                partly_running = _any_running(lab)
                error = _start_lab(lab, int(getattr(args, "nodes", 3) or 3))
                if error is not None:
                    if not partly_running:
                        _stop_lab(lab)
                    return fail(f"The lab cluster did not start: {error}")
                if not getattr(args, "keep_lab", False) and not partly_running:
                    owned_lab = lab
            connection = lab_connection(lab.dir, parse_properties(getattr(args, "properties", [])
                                                                  or []))
    except (ConnectError, LabError) as exc:
        return fail(str(exc))
    try:
        return _run_app(connection, requested, themes)
    except KeyboardInterrupt:
        return fail("interrupted")
    finally:
        if owned_lab is not None:
            sys.stderr.write("kafka-explorer: stopping the lab cluster it started "
                             "(use --keep-lab to leave it running)\n")
            _stop_lab(owned_lab)


def _lab_running(lab: Any) -> bool:
    if not lab.exists():
        return False
    try:
        return all(lab.node_state(n) == "running" for n in lab.spec.node_ids())
    except Exception:  # an unreadable state dir: let up() explain it
        return False


def _any_running(lab: Any) -> bool:
    try:
        return lab.exists() and any(lab.node_state(n) == "running" for n in lab.spec.node_ids())
    except Exception:  # unreadable state: nothing of ours runs there
        return False


def _start_lab(lab: Any, nodes: int) -> str | None:
    """Run ``lab.up`` behind the progress screen; None when ready, else the error sentence."""
    from tui.lab import LabCluster
    from tui.ui.startup import StartupApp

    def up(progress: Any) -> None:
        LabCluster(lab.dir, progress=progress).up(nodes=nodes)

    result = StartupApp(up, nodes, str(lab.dir)).run()
    if result is None and not _lab_running(lab):
        return "it exited before it was ready"
    return result


def _stop_lab(lab: Any) -> None:
    try:
        lab.down(timeout=20.0)
    except Exception as exc:  # never a traceback on the way out
        sys.stderr.write(f"kafka-explorer: stopping the lab failed: {exc}\n")


def _run_app(connection: Any, theme: str | None, themes: Any) -> int:
    from tui import config
    from tui.engine.engine import Engine
    from tui.ui.app import ExplorerApp

    # one metadata round trip first: a wrong password, CA or mechanism gets its own sentence here
    # (authentication and TLS failures end the probe at once) instead of a generic timeout
    sys.stderr.write(f"kafka-explorer: connecting to {connection.bootstrap} …\n")
    problem = config.probe_connection(connection.bootstrap, dict(connection.properties),
                                      timeout=CONNECT_TIMEOUT)
    if problem is not None:
        return fail(problem)
    with Engine(connection) as engine:
        problem = _wait_connected(engine, connection.bootstrap)
        if problem is not None:
            return fail(problem)

        def start_run(scenario: Any, on_progress: Any) -> Any:
            from tui.lab import LabCluster
            from tui.scenario.runner import ScenarioRun

            lab = LabCluster(connection.lab_dir) if connection.lab_dir is not None else None
            return ScenarioRun(scenario, engine, lab, on_progress=on_progress)

        app = ExplorerApp(engine, theme=theme, themes=themes, start_run=start_run)
        app.run()
    return app.return_code or 0


def _wait_connected(engine: Any, bootstrap: str) -> str | None:
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
