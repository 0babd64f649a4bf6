"""The start-up progress screen: starts (or reuses) the local lab cluster and shows its progress.

``LabCluster.up()`` blocks for tens of seconds (jar fetch, format, JVM start, readiness), so it runs in
a plain named thread; its progress lines come back with ``post_message`` (thread-safe, P4). The app
exits with the outcome: ``None`` when the lab is up, else the error sentence.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Label, Log, ProgressBar

UpFunction = Callable[[Callable[[str], None]], None]
"""Starts the lab, calling the progress callback with one line per step; raises on failure."""


class Progressed(Message):
    def __init__(self, line: str) -> None:
        super().__init__()
        self.line = line


class Finished(Message):
    def __init__(self, error: str | None) -> None:
        super().__init__()
        self.error = error


class StartupApp(App[str | None]):
    """Shows progress while ``up`` runs; exits with None (ready) or an error sentence."""

    TITLE = "kafka-explorer"
    BINDINGS = [Binding("ctrl+c,q", "abort", "Abort", id="startup.abort")]
    CSS_PATH = Path(__file__).with_name("startup.tcss")

    def __init__(self, up: UpFunction, nodes: int, where: str) -> None:
        super().__init__()
        self._up = up
        self._node_count = nodes
        self._where = where
        self._started = time.monotonic()
        self._thread: threading.Thread | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="box"):
            yield Label(f"Starting the local Kafka lab cluster ({self._node_count} node"
                        f"{'s' if self._node_count > 1 else ''}) in {self._where}", id="title")
            yield ProgressBar(total=None, show_eta=False, id="bar")
            yield Label("", id="elapsed")
            yield Log(id="log", highlight=False)

    def on_mount(self) -> None:
        self.set_interval(0.5, self._tick)
        self._thread = threading.Thread(target=self._run, name="lab-startup", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        def progress(line: str) -> None:
            self.post_message(Progressed(line))

        try:
            self._up(progress)
        except Exception as exc:  # reported as one sentence by the launcher
            self.post_message(Finished(str(exc).strip() or type(exc).__name__))
            return
        self.post_message(Finished(None))

    def _tick(self) -> None:
        elapsed = time.monotonic() - self._started
        self.query_one("#elapsed", Label).update(Text(f"{elapsed:.0f} s elapsed · q aborts"))

    def on_progressed(self, message: Progressed) -> None:
        self.query_one(Log).write_line(message.line)

    def on_finished(self, message: Finished) -> None:
        self.exit(message.error)

    def action_abort(self) -> None:
        # the start thread keeps running to its own deadline; the launcher stops what it started
        self.exit("start-up aborted by the user")
