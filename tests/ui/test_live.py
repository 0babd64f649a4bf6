"""Pilot tests driving the explorer with the REAL engine on the lab cluster.

Each test works the way a person would: forms to create topics, start producers and add members,
keys for crashes and node kills, ``v`` for the verdict; assertions read what the screens show.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from textual.pilot import Pilot

from tests.helpers import unique
from tests.ui.fakes import plain
from tui.engine import Connection, Engine
from tui.lab import LabCluster
from tui.ui.app import ExplorerApp
from tui.ui.fast_table import FastTable
from tui.ui.panes.verdict import VerdictPane
from tui.ui.settings import Settings

SIZE = (160, 48)


@pytest.fixture
def engine1(lab1: LabCluster) -> Iterator[Engine]:
    with Engine(Connection(bootstrap=lab1.bootstrap, lab_dir=lab1.dir, label="lab"),
                watch_interval=0.5) as engine:
        yield engine


async def until(pilot: Pilot[Any], predicate: Callable[[], Any], seconds: float,
                message: str) -> Any:
    """Let the app run until ``predicate()`` is truthy (no fixed sleeps)."""
    deadline = time.monotonic() + seconds
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {seconds:.0f} s waiting for {message}")
        await pilot.pause(0.2)


def main_screen(app: ExplorerApp) -> Any:
    """The explorer's own screen (app.query_one would search a modal form while one is open)."""
    return app.screen_stack[0]


def cell(app: ExplorerApp, table_id: str, key: str, column: str) -> str:
    table = main_screen(app).query_one(f"#{table_id}", FastTable)
    row = table.row(key)
    if row is None:
        return ""
    return str(row[table.columns.index(column)])


async def fill_form(pilot: Pilot[Any], app: ExplorerApp, values: dict[str, Any]) -> None:
    form = app.screen
    for name, value in values.items():
        form.query_one(f"#f-{name}").value = value  # type: ignore[attr-defined]
    error = form.query_one("#form-error")
    await pilot.press("ctrl+s")
    try:
        await until(pilot, lambda: app.screen is not form, 10, "the form to close")
    except AssertionError:
        raise AssertionError(f"the form stayed open: {plain(error)!r}") from None


async def create_topic(pilot: Pilot[Any], app: ExplorerApp, name: str, partitions: int,
                       rf: int, min_isr: str = "") -> None:
    await pilot.press("1")
    main_screen(app).query_one("#nodes", FastTable).focus()
    await pilot.press("n")
    await until(pilot, lambda: type(app.screen).__name__ == "TopicForm", 10, "the topic form")
    await fill_form(pilot, app, {"name": name, "partitions": str(partitions), "rf": str(rf),
                                 "min_isr": min_isr})
    await until(pilot, lambda: any(p.topic == name and p.leader is not None
                                   for p in app.snapshot.cluster.partitions())  # type: ignore[union-attr]
                if app.snapshot and app.snapshot.cluster else False, 30,
                f"topic {name} in the watcher's view")


async def produce(pilot: Pilot[Any], app: ExplorerApp, name: str, topic: str, count: int,
                  **extra: Any) -> None:
    await pilot.press("2", "n")
    await until(pilot, lambda: type(app.screen).__name__ == "ProducerForm", 10, "producer form")
    await fill_form(pilot, app, {"name": name, "topic": topic, "acks": "all",
                                 "count": str(count), "rate": "2000", **extra})
    await until(pilot, lambda: cell(app, "producers", f"{name}#0", "state") == "done", 60,
                f"producer {name} to finish")


async def verdict(pilot: Pilot[Any], app: ExplorerApp) -> Any:
    await pilot.press("4", "v")
    pane = main_screen(app).query_one(VerdictPane)
    return await until(pilot, lambda: not pane.computing and pane.verdict, 120, "the verdict")


@pytest.mark.kafka
async def test_acks_all_verdict_shows_zero_lost(engine1: Engine) -> None:
    topic = unique("ui-acks")
    app = ExplorerApp(engine1, settings=Settings(), remember=False)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.snapshot and app.snapshot.cluster, 30, "first snapshot")
        await create_topic(pilot, app, topic, partitions=3, rf=1)
        await produce(pilot, app, "acksall", topic, 600)
        assert cell(app, "producers", "acksall#0", "acked") == "600"
        result = await verdict(pilot, app)
        assert cell(app, "counts", "lost", "count") == "0"
        assert result.summary.acked >= 600
        assert result.count("lost") == 0
        banner = plain(main_screen(app).query_one("#verdict-banner"))
        assert banner.startswith("✔ ok")  # the verdict's headline: nothing unconsumed (no group)
        assert main_screen(app).query_one("#verdict-banner").has_class("-ok")


