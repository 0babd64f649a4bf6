"""Produce screen: producer profiles side by side with live counts and latency percentiles; for the
selected one, records per partition (bar chart), errors by class and a tail of delivery reports.

Columns put the figures first (sent, acked, failures, latency) and the settings last, so a narrow
window hides settings, never counts. An acks=0 producer gets no acknowledgement: its records read
"no ack" and it has no ack latency (its delivery reports only say librdkafka sent them).
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import RenderableType
from rich.style import Style
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import Label, Static

from tui.engine import RunnerView, Snapshot, StopProducer
from tui.ui.fast_table import Column, FastTable, LazyRows
from tui.ui.fmt import UNKNOWN, bar, ms, num, offset, payload, rate
from tui.ui.forms.factory import producer_form
from tui.ui.panes.base import DataKey, Pane
from tui.ui.registry import bindings_for
from tui.ui.widgets.put import put

PRODUCER_COLUMNS = (
    Column("name", cut=False, drop=False), Column("state", 8, cut=False),
    Column("sent", 7, right=True), Column("acked", 7, right=True),
    Column("fail def", right=True), Column("fail indef", right=True),
    Column("pending", right=True), Column("p50", 7, right=True), Column("p99", 7, right=True),
    Column("acks/s", 7, right=True), Column("max", 7, right=True), Column("p90", 7, right=True),
    Column("unknown", right=True), Column("batch", right=True), Column("topic", 8),
    Column("keys", 8), Column("settings", 12, flex=True))
TAIL_COLUMNS = (Column("p", 3, right=True), Column("offset", 7, right=True),
                Column("latency", 8, right=True), Column("outcome", cut=False),
                Column("key", 8, flex=True))
CHART_ROWS = 40
"""Partitions drawn in the bar chart (the count of the others is given)."""


def _ms(seconds: float | None) -> str:
    """A latency the views keep in seconds, shown in milliseconds."""
    return ms(None if seconds is None else seconds * 1000.0)


class ProducePane(Pane):
    BINDINGS = bindings_for("produce")
    PUMP_HZ = 8.0  # counters move with every delivery report

    def __init__(self) -> None:
        super().__init__(id="produce")
        self._rows: tuple[RunnerView, ...] = ()
        self.suggested_topic: str | None = None
        """The topic a new producer writes to when no producer ran yet (the app sets it to the
        topic selected on the Cluster screen)."""

    @staticmethod
    def data_key(snapshot: Snapshot) -> DataKey:
        return (snapshot.producers,)

    def compose(self) -> ComposeResult:
        yield Label("Producers", classes="title", id="producers-title")
        yield FastTable(PRODUCER_COLUMNS, id="producers")
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
                yield FastTable(TAIL_COLUMNS, id="deliveries")

    def on_mount(self) -> None:
        self.table = self.query_one("#producers", FastTable)
        self.tail = self.query_one("#deliveries", FastTable)

    def show(self, snapshot: Snapshot) -> None:
        if not self.changed(snapshot):
            return
        self.last = snapshot
        self._rows = snapshot.producers.runners
        self.table.set_rows(LazyRows(self._rows, self._key, self._cells, name=lambda r: r.name))
        put(self.query_one("#producers-title", Label), 
            f"Producers  {self.keys_hint(('producer.new', 'new'), ('producer.stop', 'stop'))}"
            " · latency = send → ack")
        self._render_detail(self.selected())

    @staticmethod
    def _key(r: RunnerView) -> str:
        return f"{r.name}#{r.incarnation}"

    def _cells(self, r: RunnerView) -> tuple[RenderableType, ...]:
        state_style = {"running": self.colour("success"), "failed": self.colour("error"),
                       "draining": self.colour("warning"), "stopping": self.colour("warning")}
        no_ack = Style(dim=True)
        if r.acknowledged:
            acked: Text = Text(num(r.acked))
            latencies = [_ms(r.latency_p50), _ms(r.latency_p99), rate(r.ack_rate),
                         _ms(r.latency_max), _ms(r.latency_p90)]
        else:
            acked = Text("no ack", style=no_ack)
            latencies = [UNKNOWN] * 5
        return (r.name, Text(r.state, style=state_style.get(r.state, "")), num(r.sent), acked,
                Text(num(r.failed_definite), style=self.colour("error") if r.failed_definite else ""),
                Text(num(r.failed_indefinite),
                     style=self.colour("warning") if r.failed_indefinite else ""),
                num(r.pending), latencies[0], latencies[1], latencies[2], latencies[3],
                latencies[4], num(r.unknown), num(r.avg_batch_records), Text(r.topic),
                Text(r.key_mode), Text(r.summary))

    def selected(self) -> RunnerView | None:
        key = self.table.selected_key()
        for row in self._rows:
            if self._key(row) == key:
                return row
        return self._rows[-1] if self._rows and key is None else None

    def _hint(self, row: RunnerView | None) -> Text:
        if not self._rows:
            return Text(f"No producers yet: press {self.key('producer.new')} to start one "
                        f"(create a topic first on the Cluster screen, "
                        f"{self.key('screen.cluster')}).", style=self.colour("accent"))
        if row is None:
            return Text("")
        if row.message:
            return Text(f"{row.name}: {row.message}", style=self.colour("warning"))
        if not row.acknowledged:
            return Text(f"{row.name}: acks=0 — sent (no ack): no broker confirms a record, so "
                        "there is no offset and no ack latency; the verdict's re-read tells which "
                        "were written.")
        return Text(f"{row.name}: {row.summary}")

    def _chart(self, chart: Static, per_partition: Sequence[tuple[int, int]]) -> Text:
        """One line per partition: its name, a bar and its count, as many as the box shows (one
        Text: cheap to compare and to paint, where a table grid re-measured every cell each
        snapshot)."""
        rows = min(CHART_ROWS, chart.content_region.height or CHART_ROWS)
        shown = per_partition[:rows] if len(per_partition) <= rows else \
            per_partition[:max(0, rows - 1)]
        top = max((c for _, c in per_partition), default=0)
        labels = [f"p{p}" for p, _ in shown]
        counts = [num(c) for _, c in shown]
        label_w = max(map(len, labels), default=0)
        count_w = max(map(len, counts), default=0)
        # the bar takes what the box leaves beside the partition and the count
        width = max(4, min(40, chart.content_region.width - label_w - count_w - 2))
        text = Text(no_wrap=True, overflow="crop")
        style = self.colour("primary")
        for i, ((_, count), label, shown_count) in enumerate(zip(shown, labels, counts, strict=True)):
            if i:
                text.append("\n")
            text.append(label.rjust(label_w) + " ")
            drawn = bar(count, top, width)
            text.append(drawn, style=style)
            text.append(" " * (width - len(drawn) + 1) + shown_count.rjust(count_w))
        if len(shown) < len(per_partition):
            text.append(("\n" if shown else "") + f"… {len(per_partition) - len(shown)} more partitions")
        return text

    def _render_detail(self, row: RunnerView | None) -> None:
        put(self.query_one("#produce-hint", Static), self._hint(row))
        chart = self.query_one("#chart", Static)
        errors = self.query_one("#errors", Static)
        if row is None:
            put(chart, "", sized_by_css=True)
            put(errors, "", sized_by_css=True)
            self.tail.update([])
            return
        counted = f"{num(row.acked)} acked" if row.acknowledged else \
            f"{num(row.sent)} sent, no ack"
        put(self.query_one("#chart-title", Label), f"Per partition — {row.name} ({counted})")
        per_partition = row.partitions
        put(chart, self._chart(chart, per_partition) if per_partition
            else Text("no records reported yet"), sized_by_css=True)
        if row.errors:
            etable = Table.grid(padding=(0, 1))
            etable.add_column()  # error names wrap, never cut (issue 17)
            etable.add_column(justify="right")
            for e in row.errors:
                colour = self.colour("error") if e.outcome == "fail-definite" else \
                    self.colour("warning")
                # the explanation says what the error means and its likely cause (issue 17)
                why = f": {e.explanation}" if e.explanation else ""
                etable.add_row(Text.assemble((payload(e.error, 64), colour), f"\n  {e.outcome}{why}"),
                               num(e.count))
            put(errors, etable, sized_by_css=True)
        else:
            put(errors, Content.styled("none", "$success"), sized_by_css=True)
        rows = []
        for d in reversed(row.recent):
            ok = d.outcome.startswith("ok")
            outcome_style = self.colour("success") if ok else self.colour("error")
            outcome = "sent (no ack)" if ok and not row.acknowledged else (d.error or d.outcome)
            rows.append((f"{d.msg_id}|{d.partition}|{d.offset}", (
                num(d.partition), offset(d.offset),
                _ms(d.latency) if row.acknowledged else UNKNOWN,
                Text(outcome, style=outcome_style), Text(payload(d.key, 40)))))
        self.tail.update(rows)

    def on_fast_table_highlighted(self, event: FastTable.Highlighted) -> None:
        if event.table.id == "producers":
            self._render_detail(self.selected())

    # ---- actions -----------------------------------------------------------------------------

    def action_new_producer(self) -> None:
        # the form starts the producer itself (creating a missing topic first) and stays open on a
        # refusal; its topic: the last producer's, else the one selected on the Cluster screen
        self.open_form(producer_form(self.last, self.suggested_topic), lambda _result: None)

    def action_clone_producer(self) -> None:
        row = self.selected()
        if row is None:
            self.app.notify("Select a producer to clone first.", severity="warning")
            return
        self.open_form(producer_form(self.last, clone=row), lambda _result: None)

    def action_stop_producer(self) -> None:
        row = self.selected()
        if row is None or not row.active:
            self.app.notify("Select a running producer first.", severity="warning")
            return
        self.submit(StopProducer(name=row.name), f"stop producer {row.name}")

    def on_explorer_ready(self) -> None:
        self.query_one("#producers", FastTable).focus()
