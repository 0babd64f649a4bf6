"""What the screens say in the states of issues 17 and 19 (Pilot on the fake engine, real views):
a broker that does not answer, stale sections, invalid offsets, a node that is starting, a crashed
member whose partitions are still owned, acks=0, an unconsumed verdict; and the 80x24 layouts."""

from __future__ import annotations

from typing import Any

import pytest
from rich.text import Text

from tests.ui import fakes
from tests.ui.fakes import FakeEngine, plain, snapshot
from tui.ui.app import ExplorerApp
from tui.ui.bridge import EventsArrived
from tui.ui.fast_table import FastTable
from tui.ui.header import StatusHeader
from tui.ui.settings import Settings


def make_app(engine: FakeEngine) -> ExplorerApp:
    return ExplorerApp(engine, settings=Settings(), remember=False, pump=False)


async def shown(pilot: Any, app: ExplorerApp, *keys: str) -> None:
    """Show every scripted snapshot in turn (with its change events), then press ``keys``."""
    engine = app.engine
    assert isinstance(engine, FakeEngine)
    for _ in engine.snapshots:
        app.apply_snapshot(engine.snapshot())
        app.post_message(EventsArrived(engine.subscription.drain(), 0))
        engine.advance()
        await pilot.pause()
    for key in keys:
        await pilot.press(key)
    await pilot.pause()


def cell(app: ExplorerApp, table: str, key: str, column: str) -> Any:
    t = app.query_one(f"#{table}", FastTable)
    row = t.row(key)
    assert row is not None, (table, key, t.keys)
    return row[t.columns.index(column)]


def header_text(app: ExplorerApp) -> str:
    return plain(app.query_one(StatusHeader))


async def test_a_broker_that_does_not_answer_is_unreachable_not_up() -> None:
    app = make_app(fakes.dead_broker())
    async with app.run_test(size=(120, 40)) as pilot:
        await shown(pilot, app)
        assert str(cell(app, "nodes", "1", "broker")) == "unreachable 12 s"
        header = header_text(app)
        assert "unreachable" in header
        assert "no answer for 12 s" in header
        assert "1/1 up" not in header
        assert "no answer for 12 s" in plain(app.query_one("#nodes-title"))
        # the partitions are a memory now: dimmed, and their title says since when
        leader = cell(app, "partitions", "demo\x000", "leader")
        assert isinstance(leader, Text)
        assert leader.style.dim
        assert "leaders/ISR stale 12 s" in plain(app.query_one("#partitions-title"))
        assert "Watcher refresh #" not in plain(app.query_one("#cluster-status"))


async def test_stale_offsets_are_dimmed_where_they_are_shown() -> None:
    app = make_app(fakes.stale_sections())
    async with app.run_test(size=(160, 48)) as pilot:
        await shown(pilot, app)
        stale = cell(app, "partitions", "demo\x001", "high wm")
        fresh = cell(app, "partitions", "demo\x000", "high wm")
        assert stale.style.dim
        assert not fresh.style.dim
        assert "offsets of 1 dimmed row not read" in plain(app.query_one("#partitions-title"))
        assert str(cell(app, "nodes", "2", "broker")) == "unreachable"
        await pilot.press("3")
        await pilot.pause()
        assert "group offsets stale 8 s" in plain(app.query_one("#offsets-title"))
        assert cell(app, "offsets", "g1\x00demo\x000", "committed").style.dim


async def test_invalid_offsets_are_dashes_and_a_resume_jump_is_no_rate() -> None:
    app = make_app(fakes.paused_node())
    async with app.run_test(size=(160, 48)) as pilot:
        await shown(pilot, app)
        for column in ("high wm", "records", "rate", "log start"):
            assert str(cell(app, "partitions", "demo\x001", column)) == "–", column
        assert str(cell(app, "partitions", "demo\x000", "high wm")) == "1,700"
        assert "-1,001" not in str(app.query_one("#partitions", FastTable).row("demo\x001"))
    app = make_app(fakes.resumed_node())
    async with app.run_test(size=(160, 48)) as pilot:
        await shown(pilot, app)
        assert str(cell(app, "partitions", "demo\x001", "records")) == "1,690"
        assert str(cell(app, "partitions", "demo\x001", "rate")) == "–"  # the -1,001 -> 1,690 jump
        assert str(cell(app, "partitions", "demo\x000", "rate")) == "12/s"
        assert str(cell(app, "topics", "demo", "rate")) == "24/s"  # the phantom is not summed


async def test_a_node_being_started_reads_starting_not_dead() -> None:
    app = make_app(fakes.starting_node())
    async with app.run_test(size=(80, 24)) as pilot:
        await shown(pilot, app)
        assert str(cell(app, "nodes", "3", "process")) == "starting…"
        assert str(cell(app, "nodes", "3", "broker")) == "not registered"
        assert "node 3 starting…" in header_text(app)


