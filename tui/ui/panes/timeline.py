"""Timeline screen: every engine event (rebalances, commits, crashes, ISR and leader changes,
errors), newest at the bottom, filterable by text (kind, source or sentence) and minimum severity."""

from __future__ import annotations

from collections import deque

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import DataTable, Input, Label

from tui.engine.events import SEVERITIES, Event
from tui.engine.snapshot import Snapshot
from tui.ui.fmt import clock, short
from tui.ui.panes.base import Pane
from tui.ui.registry import bindings_for

KEEP = 20_000
"""Events kept in memory for re-filtering."""
SHOWN = 2_000
"""Rows kept in the table (oldest dropped)."""
LEVELS = ("info", "notice", "warning", "error")


class TimelinePane(Pane):
    BINDINGS = bindings_for("timeline")

    DEFAULT_CSS = """
    TimelinePane #timeline-bar { height: 3; }
    TimelinePane #timeline-filter { width: 1fr; }
    TimelinePane #timeline-info { width: auto; padding: 1 1; color: $text-muted; }
    TimelinePane DataTable { height: 1fr; }
    """

    def __init__(self) -> None:
        super().__init__(id="timeline")
        self.events: deque[Event] = deque(maxlen=KEEP)
        self.min_level = "info"
        self.paused = False
        self.dropped = 0
        self._rendered_seq = 0
        self._shown = 0

    def compose(self) -> ComposeResult:
        with Horizontal(id="timeline-bar"):
            yield Input(placeholder="filter: kind, source or text (e.g. member.  broker:2  isr)",
                        id="timeline-filter")
            yield Label("", id="timeline-info")
        yield DataTable(id="events", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        table = self.query_one("#events", DataTable)
        table.add_columns("time", "severity", "kind", "source", "what happened")
        self._update_info()

    # ---- data --------------------------------------------------------------------------------

    def add_events(self, events: list[Event], dropped: int) -> None:
        """Called for every batch (visible or not); rendering happens in :meth:`show`."""
        self.events.extend(events)
        self.dropped = dropped
        if self.display and self.is_on_screen:
            self._append_new()

    def show(self, snapshot: Snapshot) -> None:
        self._append_new()

    def matches(self, event: Event) -> bool:
        if event.severity in SEVERITIES and SEVERITIES.index(event.severity) < SEVERITIES.index(
                self.min_level):
            return False
        needle = self.query_one("#timeline-filter", Input).value.strip().lower()
        if not needle:
            return True
        return any(needle in field.lower() for field in (event.kind, event.source, event.text))

    def _row(self, event: Event) -> tuple[Text, ...]:
        style = {"error": self.colour("error"), "warning": self.colour("warning"),
                 "notice": self.colour("accent")}.get(event.severity)
        return (Text(clock(event.ts)), Text(event.severity, style=style or ""), Text(event.kind),
                Text(event.source), Text(short(event.text, 300)))

    def _append_new(self) -> None:
        if self.paused:
            return
        table = self.query_one("#events", DataTable)
        fresh = [e for e in self.events if e.seq > self._rendered_seq]
        if not fresh:
            self._update_info()
            return
        at_bottom = table.scroll_y >= table.max_scroll_y - 1
        for event in fresh:
            if self.matches(event):
                table.add_row(*self._row(event), key=str(event.seq))
                self._shown += 1
        self._rendered_seq = fresh[-1].seq
        while table.row_count > SHOWN:
            first = table.ordered_rows[0].key
            table.remove_row(first)
        if at_bottom:
            table.scroll_end(animate=False)
        self._update_info()

    def rebuild(self) -> None:
        table = self.query_one("#events", DataTable)
        table.clear()
        self._shown = 0
        matching = [e for e in self.events if self.matches(e)][-SHOWN:]
        for event in matching:
            table.add_row(*self._row(event), key=str(event.seq))
        self._shown = len(matching)
        self._rendered_seq = self.events[-1].seq if self.events else 0
        table.scroll_end(animate=False)
        self._update_info()

    def _update_info(self) -> None:
        info = f"≥{self.min_level} · {len(self.events)} events"
        if self.paused:
            info += " · PAUSED"
        if self.dropped:
            info += f" · {self.dropped} dropped (UI fell behind)"
        self.query_one("#timeline-info", Label).update(info)

    # ---- interaction -------------------------------------------------------------------------

    def on_input_changed(self, event: Input.Changed) -> None:
        self.rebuild()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.query_one("#events", DataTable).focus()

    def action_focus_filter(self) -> None:
        self.query_one("#timeline-filter", Input).focus()

    def action_cycle_severity(self) -> None:
        index = LEVELS.index(self.min_level) if self.min_level in LEVELS else 0
        self.min_level = LEVELS[(index + 1) % len(LEVELS)]
        self.rebuild()

    def action_toggle_pause(self) -> None:
        self.paused = not self.paused
        if not self.paused:
            self._append_new()
        self._update_info()

    def on_explorer_ready(self) -> None:
        self.query_one("#events", DataTable).focus()
