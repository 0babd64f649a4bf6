"""Verdict screen: the verdict's headline, counts per anomaly class, the anomalies, and a drill-down
to the records and the explanation of the selected one. ``v`` asks the engine to judge (``Judge``:
it re-reads the topics and runs the checker on its own thread); ``e`` asks it to explain a record
(``Explain``) and opens the answer in a modal.

The headline is the verdict's own (``Verdict.headline``): never a plain "no violations" while records
were not consumed. Findings the run did not finish (``unconsumed``, a liveness finding) come first,
then violations, then what the settings allow.
"""

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
from tui.ui.browse.keys import BrowseWanted
from tui.ui.fast_table import Column, FastTable, LazyRows
from tui.ui.fmt import num, payload, short
from tui.ui.panes.base import DataKey, Pane
from tui.ui.panes.explain import NEXT, ExplainScreen
from tui.ui.registry import bindings_for
from tui.ui.widgets.lane import RecordLane

DETAIL_ITEMS = 200
"""Offsets / msg_ids listed in the drill-down (the count says how many there are)."""

BANNER_STATES = ("-computing", "-ok", "-pending", "-violations")
"""CSS classes of the banner (panes.tcss colours them from the theme)."""

LIVENESS = "liveness"
UNCONSUMED = "unconsumed"

COUNT_COLUMNS = (Column("anomaly", cut=False, drop=False), Column("count", 6, right=True),
                 Column("violations", right=True), Column("what it means", 12, flex=True))
ANOMALY_COLUMNS = (Column("kind", cut=False, drop=False), Column("records", 7, right=True),
                   Column("judgement", cut=False), Column("topic", 8), Column("p", 3, right=True),
                   Column("members", 6), Column("explanation", 16, flex=True))


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


def _order(a: Anomaly) -> int:
    """Unfinished business first (liveness), then broken promises, then allowed anomalies."""
    if a.judgement == LIVENESS or a.kind == UNCONSUMED:
        return 0
    return 1 if a.judgement == "violation" else 2


def banner(verdict: Verdict | None, computing: bool) -> tuple[str, str]:
    """(state class, text) of the verdict banner."""
    if computing:
        return "-computing", ("Computing the verdict: re-reading every partition and checking "
                              "each record…")
    if verdict is None:
        return "", ("No verdict yet. Produce (and consume), then press v: the topics are re-read "
                    "and every record is judged.")
    headline = verdict.headline
    if not verdict.ok:
        return "-violations", f"✘ {headline} — a promise of the chosen settings was broken."
    if headline != "ok":
        return "-pending", f"◐ {headline}"
    return "-ok", "✔ ok: every record accounted for, every anomaly allowed by the settings used."


