"""Timeline screen: every engine event (rebalances, commits, crashes, ISR and leader changes,
errors), newest at the bottom, filterable by text (kind, source or sentence) and minimum severity."""

from __future__ import annotations

from collections import deque

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Input, Label

from tui.engine import SEVERITIES, Event, Snapshot
from tui.ui.browse.keys import BrowseWanted
from tui.ui.fast_table import Column, FastTable
from tui.ui.fmt import clock, payload
from tui.ui.panes.base import DataKey, Pane
from tui.ui.registry import bindings_for
from tui.ui.widgets.put import put

KEEP = 20_000
"""Events kept in memory for re-filtering."""
SHOWN = 2_000
"""Rows kept in the table (oldest dropped)."""
LEVELS = ("info", "notice", "warning", "error")
EVENT_COLUMNS = (Column("time", 8, cut=False, drop=False), Column("severity", 7, cut=False),
                 Column("what happened", 44, flex=True, drop=False),
                 Column("kind", 12, flex=True), Column("source", 10, flex=True))
"""What happened comes before its kind and source: at 80 columns the sentence is what counts."""


class TimelinePane(Pane):
    BINDINGS = bindings_for("timeline")
    PUMP_HZ = 4.0

    @staticmethod
    def data_key(snapshot: Snapshot) -> DataKey:
        return ()  # events arrive on their own (add_events); snapshots change nothing here

    def __init__(self) -> None:
        super().__init__(id="timeline")
        self.events: deque[Event] = deque(maxlen=KEEP)
        self.min_level = "info"
        self.paused = False
        self.dropped = 0
        self._rendered_seq = 0
        self._restyle = False
        """The theme changed since the rows were built (their colours are stale)."""

    def compose(self) -> ComposeResult:
        with Horizontal(id="timeline-bar"):
            yield Input(placeholder="filter: kind, source or text (e.g. member.  broker:2  isr)",
                        id="timeline-filter")
            yield Label("", id="timeline-info")
        # its own filter bar matches kind, source and text (the table's generic `/` stays off)
        yield FastTable(EVENT_COLUMNS, id="events", filterable=False)

    def on_mount(self) -> None:
        self._rows: deque[tuple[str, tuple[Text, ...]]] = deque(maxlen=SHOWN)
        self._update_info()

    # ---- data --------------------------------------------------------------------------------

    def add_events(self, events: list[Event], dropped: int) -> None:
        """Called for every batch (visible or not); rendering happens in :meth:`show`."""
        self.events.extend(events)
        self.dropped = dropped
        if self.display and self.is_on_screen:
            self._append_new()

    def show(self, snapshot: Snapshot) -> None:
        self.last = snapshot
        if self._restyle:
            self.rebuild()
        else:
            self._append_new()

    def invalidate(self) -> None:
        self._restyle = True

    def matches(self, event: Event) -> bool:
        if event.severity in SEVERITIES and SEVERITIES.index(event.severity) < SEVERITIES.index(
                self.min_level):
            return False
        needle = self.query_one("#timeline-filter", Input).value.strip().lower()
        if not needle:
            return True
        return any(needle in field.lower() for field in (event.kind, event.source, event.text))

    def _row(self, event: Event) -> tuple[str, tuple[Text, ...]]:
        style = {"error": self.colour("error"), "warning": self.colour("warning"),
                 "notice": self.colour("accent")}.get(event.severity)
        return (str(event.seq), (Text(clock(event.ts)), Text(event.severity, style=style or ""),
                                 Text(payload(event.text, 300)), Text(event.kind),
                                 Text(event.source)))

    def _publish(self) -> None:
        table = self.query_one("#events", FastTable)
        follow = table.cursor >= table.row_count - 1
        table.update(list(self._rows))
        if follow and table.row_count:
            table.move_cursor(table.row_count - 1)
        self._update_info()

    def _append_new(self) -> None:
        if self.paused:
            return
        fresh = [e for e in self.events if e.seq > self._rendered_seq] if self.events and \
            self.events[-1].seq > self._rendered_seq else []
        if not fresh:
            self._update_info()
            return
        self._rows.extend(self._row(e) for e in fresh if self.matches(e))
        self._rendered_seq = fresh[-1].seq
        self._publish()

    def rebuild(self) -> None:
        self._restyle = False
        self._rows.clear()
        self._rows.extend(self._row(e) for e in self.events if self.matches(e))
        self._rendered_seq = self.events[-1].seq if self.events else 0
        self._publish()

    def _update_info(self) -> None:
        info = f"≥{self.min_level} · {len(self.events)} events"
        if self.paused:
            info += " · PAUSED"
        if self.dropped:
            info += f" · {self.dropped} dropped (UI fell behind)"
        put(self.query_one("#timeline-info", Label), info)

    # ---- interaction -------------------------------------------------------------------------

    def on_input_changed(self, event: Input.Changed) -> None:
        self.rebuild()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.query_one("#events", FastTable).focus()

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

    def selected_event(self) -> Event | None:
        key = self.query_one("#events", FastTable).selected_key()
        if key is None:
            return None
        seq = int(key)
        return next((e for e in reversed(self.events) if e.seq == seq), None)

    def action_browse_event(self) -> None:
        event = self.selected_event()
        topic = event.data.get("topic") if event is not None else None
        if event is None or not isinstance(topic, str) or not topic:
            self.app.notify("The selected event names no topic to browse.", severity="warning",
                            timeout=3)
            return
        partition, offset = event.data.get("partition"), event.data.get("offset")
        self.post_message(BrowseWanted(topic, partition if isinstance(partition, int) else None,
                                       offset if isinstance(partition, int) and isinstance(offset, int)
                                       else None))

    def on_explorer_ready(self) -> None:
        self.query_one("#events", FastTable).focus()
