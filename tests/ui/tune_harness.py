"""The Tune screen alone on a real engine, for a walk-through in tmux (not a test):

    KX_TEST_LAB1_DIR=/tmp/kx-shared python -m tests.ui.tune_harness

starts two producers on a fresh topic (linger.ms 0 and 50, 500 records/s each) and shows the screen;
``s`` opens the sweep form, space selects a producer, ``x`` stops a sweep, ``q`` quits (and stops
everything it started).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from textual.app import App, ComposeResult
from textual.binding import Binding

from tui.engine import (
    Connection,
    CreateTopic,
    Engine,
    ProducerProfile,
    StartProducer,
    TopicSpec,
    Workload,
)
from tui.lab import LabCluster
from tui.ui.tune import TUNE_CSS, TunePane


class TuneHarness(App[None]):
    CSS_PATH = [TUNE_CSS]
    BINDINGS = [Binding("q", "quit", "Quit"), Binding("space", "select", "Select"),
                Binding("s", "sweep", "Sweep"), Binding("x", "cancel", "Stop sweep"),
                Binding("c", "clear", "Clear selection")]

    def __init__(self, engine: Engine) -> None:
        super().__init__()
        self.engine = engine

    def compose(self) -> ComposeResult:
        yield TunePane()

    def on_mount(self) -> None:
        pane = self.query_one(TunePane)
        self.set_interval(0.5, lambda: pane.show(self.engine.snapshot()))
        pane.table.focus()

    def action_select(self) -> None:
        self.query_one(TunePane).action_toggle_compare()

    def action_sweep(self) -> None:
        self.query_one(TunePane).action_start_sweep()

    def action_cancel(self) -> None:
        self.query_one(TunePane).action_cancel_sweep()

    def action_clear(self) -> None:
        self.query_one(TunePane).action_clear_compare()


def main() -> None:
    lab = LabCluster(Path(os.environ.get("KX_TEST_LAB1_DIR", "/tmp/kx-shared")))
    connection = Connection(bootstrap=lab.bootstrap, lab_dir=lab.dir)
    topic = f"tune-demo-{secrets.token_hex(3)}"
    with Engine(connection, watch=False) as engine:
        engine.call(CreateTopic(TopicSpec(topic, 1, 1)), timeout=30)
        for name, linger in (("eager", 0), ("patient", 50)):
            engine.call(StartProducer(ProducerProfile(name, linger_ms=linger, compression="zstd"),
                                      Workload(topic, count=None, rate=500.0, value_content="text")))
        TuneHarness(engine).run()


if __name__ == "__main__":
    main()