class VerdictPane(Pane):
    BINDINGS = bindings_for("verdict")
    PUMP_HZ = 2.0

    def __init__(self) -> None:
        super().__init__(id="verdict")
        self.verdict: Verdict | None = None
        self._kind_filter: str | None = None
        self.computing = False
        self._shown_verdict: Verdict | None = None
        self._redrawn = False
        self._explain_of: Anomaly | None = None
        self._explain_index = 0
        self._sorted: tuple[Anomaly, ...] = ()

    @staticmethod
    def data_key(snapshot: Snapshot) -> DataKey:
        return (snapshot.verdict, snapshot.lane)

    def compose(self) -> ComposeResult:
        yield Static("", id="verdict-banner")
        yield Static("", id="verdict-facts")
        with Horizontal(id="verdict-top"):
            with Vertical(id="counts-box"):
                yield FastTable(COUNT_COLUMNS, id="counts")
            with VerticalScroll(id="summary-box"):
                yield Label("Summary", classes="title")
                yield Static("", id="summary")
        yield Label("Anomalies", classes="title", id="anomalies-title")
        yield FastTable(ANOMALY_COLUMNS, id="anomalies")
        yield RecordLane(final=True, id="verdict-lane")
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
        self._render_lane()

    def _render_lane(self) -> None:
        """The final record lane of the selected finding's topic (else the first one judged)."""
        snapshot = self.last
        if snapshot is None:
            return
        a = self._selected()
        topics = [a.topic] if a is not None else [x.topic for x in self._sorted]
        topic = topics[0] if topics else (snapshot.topics_in_play[0] if snapshot.topics_in_play
                                          else None)
        group = a.group if a is not None else None
        self.query_one(RecordLane).show(snapshot.lane, topic if self.verdict is not None else None,
                                        group)

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
        return self._sorted

    def _shown(self) -> list[Anomaly]:
        return [a for a in self._sorted if self._kind_filter in (None, a.kind)]

    def _redraw(self) -> None:
        self._shown_verdict = self.verdict
        self._redrawn = True
        verdict = self.verdict
        self._sorted = tuple(sorted(verdict.anomalies, key=_order)) if verdict is not None else ()
        self._render_banner()
        rows = []
        if verdict is not None:
            # kinds that occurred first (in the vocabulary's order: unconsumed leads), zeros after
            kinds = sorted(verdict.counts, key=lambda k: (verdict.counts[k] == 0,
                                                          k != UNCONSUMED))
            for kind in kinds:
                count = verdict.counts[kind]
                bad = verdict.violations.get(kind, 0)
                style = self.colour("error") if bad else (self.colour("warning") if count else "")
                rows.append((kind, (Text(kind, style=style), Text(num(count), style=style),
                                    Text(num(bad), style=self.colour("error") if bad else ""),
                                    Text(KIND_TITLES.get(kind, "")))))
        self.counts.update(rows)
        summary = Table.grid(padding=(0, 1))
        summary.add_column(style="bold")
        summary.add_column()
        if verdict is not None:
            for label, value in summary_pairs(verdict.summary):
                summary.add_row(label, Text(short(value, 200)))
        self.query_one("#summary", Static).update(summary if verdict is not None else "")
        self.query_one("#verdict-facts", Static).update(self._facts(verdict))
        shown = self._shown()
        self.table.set_rows(LazyRows(tuple(range(len(shown))), str,
                                     lambda i: self._anomaly_cells(shown[i]),
                                     name=lambda i: f"{shown[i].kind} {shown[i].topic}"))
        title = f"Anomalies ({len(shown)})"
        if self._kind_filter:
            title += f" of kind {self._kind_filter}  (enter on it again: all kinds)"
        else:
            title += "  enter on a count: only that kind · " \
                     f"{self.key('verdict.explain')}: a record's timeline"
        self.query_one("#anomalies-title", Label).update(title)
        self._render_detail()

    @staticmethod
    def _facts(verdict: Verdict | None) -> Text:
        if verdict is None:
            return Text("")
        s = verdict.summary
        parts = [f"produced {num(s.produced)}", f"acked {num(s.acked)}",
                 f"re-read {num(s.audited)}", f"delivered {num(s.delivered)}",
                 f"processed {num(s.processed)}"]
        if verdict.unconsumed:
            parts.append(f"not consumed {num(verdict.unconsumed)}")
        return Text(" · ".join(parts))

    def _render_banner(self) -> None:
        state, text = banner(self.verdict, self.computing)
        widget = self.query_one("#verdict-banner", Static)
        for name in BANNER_STATES:
            widget.set_class(name == state, name)
        widget.update(Text(text))

    def _anomaly_cells(self, a: Anomaly) -> tuple[RenderableType, ...]:
        style = self.colour("error") if a.judgement == "violation" else (
            self.colour("warning") if a.judgement in ("expected", LIVENESS) else "")
        return (Text(a.kind, style=style), num(a.count), Text(a.judgement, style=style),
                Text(a.topic), num(a.partition), Text(",".join(a.members) or (a.group or "")),
                Text(short(a.explanation, 300)))

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
                             f" · group {a.group}" if a.group else "",
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
            parts.append(Text(f"{self.key('verdict.explain')}: the recorded timeline of a record",
                              style="dim"))
        detail.update(Group(*parts))

    # ---- interaction -------------------------------------------------------------------------

    def on_fast_table_highlighted(self, event: FastTable.Highlighted) -> None:
        if event.table.id == "anomalies":
            self._render_detail()
            self._render_lane()

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

    def action_browse_record(self) -> None:
        a = self._selected()
        if a is None:
            self.app.notify("Select a finding first.", severity="warning")
            return
        self.post_message(BrowseWanted(a.topic, a.partition, a.offsets[0] if a.offsets else None))

    def action_explain_record(self) -> None:
        a = self._selected()
        if a is None or not a.msg_ids:
            self.app.notify("Select an anomaly that names records first.", severity="warning")
            return
        if self._explain_of != a:
            self._explain_of, self._explain_index = a, 0
        self._explain(a)

    def _explain(self, a: Anomaly) -> None:
        index = self._explain_index % len(a.msg_ids)
        msg_id = a.msg_ids[index]

        def closed(result: str | None) -> None:
            if result == NEXT and self._explain_of is a:
                self._explain_index = index + 1
                self._explain(a)

        def explained(lines: Any, error: str | None) -> None:
            if error is None:
                text = tuple(str(line) for line in lines or ())
                self.open_form(ExplainScreen(msg_id, text, index, len(a.msg_ids), a.kind), closed)

        self.submit(Explain(msg_id), "explain", done=explained, announce=False)

    def on_explorer_ready(self) -> None:
        self.query_one("#counts", FastTable).focus()
