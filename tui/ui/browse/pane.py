"""Browse screen: records of any topic, read by the engine's record browser.

The browser never joins a group and never commits (the status line says so). Opening one submits
``BrowseOpen`` through the app like any command; its result is a handle whose ``view()`` is the
browser's latest frozen view, read here four times a second (a reference read, never a wait). The
table shows the latest records that passed the engine's filters, the panel under it the selected
record decoded (kx record, pretty JSON, text or hex). Every untrusted byte is escaped
(:mod:`tui.ui.browse.render`).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Label, Static

from tui.engine import (
    BrowseClose,
    BrowseHandle,
    BrowseOpen,
    BrowsePause,
    BrowseRecordView,
    BrowseSeek,
    BrowseView,
    RecordFilter,
    Snapshot,
)
from tui.ui.browse.forms import BrowseForm, FilterForm, SeekForm
from tui.ui.browse.keys import browse_bindings, key_of
from tui.ui.browse.render import COLUMNS, cells, detail, row_key, status
from tui.ui.fast_table import FastTable
from tui.ui.panes.base import Pane

TICK_S = 0.25
BROWSE_CSS = Path(__file__).with_name("browse.tcss")
"""The screen's layout: the app lists it in its CSS_PATH (a widget cannot bring its own file)."""


class BrowsePane(Pane):
    BINDINGS = browse_bindings()
    PUMP_HZ = 1.0  # snapshots only suggest topics here; the records come from the browser's handle

    def __init__(self) -> None:
        super().__init__(id="browse")
        self.handle: BrowseHandle | None = None
        self.view: BrowseView | None = None
        self.spec: BrowseOpen | None = None
        """What the open reader was asked for (seek and filter change its start and filters)."""
        self._records: dict[str, BrowseRecordView] = {}
        self._cells: dict[str, tuple[Text, ...]] = {}
        """Rendered cells by row key: a seek numbers records from 1 again, so the number alone
        would pair a new record with an old record's cells."""
        self._opening = 0

    def compose(self) -> ComposeResult:
        yield Label("", id="browse-status", classes="title")
        yield FastTable(list(COLUMNS), id="browse-records")
        yield Label("Record", classes="title", id="browse-detail-title")
        with VerticalScroll(id="browse-detail-box"):
            yield Static("", id="browse-detail", markup=False)

    def on_mount(self) -> None:
        self.table = self.query_one("#browse-records", FastTable)
        self.set_interval(TICK_S, self._tick)
        self._hint()

    # ---- rendering ---------------------------------------------------------------------------

    def show(self, snapshot: Snapshot) -> None:
        self.last = snapshot
        self._tick()

    def _tick(self) -> None:
        if self.handle is None:
            return
        view = self.handle.view()
        if view is not self.view:
            self.render_view(view)

    def render_view(self, view: BrowseView) -> None:
        """Show ``view`` (the table keeps its cursor; at the last row it follows new records)."""
        self.view = view
        self.query_one("#browse-status", Label).update(status(view))
        at_end = self.table.row_count == 0 or self.table.cursor >= self.table.row_count - 1
        rows = []
        self._records = {}
        kept: dict[str, tuple[Text, ...]] = {}
        for r in view.records:
            key = row_key(r)
            self._records[key] = r
            kept[key] = self._cells.get(key) or cells(r)
            rows.append((key, kept[key]))
        self._cells = kept
        self.table.update(rows)
        if at_end and rows:
            self.table.move_cursor(len(rows) - 1)
        self._show_detail(self.selected())

    def selected(self) -> BrowseRecordView | None:
        key = self.table.selected_key()
        return self._records.get(key) if key is not None else None

    def _show_detail(self, record: BrowseRecordView | None) -> None:
        panel = self.query_one("#browse-detail", Static)
        if record is None:
            panel.update(Text("No record selected." if self.view is not None else ""))
            return
        panel.update(detail(record))

    def on_fast_table_highlighted(self, event: FastTable.Highlighted) -> None:
        if event.table.id == "browse-records":
            self._show_detail(self.selected())

    def _hint(self) -> None:
        keymap: dict[str, str] = getattr(self.app, "keymap", {}) or {}
        self.query_one("#browse-status", Label).update(Text(
            f"Press {key_of('browse.open', keymap)} to read a topic: this screen "
            f"{BrowseView.NOTICE}."))

    # ---- opening and steering the reader -----------------------------------------------------

    def open_at(self, topic: str, partition: int | None = None, offset: int | None = None) -> None:
        """Read ``topic`` (one partition, or all) from ``offset`` (None: the beginning)."""
        self.start(BrowseOpen(topic, () if partition is None else (partition,),
                              "beginning" if offset is None else str(offset)))

    def start(self, spec: BrowseOpen) -> None:
        """Close the reader shown now and open ``spec``."""
        self._close_reader()
        self.spec = spec
        self._opening += 1
        ticket = self._opening

        def opened(result: Any, error: str | None) -> None:
            if ticket != self._opening or error is not None or not isinstance(result, BrowseHandle):
                return  # a newer open replaced this one; a refusal was notified by the app
            self.handle = result
            self._tick()

        self.submit(spec, f"browse {spec.topic}", opened, announce=False)

    def _close_reader(self) -> None:
        if self.handle is not None:
            self.submit(BrowseClose(self.handle.browser_id), "close the reader", announce=False)
        self.handle = None
        self.view = None
        self._records, self._cells = {}, {}
        self.table.update([])
        self._show_detail(None)

    def _need_reader(self) -> BrowseHandle | None:
        if self.handle is None:
            keymap: dict[str, str] = getattr(self.app, "keymap", {}) or {}
            self.app.notify(f"Open a topic first ({key_of('browse.open', keymap)}).", severity="warning")
        return self.handle

    def _topics(self) -> list[str]:
        snapshot = self.last
        if snapshot is None or snapshot.cluster is None:
            return []
        return [t.name for t in snapshot.cluster.topics]

    def action_open(self) -> None:
        topics = self._topics()
        in_play = self.last.topics_in_play if self.last is not None else ()
        topic = self.spec.topic if self.spec else (in_play[-1] if in_play else "")
        topic = topic or (topics[0] if topics else "")

        def then(spec: BrowseOpen | None) -> None:
            if spec is not None:
                self.start(spec)

        self.open_form(BrowseForm(topic, topics if self.last and self.last.cluster else None), then)

    def action_seek(self) -> None:
        handle = self._need_reader()
        if handle is None or self.spec is None:
            return
        spec = self.spec

        def then(start: str | None) -> None:
            if start is not None and self.handle is handle:
                self.spec = replace(spec, start=start)
                self.submit(BrowseSeek(handle.browser_id, start=start), f"seek to {start}",
                            announce=False)

        self.open_form(SeekForm(spec.start), then)

    def action_filter(self) -> None:
        handle = self._need_reader()
        if handle is None or self.spec is None:
            return
        spec = self.spec

        def then(filters: RecordFilter | None) -> None:
            if filters is not None and self.handle is handle:
                self.spec = replace(spec, filters=filters)
                self.submit(BrowseSeek(handle.browser_id, filters=filters), "filter records",
                            announce=False)

        self.open_form(FilterForm(spec.filters), then)

    def action_follow(self) -> None:
        if self._need_reader() is None or self.spec is None:
            return
        self.start(replace(self.spec, follow=not self.spec.follow))

    def action_pause(self) -> None:
        handle = self._need_reader()
        if handle is None:
            return
        paused = not handle.view().paused
        self.submit(BrowsePause(handle.browser_id, paused), "pause reading" if paused else "resume reading",
                    announce=False)

    def action_close(self) -> None:
        if self._need_reader() is None:
            return
        self._close_reader()
        self.spec = None
        self._hint()

    def on_explorer_ready(self) -> None:
        self.table.focus()
