"""Verdict screen: counts per anomaly class, the anomalies, and a drill-down to the records and the
explanation of the selected one. ``v`` asks the engine to judge (``Judge``: it re-reads the topics
and runs the checker on its own thread); ``e`` asks it to explain a record (``Explain``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Label, Static

from tui.engine import KIND_TITLES, Anomaly, Explain, Judge, Snapshot, Verdict, VerdictSummary
from tui.ui.fast_table import FastTable
from tui.ui.fmt import num, payload, short
from tui.ui.panes.base import Pane
from tui.ui.registry import bindings_for

DETAIL_ITEMS = 200
"""Offsets / msg_ids listed in the drill-down (the count says how many there are)."""

BANNER_STATES = ("-computing", "-ok", "-violations")
"""CSS classes of the banner (panes.tcss colours them from the theme)."""


def summary_pairs(summary: VerdictSummary) -> list[tuple[str, str]]:
    """The verdict summary as (label, value) pairs, in the summary's own field order."""
    return [(f.name.replace("_", " "), _flat(getattr(summary, f.name))) for f in fields(summary)]


def _flat(value: object) -> str:
    """Nested mappings and sequences as short readable text (no Python reprs)."""
    if isinstance(value, Mapping):
        return "; ".join(f"{k}: {_flat(v)}" if isinstance(v, Mapping) else f"{k}={_flat(v)}"
                         for k, v in value.items()) or "-"
    if isinstance(value, (tuple, list, set, frozenset)):
        return ", ".join(_flat(v) for v in value) or "-"
    return "-" if value is None else str(value)


class VerdictPane(Pane):
    BINDINGS = bindings_for("verdict")

    def __init__(self) -> None:
        super().__init__(id="verdict")
        self.verdict: Verdict | None = None
        self._kind_filter: str | None = None
        self.computing = False
        self._shown_verdict: Verdict | None = None
        self._redrawn = False
        self._explain_of: Anomaly | None = None
        self._explain_index = 0
        self._explained: tuple[str, tuple[str, ...]] | None = None

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
        self.last = snapshot
        if snapshot.verdict is not None and snapshot.verdict is not self.verdict \
                and not self.computing:
            self.verdict = snapshot.verdict
        if self.verdict is not self._shown_verdict or not self._redrawn:
            self._redraw()

    def invalidate(self) -> None:
        self._redrawn = False

    def set_verdict(self, verdict: Verdict) -> None:
        self.computing = False
        self.verdict = verdict
        self._redraw()

    def set_computing(self, on: bool) -> None:
        self.computing = on
        self._render_banner()

    # ---- rendering ---------------------------------------------------------------------------

    def _anomalies(self) -> tuple[Anomaly, ...]:
        return self.verdict.anomalies if self.verdict is not None else ()

    def _shown(self) -> list[Anomaly]:
        return [a for a in self._anomalies() if self._kind_filter in (None, a.kind)]

    def _redraw(self) -> None:
        self._shown_verdict = self.verdict
        self._redrawn = True
        self._render_banner()
        verdict = self.verdict
        rows = []
        if verdict is not None:
            for kind, count in verdict.counts.items():
                bad = verdict.violations.get(kind, 0)
                style = self.colour("error") if bad else (self.colour("warning") if count else "")
                rows.append((kind, (Text(kind, style=style), Text(KIND_TITLES.get(kind, "")),
                                    Text(num(count), style=style),
                                    Text(num(bad), style=self.colour("error") if bad else ""))))
        self.counts.update(rows)
        summary = Table.grid(padding=(0, 1))
        summary.add_column(style="bold")
        summary.add_column()
        if verdict is not None:
            for label, value in summary_pairs(verdict.summary):
                summary.add_row(label, Text(short(value, 200)))
        self.query_one("#summary", Static).update(summary if verdict is not None else "")
        shown = self._shown()
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
            state = "-computing"
            text = ("Computing the verdict: re-reading every partition and checking each "
                    "record…")
        elif self.verdict is None:
            state = ""
            text = ("No verdict yet. Produce (and consume), then press v: the topics are re-read "
                    "and every record is judged.")
        elif self.verdict.ok:
            state = "-ok"
            text = ("✔ No violations: every anomaly found is allowed by the settings used (press v "
                    "to recompute).")
        else:
            state = "-violations"
            text = ("✘ Violations found: a promise of the chosen settings was broken (press v to "
                    "recompute).")
        for name in BANNER_STATES:
            banner.set_class(name == state, name)
        banner.update(Text(text))

    def _anomaly_cells(self, a: Anomaly) -> tuple[RenderableType, ...]:
        style = self.colour("error") if a.judgement == "violation" else (
            self.colour("warning") if a.judgement == "expected" else "")
        return (Text(a.kind, style=style), Text(a.judgement, style=style), Text(a.topic),
                num(a.partition), num(len(a.offsets) or len(a.msg_ids)),
                Text(",".join(a.members)), Text(short(a.explanation, 120)))

    def _selected(self) -> Anomaly | None:
        key = self.table.selected_key()
        shown = self._shown()
        if key is None or not key.isdigit() or int(key) >= len(shown):
            return None
        return shown[int(key)]

    def _render_detail(self) -> None:
        a = self._selected()
        detail = self.query_one("#detail", Static)
        if a is None:
            detail.update(Text("Select an anomaly to see its records and the explanation."
                               if self._anomalies() else ""))
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
        if self.computing:
            self.app.notify("The verdict is already being computed.", severity="warning")
            return
        self.set_computing(True)
        topics = self.last.topics_in_play if self.last is not None else ()
        self.submit(Judge(topics=topics), "verdict", done=self._judged)

    def _judged(self, verdict: Any, error: str | None) -> None:
        if error is None and isinstance(verdict, Verdict):
            self.set_verdict(verdict)
        else:
            self.set_computing(False)

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

        def explained(lines: Any, error: str | None) -> None:
            if error is None:
                self._explained = (msg_id, tuple(str(line) for line in lines or ())
                                   or ("(nothing recorded)",))
                self._render_detail()

        self.submit(Explain(msg_id), "explain", done=explained, announce=False)

    def on_explorer_ready(self) -> None:
        self.query_one("#counts", FastTable).focus()
