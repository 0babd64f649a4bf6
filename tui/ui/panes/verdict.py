"""Verdict screen: counts per anomaly class, the anomalies, and a drill-down to the records and the
explanation of the selected one. ``v`` re-reads the topics and recomputes (off the UI thread)."""

from __future__ import annotations

from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Label, Static

from tui.engine.checker.verdict import KIND_TITLES, KINDS
from tui.engine.snapshot import Snapshot
from tui.ui import model
from tui.ui.bridge import CommandFinished, on_done
from tui.ui.fast_table import FastTable
from tui.ui.fmt import attr, num, payload, short
from tui.ui.panes.base import Pane
from tui.ui.port import request_explain
from tui.ui.registry import bindings_for

DETAIL_ITEMS = 200
"""Offsets / msg_ids listed in the drill-down (the count says how many there are)."""


class VerdictPane(Pane):
    BINDINGS = bindings_for("verdict")

    DEFAULT_CSS = """
    VerdictPane #verdict-banner { height: auto; padding: 0 1; text-style: bold; }
    VerdictPane #verdict-top { height: 17; }
    VerdictPane #counts-box { width: 3fr; }
    VerdictPane #counts { height: 1fr; }
    VerdictPane #summary-box { width: 2fr; }
    VerdictPane #anomalies { height: 1fr; }
    VerdictPane #detail-box { height: 12; border-top: solid $accent; }
    VerdictPane .title { color: $accent; text-style: bold; padding: 0 1; }
    VerdictPane #summary, VerdictPane #detail { padding: 0 1; }
    """

    def __init__(self) -> None:
        super().__init__(id="verdict")
        self.verdict: Any = None
        self._anomalies: list[model.AnomalyRow] = []
        self._kind_filter: str | None = None
        self.computing = False
        self._shown_verdict: Any = None
        self._explain_of: model.AnomalyRow | None = None
        self._explain_index = 0
        self._explained: tuple[str, list[str]] | None = None

    def compose(self) -> ComposeResult:
        yield Static("", id="verdict-banner")
        with Horizontal(id="verdict-top"):
            with Vertical(id="counts-box"):
                yield FastTable(["anomaly", "what it means", "count", "violations"], id="counts")
            with VerticalScroll(id="summary-box"):
                yield Label("Summary", classes="title")
                yield Static("", id="summary")
        yield Label("Anomalies  (enter on a count: only that kind)", classes="title",
                    id="anomalies-title")
        yield FastTable(["kind", "judgement", "topic", "p", "records", "members",
                                "explanation"], id="anomalies")
        with VerticalScroll(id="detail-box"):
            yield Static("", id="detail")

    def on_mount(self) -> None:
        self.counts = self.query_one("#counts", FastTable)
        self.table = self.query_one("#anomalies", FastTable)
        self._redraw()

    # ---- data --------------------------------------------------------------------------------

    def show(self, snapshot: Snapshot) -> None:
        if snapshot.verdict is not None and snapshot.verdict is not self.verdict \
                and not self.computing:
            self.verdict = snapshot.verdict
        if self.verdict is not self._shown_verdict:
            self._redraw()

    def set_verdict(self, verdict: Any) -> None:
        self.computing = False
        self.verdict = verdict
        self._redraw()

    def set_computing(self, on: bool) -> None:
        self.computing = on
        self._render_banner()

    # ---- rendering ---------------------------------------------------------------------------

    def _redraw(self) -> None:
        self._shown_verdict = self.verdict
        self._render_banner()
        verdict = self.verdict
        violations = model.mapping(attr(verdict, "violations"))
        rows = []
        for kind, count in model.verdict_counts(verdict, KINDS):
            bad = int(violations.get(kind, 0))
            style = self.colour("error") if bad else (self.colour("warning") if count else "")
            rows.append((kind, (Text(kind, style=style), Text(KIND_TITLES.get(kind, "")),
                                Text(num(count), style=style),
                                Text(num(bad), style=self.colour("error") if bad else ""))))
        self.counts.update(rows if verdict is not None else [])
        summary = Table.grid(padding=(0, 1))
        summary.add_column(style="bold")
        summary.add_column()
        for label, value in model.summary_pairs(verdict):
            summary.add_row(label, Text(short(value, 200)))
        self.query_one("#summary", Static).update(summary if verdict is not None else "")
        self._anomalies = model.anomalies(verdict) if verdict is not None else []
        shown = [a for a in self._anomalies if self._kind_filter in (None, a.kind)]
        self.table.update([(str(i), self._anomaly_cells(a)) for i, a in enumerate(shown)])
        title = f"Anomalies ({len(shown)})"
        if self._kind_filter:
            title += f" of kind {self._kind_filter}  (enter on it again: all kinds)"
        else:
            title += "  (enter on a count: only that kind)"
        self.query_one("#anomalies-title", Label).update(title)
        self._render_detail()

    def _render_banner(self) -> None:
        banner = self.query_one("#verdict-banner", Static)
        if self.computing:
            banner.update(Text("Computing the verdict: re-reading every partition and checking "
                               "each record…", style=self.colour("accent")))
        elif self.verdict is None:
            banner.update(Text("No verdict yet. Produce (and consume), then press v: the topics are "
                               "re-read and every record is judged."))
        elif attr(self.verdict, "ok", True):
            banner.update(Text("✔ No violations: every anomaly found is allowed by the settings "
                               "used (press v to recompute).", style=self.colour("success")))
        else:
            banner.update(Text("✘ Violations found: a promise of the chosen settings was broken "
                               "(press v to recompute).", style=self.colour("error")))

    def _anomaly_cells(self, a: model.AnomalyRow) -> tuple[RenderableType, ...]:
        style = self.colour("error") if a.judgement == "violation" else (
            self.colour("warning") if a.judgement == "expected" else "")
        return (Text(a.kind, style=style), Text(a.judgement, style=style), Text(a.topic),
                num(a.partition), num(len(a.offsets) or len(a.msg_ids)),
                Text(",".join(a.members)), Text(short(a.explanation, 120)))

    def _selected(self) -> model.AnomalyRow | None:
        key = self.table.selected_key()
        shown = [a for a in self._anomalies if self._kind_filter in (None, a.kind)]
        if key is None or not key.isdigit() or int(key) >= len(shown):
            return None
        return shown[int(key)]

    def _render_detail(self) -> None:
        a = self._selected()
        detail = self.query_one("#detail", Static)
        if a is None:
            detail.update(Text("Select an anomaly to see its records and the explanation."
                               if self._anomalies else ""))
            return
        head = Text.assemble((f"{a.kind}", "bold"), f" ({a.judgement}) in {a.topic}",
                             f" partition {a.partition}" if a.partition is not None else "",
                             f" · members {', '.join(a.members)}" if a.members else "")
        parts: list[RenderableType] = [head, Text(a.explanation)]
        if a.offsets:
            more = f" … (+{len(a.offsets) - DETAIL_ITEMS})" if len(a.offsets) > DETAIL_ITEMS else ""
            parts.append(Text(f"offsets ({len(a.offsets)}): "
                              + ", ".join(map(str, a.offsets[:DETAIL_ITEMS])) + more))
        if a.msg_ids:
            more = f" … (+{len(a.msg_ids) - DETAIL_ITEMS})" if len(a.msg_ids) > DETAIL_ITEMS else ""
            parts.append(Text(f"records ({len(a.msg_ids)}): "
                              + ", ".join(payload(m, 80) for m in a.msg_ids[:DETAIL_ITEMS]) + more))
        if self._explained is not None and self._explained[0] in a.msg_ids:
            msg_id, lines = self._explained
            parts.append(Text(f"timeline of {payload(msg_id, 80)} (e: next record):", style="bold"))
            parts.extend(Text("  " + payload(line, 300)) for line in lines[:40])
        else:
            parts.append(Text("e: show the recorded timeline of a record", style="dim"))
        detail.update(Group(*parts))

    # ---- interaction -------------------------------------------------------------------------

    def on_fast_table_highlighted(self, event: FastTable.Highlighted) -> None:
        if event.table.id == "anomalies":
            self._render_detail()

    def on_fast_table_selected(self, event: FastTable.Selected) -> None:
        if event.table.id == "counts":
            kind = event.key
            self._kind_filter = None if self._kind_filter == kind else kind
            self._redraw()

    def action_compute_verdict(self) -> None:
        self.explorer.compute_verdict()

    def action_explain_record(self) -> None:
        a = self._selected()
        if a is None or not a.msg_ids:
            self.app.notify("Select an anomaly that names records first.", severity="warning")
            return
        if self._explain_of != a:
            self._explain_of, self._explain_index = a, 0
        else:
            self._explain_index = (self._explain_index + 1) % len(a.msg_ids)
        msg_id = a.msg_ids[self._explain_index]
        future = request_explain(self.explorer.engine, msg_id)
        future.add_done_callback(on_done(self, f"explain {msg_id}"))

    def on_command_finished(self, message: CommandFinished) -> None:
        if not message.label.startswith("explain "):
            return
        message.stop()
        if message.error is not None:
            self.app.notify(message.error, title="explain failed", severity="error")
            return
        lines = [str(line) for line in (message.result or [])] or ["(nothing recorded)"]
        self._explained = (message.label.removeprefix("explain "), lines)
        self._render_detail()

    def on_explorer_ready(self) -> None:
        self.query_one("#counts", FastTable).focus()