async def test_a_crashed_members_partitions_are_owned_until_the_session_times_out() -> None:
    app = make_app(fakes.crashed_member())
    async with app.run_test(size=(160, 48)) as pilot:
        await shown(pilot, app, "3")
        assert str(cell(app, "members", "m2", "assigned")) == "2 (dead, held)"
        assert str(cell(app, "offsets", "g1\x00demo\x002", "member")) == "m2 (dead)"
        assert "×" in plain(app.query_one("#map"))
        members = app.query_one("#members", FastTable)
        members.focus()
        members.move_cursor(members.keys.index("m2"))
        await pilot.pause()
        hint = plain(app.query_one("#member-hint"))
        assert "owned by a dead member until the session times out" in hint
        assert "gen" not in members.columns
        assert "assign #" in members.columns


async def test_acks0_records_are_sent_without_ack_and_without_ack_latency() -> None:
    app = make_app(fakes.acks0_producer())
    async with app.run_test(size=(160, 48)) as pilot:
        await shown(pilot, app, "2")
        assert str(cell(app, "producers", "fire#0", "acked")) == "no ack"
        for column in ("p50", "p99", "max", "acks/s"):
            assert str(cell(app, "producers", "fire#0", column)) == "–", column
        assert str(cell(app, "producers", "p2#0", "p50")) == "4.0 ms"
        tail = app.query_one("#deliveries", FastTable)
        assert {str(tail.row(k)[tail.columns.index("outcome")]) for k in tail.keys} == {  # type: ignore[index]
            "sent (no ack)"}
        assert "sent (no ack)" in plain(app.query_one("#produce-hint"))


async def test_an_unconsumed_verdict_leads_with_the_headline_never_no_violations() -> None:
    app = make_app(fakes.unconsumed())
    async with app.run_test(size=(80, 24)) as pilot:
        await shown(pilot, app, "4")
        banner = plain(app.query_one("#verdict-banner"))
        assert "ok so far: 27,940 records not yet consumed by g1" in banner
        assert "No violations" not in banner
        assert app.query_one("#verdict-banner").has_class("-pending")
        assert app.query_one("#counts", FastTable).keys[0] == "unconsumed"
        anomalies = app.query_one("#anomalies", FastTable)
        assert str(anomalies.row(anomalies.keys[0])[0]) == "unconsumed"  # type: ignore[index]


@pytest.mark.parametrize("size", [(80, 24), (120, 40), (160, 48)])
async def test_key_figures_stay_visible(size: tuple[int, int]) -> None:
    """At each size: Verdict shows anomaly rows with their count, Consumers shows offset rows, the
    Timeline's sentence gets at least 30 columns, and no table scrolls sideways."""
    engine = FakeEngine([snapshot(1, with_verdict=True)],
                        events=[fakes.event(1, "broker.down", "broker:2",
                                            "broker 2 went down: it no longer answers", "warning")])
    app = make_app(engine)
    async with app.run_test(size=size) as pilot:
        await shown(pilot, app, "4")
        for table_id in ("counts", "anomalies"):
            table = app.query_one(f"#{table_id}", FastTable)
            assert table.size.height >= 3, table_id  # header + at least two rows on screen
            layout = table._fit()
            assert 1 in layout.shown, table_id  # the count column
        await pilot.press("3")
        await pilot.pause()
        offsets = app.query_one("#offsets", FastTable)
        assert offsets.size.height >= 4
        assert {1, 2, 3} <= set(offsets._fit().shown)  # p, member, lag
        await pilot.press("5")
        await pilot.pause()
        events = app.query_one("#events", FastTable)
        layout = events._fit()
        what = layout.shown.index(2)
        assert layout.widths[what] >= min(30, len("broker 2 went down: it no longer answers"))
        for table in app.query(FastTable):
            assert table.max_scroll_x == 0


async def test_the_tab_bar_names_scenarios_and_opens_them() -> None:
    opened: list[str] = []
    app = make_app(FakeEngine([snapshot(1)]))
    app.action_scenarios = lambda: opened.append("scenarios")  # type: ignore[method-assign]
    async with app.run_test(size=(80, 24)) as pilot:
        await shown(pilot, app)
        from textual.widgets import Tab

        assert "6 Scenarios" in [str(t.label) for t in app.query(Tab)]
        await pilot.click("#tabs #--content-tab-tab-scenarios")
        await pilot.pause()
        assert opened == ["scenarios"]
        assert app.query_one("#tabs").active == "tab-cluster"  # type: ignore[attr-defined]


async def test_slash_filters_any_table_and_escape_clears_it() -> None:
    app = make_app(FakeEngine([snapshot(1)]))
    async with app.run_test(size=(120, 40)) as pilot:
        await shown(pilot, app, "3")
        members = app.query_one("#members", FastTable)
        members.focus()
        await pilot.press("slash", *"m[2-9]", "enter")
        await pilot.pause()
        assert members.keys == ["m2"]
        assert app.focused is members
        await pilot.press("slash", "escape")
        await pilot.pause()
        assert members.keys == ["m1", "m2"]
        await pilot.press("5", "slash")  # the timeline keeps its own filter (kind, source, text)
        await pilot.pause()
        assert app.focused is app.query_one("#timeline-filter")
