"""Tune screen: running producer profiles side by side, and sweeps of settings.

Top: the compared profiles (space selects; none selected compares the latest of each name) with
throughput, send -> ack percentiles, batching and compression. Middle: their send -> ack latency
distributions overlaid (CDF, log-scaled milliseconds) and, right, a sweep's throughput against p99
latency with the Pareto frontier marked (or, without a sweep, each compared profile's throughput).
Bottom: the one setting that differs, highlighted, and what librdkafka's statistics say about the
profile under the cursor, each figure with what moves it.

Plots are textual-plotext widgets (plotext 5: 6.x breaks the wrapper).
"""

from __future__ import annotations

import threading
from typing import Any

from rich.console import RenderableType
from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Label, Static

from tui.engine import SWEEP_PREFIX, RunnerView, Snapshot, SweepView
from tui.ui.fast_table import Column, FastTable, LazyRows
from tui.ui.fmt import ms, num, rate
from tui.ui.panes.base import DataKey, Pane
from tui.ui.registry import bindings_for
from tui.ui.tune.compare import cdf_points, compared, differences, runner_key
from tui.ui.tune.plot import SafePlot
from tui.ui.tune.sweep_form import SweepForm, SweepRequest

COLUMNS = (Column("", 1, cut=False, drop=False), Column("name", cut=False, drop=False),
           Column("state", 8), Column("acked/s", 8, right=True), Column("MB/s", 6, right=True),
           Column("ack p50", 8, right=True), Column("ack p99", 8, right=True),
           Column("rec/batch", 9, right=True), Column("fill", 5, right=True),
           Column("ratio", 6, right=True), Column("settings", 12, flex=True))
_MARKERS = ("braille", "dot", "hd", "fhd", "sd", "x")
DEFAULT_KEYS = {"tune.select": "space", "tune.sweep": "s", "tune.cancel": "x", "tune.clear": "c"}
"""The keys of this screen's commands (tui/ui/registry.py names them; these match)."""


def _ms(seconds: float | None) -> str:
    return ms(None if seconds is None else seconds * 1000.0)


