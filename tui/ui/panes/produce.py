"""Produce screen: producer profiles side by side with live counts and latency percentiles; for the
selected one, records per partition (bar chart), errors by class and a tail of delivery reports."""

from __future__ import annotations

from rich.console import RenderableType
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import Label, Static

from tui.engine import ProducerProfile, RunnerView, Snapshot, StartProducer, StopProducer, Workload
from tui.ui.fast_table import FastTable
from tui.ui.fmt import bar, ms, num, payload, rate
from tui.ui.forms.producer import ProducerForm
from tui.ui.panes.base import Pane
from tui.ui.registry import bindings_for


def _ms(seconds: float | None) -> str:
    """A latency the views keep in seconds, shown in milliseconds."""
    return ms(None if seconds is None else seconds * 1000.0)


class ProducePane(Pane):
    BINDINGS = bindings_for("produce")

    def __init__(self) -> None:
        super().__init__(id="produce")
        self._rows: tuple[RunnerView, ...] = ()
        self.suggested_topic: str | None = None
        """The topic a new producer writes to when no producer ran yet (the app sets it to the
        topic selected on the Cluster screen)."""

    def compose(self) -> ComposeResult:
        yield Label("Producers  (n: new · x: stop · one row per profile run; latencies in ms)",
                    classes="title")
        yield FastTable(["name", "state", "settings", "topic", "keys", "sent", "acked",
                         "fail def", "fail indef", "pending", "unknown", "acks/s", "p50",
                         "p90", "p99", "max", "batch"], id="producers")
        yield Static("", id="produce-hint")
        with Horizontal(id="produce-bottom"):
            with Vertical(id="chart-box"):
                yield Label("Records per partition", classes="title", id="chart-title")
                yield Static("", id="chart")
            with Vertical(id="errors-box"):
                yield Label("Errors by class", classes="title")
                yield Static("", id="errors")
            with Vertical(id="tail-box"):
                yield Label("Latest delivery reports", classes="title")
                yield FastTable(["partition", "offset", "latency", "outcome", "key"], id="deliveries")

    def on_mount(self) -> None:
        self.table = self.query_one("#producers", FastTable)
        self.tail = self.query_one("#deliveries", FastTable)

    def show(self, snapshot: Snapshot) -> None:
        self.last = snapshot
        self._rows = snapshot.producers.runners
        self.table.update([(self._key(r), self._cells(r)) for r in self._rows])
        selected = self.selected()
        hint = ""
        if not self._rows:
            hint = "No producers yet: press n to start one (create a topic first on the Cluster screen)."
        elif selected is not None and selected.message:
            hint = f"{selected.name}: {selected.message}"
        self.query_one("#produce-hint", Static).update(Text(hint))
        self._render_detail(selected)

    @staticmethod
    def _key(r: RunnerView) -> str:
        return f"{r.name}#{r.incarnation}"

    def _cells(self, r: RunnerView) -> tuple[RenderableType, ...]:
        state_style = {"running": self.colour("success"), "failed": self.colour("error"),
                       "draining": self.colour("warning"), "stopping": self.colour("warning")}
        return (r.name, Text(r.state, style=state_style.get(r.state, "")), Text(r.summary),
                Text(r.topic), Text(r.key_mode), num(r.sent), num(r.acked),
                Text(num(r.failed_definite), style=self.colour("error") if r.failed_definite else ""),
                Text(num(r.failed_indefinite),
                     style=self.colour("warning") if r.failed_indefinite else ""),
                num(r.pending), num(r.unknown), rate(r.ack_rate), _ms(r.latency_p50),
                _ms(r.latency_p90), _ms(r.latency_p99), _ms(r.latency_max),
                num(r.avg_batch_records))

    def selected(self) -> RunnerView | None:
        key = self.table.selected_key()
        for row in self._rows:
            if self._key(row) == key:
                return row
        return self._rows[-1] if self._rows and key is None else None

    def _render_detail(self, row: RunnerView | None) -> None:
        chart = self.query_one("#chart", Static)
        errors = self.query_one("#errors", Static)
        if row is None:
            chart.update("")
            errors.update("")
            self.tail.update([])
            return
        self.query_one("#chart-title", Label).update(
            f"Records per partition — {row.name} ({num(row.acked)} acked)")
        per_partition = row.partitions
        top = max((c for _, c in per_partition), default=0)
        grid = Table.grid(padding=(0, 1))
        grid.add_column(justify="right")
        grid.add_column()
        grid.add_column(justify="right")
        for partition, count in per_partition[:40]:
            grid.add_row(f"p{partition}", Text(bar(count, top, 30), style=self.colour("primary")),
                         num(count))
        if len(per_partition) > 40:
            grid.add_row("…", f"{len(per_partition) - 40} more partitions", "")
        chart.update(grid if per_partition else Text("no acknowledged records yet"))
        if row.errors:
            etable = Table.grid(padding=(0, 1))
            etable.add_column()
            etable.add_column()
            etable.add_column(justify="right")
            for e in row.errors:
                colour = self.colour("error") if e.outcome == "fail-definite" else self.colour("warning")
                etable.add_row(Text(payload(e.error, 48), style=colour), Text(e.outcome),
                               num(e.count))
            errors.update(etable)
        else:
            errors.update(Content.styled("none", "$success"))
        rows = []
        for d in reversed(row.recent):
            outcome_style = self.colour("success") if d.outcome.startswith("ok") else \
                self.colour("error")
            rows.append((f"{d.msg_id}|{d.partition}|{d.offset}", (
                num(d.partition), num(d.offset), _ms(d.latency),
                Text(d.error or d.outcome, style=outcome_style), Text(payload(d.key, 40)))))
        self.tail.update(rows)

    def on_fast_table_highlighted(self, event: FastTable.Highlighted) -> None:
        if event.table.id == "producers":
            self._render_detail(self.selected())

    # ---- actions -----------------------------------------------------------------------------

    def action_new_producer(self) -> None:
        # default topic: the one the last producer used, else the one selected on the Cluster screen
        topic = self._rows[-1].topic if self._rows else (self.suggested_topic or "demo")

        def then(result: tuple[ProducerProfile, Workload] | None) -> None:
            if result is not None:
                profile, workload = result
                self.submit(StartProducer(profile=profile, workload=workload),
                            f"start producer {profile.name}")

        self.open_form(ProducerForm(name=f"p{len(self._rows) + 1}", topic=topic), then)

    def action_stop_producer(self) -> None:
        row = self.selected()
        if row is None or not row.active:
            self.app.notify("Select a running producer first.", severity="warning")
            return
        self.submit(StopProducer(name=row.name), f"stop producer {row.name}")

    def on_explorer_ready(self) -> None:
        self.query_one("#producers", FastTable).focus()
