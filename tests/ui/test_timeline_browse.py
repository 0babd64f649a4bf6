"""`b` on a timeline event opens the Browse screen where the event happened (the fake engine)."""

from __future__ import annotations

from typing import Any

import pytest
from textual.widgets import TabbedContent

from tests.ui.fakes import FakeEngine, snapshot
from tests.ui.test_app_fake import SIZE, make_app, wait_for
from tui.engine import Event
from tui.ui.bridge import EventsArrived
from tui.ui.browse.pane import BrowsePane
from tui.ui.fast_table import FastTable
from tui.ui.panes.timeline import TimelinePane


@pytest.mark.parametrize(("data", "opened"), [
    ({"topic": "orders", "partition": 1, "offset": 42}, ("orders", 1, 42)),
    ({"topic": "orders", "partition": 2}, ("orders", 2, None)),
    ({"topic": "orders", "offset": 7}, ("orders", None, None)),  # an offset means nothing without its partition
])
async def test_b_opens_the_browser_at_the_events_record(monkeypatch: pytest.MonkeyPatch,
                                                        data: dict[str, Any],
                                                        opened: tuple[Any, ...]) -> None:
    calls: list[tuple[Any, ...]] = []
    monkeypatch.setattr(BrowsePane, "open_at", lambda self, *args: calls.append(args))
    app = make_app(FakeEngine([snapshot(1)]))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.snapshot is not None)
        await pilot.press("5")
        app.post_message(EventsArrived([Event(900, 1.0, "member.stuck", "member:m1", "stuck at 42",
                                              "warning", data)], 0))
        table = app.query_one("#events", FastTable)
        await wait_for(pilot, lambda: "900" in table.keys)
        table.move_cursor(table.keys.index("900"))
        table.focus()
        await pilot.press("b")
        await wait_for(pilot, lambda: bool(calls))
        assert calls == [opened]
        assert app.query_one("#tabs", TabbedContent).active == "tab-browse"


async def test_an_event_without_a_topic_says_so() -> None:
    app = make_app(FakeEngine([snapshot(1)]))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.snapshot is not None)
        await pilot.press("5")
        app.post_message(EventsArrived([Event(901, 1.0, "engine.started", "engine", "started")], 0))
        table = app.query_one("#events", FastTable)
        await wait_for(pilot, lambda: "901" in table.keys)
        table.move_cursor(table.keys.index("901"))
        table.focus()
        await pilot.press("b")
        await wait_for(pilot, lambda: any("names no topic" in str(n.message) for n in app._notifications))
        assert app.query_one("#tabs", TabbedContent).active == "tab-timeline"
        assert isinstance(app.query_one(TimelinePane), TimelinePane)