class TunePane(Pane):
    BINDINGS = bindings_for("tune")
    PUMP_HZ = 2.0  # distributions move slowly; plots are the costly part of this screen

    def __init__(self) -> None:
        super().__init__(id="tune")
        self.selected: set[str] = set()
        """Runner keys (``name#incarnation``) chosen for comparison; empty: the latest of each name."""
        self.sweep: SweepView | None = None
        self._cancel: threading.Event | None = None
        self._rows: tuple[RunnerView, ...] = ()

    @staticmethod
    def data_key(snapshot: Snapshot) -> DataKey:
        return (snapshot.producers,)

    def key(self, command_id: str) -> str:
        # the screen's keys until the registry carries them (tune.select, tune.sweep, tune.cancel)
        try:
            return super().key(command_id)
        except KeyError:
            return DEFAULT_KEYS.get(command_id, "?")

    def compose(self) -> ComposeResult:
        yield Label("Compare producers", classes="title", id="tune-title")
        yield FastTable(COLUMNS, id="tune-runners")
        yield Static("", id="tune-differs")
        with Horizontal(id="tune-plots"):
            yield SafePlot(id="tune-cdf")
            yield SafePlot(id="tune-scatter")
        with Horizontal(id="tune-bottom"):
            yield Static("", id="tune-stats")
            yield Static("", id="tune-sweep")

    def on_mount(self) -> None:
        super().on_mount()
        self.table = self.query_one("#tune-runners", FastTable)

    # ---- rendering ---------------------------------------------------------------------------

    def show(self, snapshot: Snapshot) -> None:
        if not self.changed(snapshot):
            return
        self.last = snapshot
        # a sweep's own producers are shown in the sweep panel, not among the profiles compared
        self._rows = tuple(r for r in snapshot.producers.runners if not r.name.startswith(SWEEP_PREFIX))
        self.table.set_rows(LazyRows(self._rows, runner_key, self._cells, name=lambda r: r.name))
        self.query_one("#tune-title", Label).update(
            "Compare producers  " + self.keys_hint(("tune.select", "select"), ("tune.sweep", "sweep"),
                                                   ("tune.cancel", "stop sweep"))
            + " · latency = send → ack")
        chosen = compared(self._rows, self.selected)
        self._render_differs(chosen)
        self._render_cdf(chosen)
        self._render_right(chosen)
        self._render_stats(self._cursor_runner())
        self._render_sweep_text()

    def _cells(self, r: RunnerView) -> tuple[RenderableType, ...]:
        chosen = runner_key(r) in self.selected
        st = r.stats
        mb = r.ack_mb_rate if r.active else r.avg_rate * (r.avg_record_bytes or r.value_size) / 1e6
        return (Text("●" if chosen else " ", style=self.colour("accent")), r.name, r.state,
                rate(r.ack_rate) if r.active else num(round(r.avg_rate)), f"{mb:.2f}",
                _ms(r.latency.p50) if r.acknowledged else "no ack",
                _ms(r.latency.p99) if r.acknowledged else "–",
                num(None if st is None or st.records_per_batch is None else round(st.records_per_batch)),
                "–" if st is None or st.batch_fill is None else f"{st.batch_fill * 100:.0f}%",
                "–" if st is None or st.compression_ratio is None else f"{st.compression_ratio:.2f}x",
                Text(r.summary))

    def _render_differs(self, chosen: tuple[RunnerView, ...]) -> None:
        widget = self.query_one("#tune-differs", Static)
        diffs = differences(chosen)
        if len(chosen) < 2 and self.selected:
            widget.update(Text(f"Select another producer ({self.key('tune.select')}) to compare it "
                               "with, or clear the selection to compare the latest of each.",
                               style=self.colour("accent")))
        elif len(chosen) < 2:
            widget.update(Text("Start two or more producers (Produce screen) to compare them, or "
                               f"press {self.key('tune.sweep')} to sweep a grid of settings.",
                               style=self.colour("accent")))
        elif not diffs:
            widget.update(Text("The compared producers have the same settings: any difference is "
                               "noise (or the cluster changed between them)."))
        elif len(diffs) == 1:
            loud = self.colour("accent") + Style(bold=True, reverse=True)
            widget.update(Text.assemble("The one setting that differs: ", (diffs[0].text(), loud)))
        else:
            widget.update(Text.assemble(
                f"{len(diffs)} settings differ (no single one explains the difference): ",
                ("; ".join(d.text() for d in diffs), self.colour("warning"))))

    def _render_cdf(self, chosen: tuple[RunnerView, ...]) -> None:
        plot = self.query_one("#tune-cdf", SafePlot)
        plt = plot.plt
        plt.clear_data()
        plt.clear_figure()
        plt.title("send → ack latency CDF")
        plt.xlabel("ms (log)")
        plt.ylabel("% ≤")
        drawn = 0
        for i, r in enumerate(chosen):
            xs, ys = cdf_points(r)
            # a log axis drops points at 0 ms, and a labelled series left empty breaks plotext
            points = [(x, y) for x, y in zip(xs, ys, strict=False) if x > 0]
            if len(points) >= 2:
                plt.plot([x for x, _ in points], [y for _, y in points], label=r.name,
                         marker=_MARKERS[i % len(_MARKERS)])
                drawn += 1
        if drawn:
            plt.xscale("log")
            plt.ylim(0, 100)
        plot.refresh()

    def _render_right(self, chosen: tuple[RunnerView, ...]) -> None:
        plot = self.query_one("#tune-scatter", SafePlot)
        plt = plot.plt
        plt.clear_data()
        plt.clear_figure()
        sweep = self.sweep
        results = [r for r in sweep.results if r.error is None and r.p99 is not None] if sweep else []
        if sweep is not None and results:
            e2e = any(r.e2e is not None and r.e2e.p99 is not None for r in results)
            plt.title(f"sweep: throughput vs p99 {'e2e' if e2e else 'send → ack'} (# frontier)")
            plt.xlabel("records/s")
            plt.ylabel("p99 ms")
            rest = [r for r in results if not r.frontier]
            front = sorted((r for r in results if r.frontier), key=lambda r: r.throughput)
            if rest:
                plt.scatter([r.throughput for r in rest], [(r.p99 or 0) * 1000 for r in rest],
                            marker="o")
            if front:
                plt.plot([r.throughput for r in front], [(r.p99 or 0) * 1000 for r in front],
                         marker="#")
            xs = [r.throughput for r in results]
            ys = [(r.p99 or 0) * 1000 for r in results]
            low, high = min(xs), max(xs)
            span = max(high - low, high * 0.1, 1.0)
            plt.xlim(max(0.0, low - span * 0.15), high + span * 0.15)
            plt.ylim(0, max(ys) * 1.15 or 1)
            middle = (low + high) / 2
            for r, x, y in zip(results, xs, ys, strict=True):
                # each point names its settings (no legend to collide with), on the side with room
                right = x > middle
                plt.text(f"{r.label} " if right else f" {r.label}", x, y,
                         alignment="right" if right else "left")
        else:
            plt.title("throughput (records/s acknowledged)")
            names = [r.name for r in chosen]
            values = [r.ack_rate if r.active else r.avg_rate for r in chosen]
            if names:
                plt.bar(names, values)
        plot.refresh()

    def _render_stats(self, r: RunnerView | None) -> None:
        widget = self.query_one("#tune-stats", Static)
        if r is None:
            widget.update("")
            return
        text = Text(f"{r.name}: client internals (librdkafka statistics)\n", style="bold")
        if r.stats is None:
            text.append("no statistics yet (they arrive every statistics.interval.ms)")
        else:
            for line in r.stats.lines:
                text.append(f"{line.name} ", style="bold")
                text.append(f"{line.value}", style=self.colour("primary"))
                text.append(f" — {line.explanation}\n")
        for e in r.errors[:3]:
            text.append(f"{e.error} ×{e.count}: ", style=self.colour("error"))
            text.append(f"{e.explanation}\n")
        widget.update(text)

    def _render_sweep_text(self) -> None:
        widget = self.query_one("#tune-sweep", Static)
        sweep = self.sweep
        if sweep is None:
            widget.update(Text(f"No sweep yet: {self.key('tune.sweep')} runs a grid of settings "
                               "(each point on its own topic, with a group member reading it).",
                               style="dim"))
            return
        head = f"sweep on {sweep.topic}: {len(sweep.results)}/{sweep.total} points, {sweep.state}"
        if sweep.running:
            head += f" — running {sweep.running}"
        text = Text(head + "\n", style="bold")
        for r in sweep.results:
            mark = "◆ " if r.frontier else "  "
            if r.error:
                text.append(f"{mark}{r.label}: {r.error}\n", style=self.colour("error"))
                continue
            e2e = f" e2e p99 {_ms(r.e2e.p99)}" if r.e2e is not None else ""
            text.append(f"{mark}{r.label}: {r.throughput:,.0f}/s, ack p99 {_ms(r.ack.p99)}{e2e}\n",
                        style=self.colour("accent") if r.frontier else "")
        if sweep.message:
            text.append(sweep.message, style=self.colour("error"))
        widget.update(text)

    def _cursor_runner(self) -> RunnerView | None:
        key = self.table.selected_key()
        for r in self._rows:
            if runner_key(r) == key:
                return r
        return self._rows[-1] if self._rows else None

    def _redraw(self) -> None:
        self.invalidate()
        if self.last is not None:
            self.show(self.last)

    def on_fast_table_highlighted(self, event: FastTable.Highlighted) -> None:
        if event.table.id == "tune-runners":
            self._render_stats(self._cursor_runner())

    # ---- actions -----------------------------------------------------------------------------

    def action_toggle_compare(self) -> None:
        key = self.table.selected_key()
        if key is None:
            self.app.notify("Select a producer first.", severity="warning")
            return
        self.selected.symmetric_difference_update({key})
        self._redraw()

    def action_clear_compare(self) -> None:
        self.selected.clear()
        self._redraw()

    def action_start_sweep(self) -> None:
        if self._cancel is not None:
            self.app.notify("A sweep is running; stop it first.", severity="warning")
            return
        topic = self._rows[-1].topic if self._rows else "tune"
        self.open_form(SweepForm(topic), self._sweep_requested)

    def action_cancel_sweep(self) -> None:
        if self._cancel is None:
            self.app.notify("No sweep is running.", severity="warning")
            return
        self._cancel.set()
        self.app.notify("Stopping the sweep; the points measured are kept.")

    def _sweep_requested(self, request: SweepRequest | None) -> None:
        if request is None:
            return
        from tui.engine import run_sweep

        engine: Any = getattr(self.app, "engine", None)
        if engine is None:
            self.app.notify("No engine to run a sweep on.", severity="error")
            return
        cancel = self._cancel = threading.Event()

        def progress(view: SweepView) -> None:
            self.app.call_from_thread(self.show_sweep, view)

        def work() -> None:
            try:
                view = run_sweep(engine, request.grid, request.workload, request.topic,
                                 on_progress=progress, cancel=cancel)
            finally:
                self.app.call_from_thread(self._sweep_ended)
            self.app.call_from_thread(self.show_sweep, view)

        self.run_worker(work, thread=True, exclusive=True, group="tune-sweep")

    def _sweep_ended(self) -> None:
        self._cancel = None

    def show_sweep(self, view: SweepView) -> None:
        """Show a sweep's progress (the sweep worker calls it on the UI thread)."""
        self.sweep = view
        self._redraw()

    def on_explorer_ready(self) -> None:
        self.table.focus()