@pytest.mark.kafka
async def test_member_crash_under_auto_shows_skipped_records(engine1: Engine) -> None:
    topic = unique("ui-auto")
    group = unique("ui-auto-g")
    app = ExplorerApp(engine1, settings=Settings(), remember=False)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.snapshot and app.snapshot.cluster, 30, "first snapshot")
        await create_topic(pilot, app, topic, partitions=1, rf=1)
        await produce(pilot, app, "feed", topic, 10)
        await pilot.press("3", "a")
        await until(pilot, lambda: type(app.screen).__name__ == "MemberForm", 10, "member form")
        # auto-commit every 100 ms while a 10-record batch takes 1.5 s: librdkafka commits the
        # whole batch's offsets, then the member dies after processing 3 records
        await fill_form(pilot, app, {"group": group, "topics": topic, "name": "m1",
                                     "strategy": "auto", "batch": "10", "processing": "150",
                                     "auto_commit": "100", "crash_after": "3",
                                     "instance": unique("inst")})
        await until(pilot, lambda: cell(app, "members", "m1", "state") == "crashed", 60,
                    "m1 to crash")
        main_screen(app).query_one("#members", FastTable).focus()
        await pilot.press("r")  # restart: the new incarnation resumes from the committed offset
        await until(pilot, lambda: cell(app, "members", "m1", "inc") == "1"
                    and cell(app, "members", "m1", "assigned") == "0", 60, "m1 to rejoin")
        await pilot.press("d")
        await until(pilot, lambda: cell(app, "members", "m1", "state") == "stopped", 30,
                    "m1 to leave")
        result = await verdict(pilot, app)
        skipped = [a for a in result.of_kind("skipped") if a.topic == topic]
        assert sum(a.count for a in skipped) == 7
        assert cell(app, "counts", "skipped", "count") == "7"
        table = main_screen(app).query_one("#anomalies", FastTable)
        kinds = [str(table.row(k)[0]) for k in table.keys]  # type: ignore[index]
        assert "skipped" in kinds
        table.focus()
        table.move_cursor(kinds.index("skipped"))
        await pilot.pause()
        detail = plain(main_screen(app).query_one("#detail"))
        assert f"skipped (expected) in {topic}" in detail  # the drill-down: records + explanation
        assert "offsets (7): 3, 4, 5, 6, 7, 8, 9" in detail


@pytest.mark.failover
async def test_kill_node_shows_isr_shrink(healthy_lab3: LabCluster) -> None:
    topic = unique("ui-isr")
    with Engine(Connection(bootstrap=healthy_lab3.bootstrap, lab_dir=healthy_lab3.dir,
                           label="lab"), watch_interval=0.5) as engine:
        app = ExplorerApp(engine, settings=Settings(), remember=False)
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: app.snapshot and app.snapshot.cluster, 30, "first snapshot")
            await create_topic(pilot, app, topic, partitions=1, rf=3, min_isr="2")
            key = f"{topic}\x000"
            await until(pilot, lambda: cell(app, "partitions", key, "ISR").count(",") == 2, 60,
                        "a full ISR of 3")
            leader = int(cell(app, "partitions", key, "leader").split()[0])
            await pilot.press("1")
            nodes = main_screen(app).query_one("#nodes", FastTable)
            nodes.focus()
            nodes.move_cursor(nodes.keys.index(str(leader)))
            await pilot.press("k")
            await until(pilot, lambda: cell(app, "nodes", str(leader), "process") == "dead", 30,
                        f"node {leader} to show as dead")
            isr = await until(pilot, lambda: (lambda text: text if "▼" in text else None)(
                cell(app, "partitions", key, "ISR")), 60, "the ISR shrink highlight")
            members = {int(x) for x in isr.replace("▼", "").strip().split(",")}
            assert leader not in members
            assert len(members) == 2
            assert cell(app, "partitions", key, "leader").split()[0] != str(leader)
