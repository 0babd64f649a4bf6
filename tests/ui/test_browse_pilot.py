"""Pilot tests of the Browse screen and the browse-and-fix dialogs with the REAL engine on the lab.

The explorer app shows the Browse tab (key 7; a TabPane holding BrowsePane, the
screen's stylesheet in CSS_PATH); keys open, seek, filter, follow and pause the reader; the dialogs
plan and execute an offset reset, delete by typed name and alter a topic config. Assertions read
what the screen shows and what the cluster holds.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from confluent_kafka.admin import NewTopic
from textual.pilot import Pilot
from textual.widgets import Button, Input, Static, TabbedContent

from tests.helpers import commit_offsets, unique
from tests.ui.fakes import plain
from tui.engine import Connection, Engine
from tui.kafka import admin as one_shot
from tui.kafka import clients
from tui.kafka.committed import committed
from tui.lab import LabCluster
from tui.ui.app import ExplorerApp
from tui.ui.browse.dialogs import DeleteDialog, ResetOffsetsDialog, TopicConfigDialog
from tui.ui.browse.pane import BROWSE_CSS, BrowsePane
from tui.ui.fast_table import FastTable
from tui.ui.settings import Settings

pytestmark = pytest.mark.kafka
SIZE = (160, 48)


async def until(pilot: Pilot[Any], predicate: Callable[[], Any], seconds: float, message: str) -> Any:
    """Let the app run until ``predicate()`` is truthy (no fixed sleeps)."""
    deadline = time.monotonic() + seconds
    while not (value := predicate()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {seconds:.0f} s waiting for {message}")
        await pilot.pause(0.2)
    return value


class BrowseApp(ExplorerApp):
    CSS_PATH = [*ExplorerApp.CSS_PATH, BROWSE_CSS]


@pytest.fixture
def engine1(lab1: LabCluster) -> Iterator[Engine]:
    with Engine(Connection(bootstrap=lab1.bootstrap, lab_dir=lab1.dir, label="lab"),
                watch_interval=0.5) as engine:
        yield engine


def _topic(bootstrap: str, partitions: int = 1, config: dict[str, str] | None = None) -> str:
    name = unique("ui-browse")
    admin = clients.admin({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic(name, partitions, 1, config=config or {})])[name].result(30)
    return name


def _produce(bootstrap: str, topic: str, records: list[tuple[bytes | None, bytes | None]]) -> None:
    producer = clients.producer({"bootstrap.servers": bootstrap, "message.max.bytes": 1_040_000})
    for key, value in records:
        producer.produce(topic, key=key, value=value, partition=0)
    assert producer.flush(30) == 0


async def _open_app(pilot: Pilot[Any], app: ExplorerApp) -> BrowsePane:
    await until(pilot, lambda: app.snapshot, 30, "the first snapshot")  # the watcher is not needed
    await pilot.press("7")  # the app's own Browse tab
    await until(pilot, lambda: app.query_one("#tabs", TabbedContent).active == "tab-browse", 10,
                "the Browse screen")
    pane = app.query_one(BrowsePane)
    pane.table.focus()
    await pilot.pause()
    return pane


async def _form(pilot: Pilot[Any], app: ExplorerApp, key: str, form: str, values: dict[str, Any]) -> None:
    await pilot.press(key)
    await until(pilot, lambda: type(app.screen).__name__ == form, 10, f"the {form}")
    screen = app.screen
    for name, value in values.items():
        screen.query_one(f"#f-{name}").value = value  # type: ignore[attr-defined]
    await pilot.press("ctrl+s")
    await until(pilot, lambda: app.screen is not screen, 10, f"the {form} to close")


def _column(pane: BrowsePane, column: str) -> list[str]:
    index = pane.table.columns.index(column)
    out = []
    for key in pane.table.keys:
        row = pane.table.row(key)
        assert row is not None
        cell = row[index]
        out.append(cell.plain if hasattr(cell, "plain") else str(cell))
    return out


async def test_browse_screen_reads_seeks_filters_follows_and_pauses(lab1: LabCluster,
                                                                     engine1: Engine) -> None:
    topic = _topic(lab1.bootstrap)
    _produce(lab1.bootstrap, topic, [
        (b"\x1b]0;owned\x07", b"\x1b[2J\x9b31m\xff"),
        (b"order-1", b'{"order": 1, "state": "paid"}'),
        (b"order-2", b'{"order": 2, "state": "open"}'),
        (None, b"B" * 1_000_000),
    ])
    app = BrowseApp(engine1, settings=Settings(), remember=False)
    async with app.run_test(size=SIZE) as pilot:
        pane = await _open_app(pilot, app)
        assert "reads without joining a group or committing offsets" in plain(
            pane.query_one("#browse-status"))
        await _form(pilot, app, "o", "BrowseForm", {"topic": topic})
        await until(pilot, lambda: pane.view is not None and pane.view.state == "done"
                    and pane.table.row_count == 4, 30, "four records")
        status = plain(pane.query_one("#browse-status"))
        assert f"{topic} [0] from beginning · done · 4 matched of 4 read" in status
        assert "reads without joining a group or committing offsets" in status
        assert _column(pane, "offset") == ["0", "1", "2", "3"]
        keys, values = _column(pane, "key"), _column(pane, "value")
        assert keys[0] == "\\x1b]0;owned\\x07"
        assert values[0] == "\\x1b[2J\\x9b31m\\xff"
        assert values[3].endswith(f"… (+{1_000_000 - 64} bytes)")
        assert all(c.isprintable() for c in keys + values)
        pane.table.move_cursor(1)
        await pilot.pause()
        shown = plain(pane.query_one("#browse-detail", Static))
        assert "value (json, 29 bytes):" in shown
        assert '"state": "paid"' in shown
        await _form(pilot, app, "s", "SeekForm", {"start": "-2"})
        await until(pilot, lambda: _column(pane, "offset") == ["2", "3"], 20, "the last two records")
        await _form(pilot, app, "g", "FilterForm", {"grep": '"state": "(paid|open)"'})
        await until(pilot, lambda: _column(pane, "offset") == ["2"], 20, "the filtered re-read from -2")
        await _form(pilot, app, "s", "SeekForm", {"start": "beginning"})
        await until(pilot, lambda: _column(pane, "offset") == ["1", "2"], 20, "both orders")
        await pilot.press("f")
        await until(pilot, lambda: pane.view is not None and pane.view.follow
                    and pane.view.state == "following", 20, "a following reader")
        _produce(lab1.bootstrap, topic, [(b"order-3", b'{"order": 3, "state": "paid"}'), (None, b"noise")])
        await until(pilot, lambda: _column(pane, "offset")[-1:] == ["4"], 20, "the new record")
        assert pane.table.selected_key() == pane.table.keys[-1]  # the cursor follows the tail
        await pilot.press("space")
        await until(pilot, lambda: pane.view is not None and pane.view.paused, 10, "the pause")
        assert " · paused · " in plain(pane.query_one("#browse-status"))
        await pilot.press("x")
        await until(pilot, lambda: pane.handle is None and pane.table.row_count == 0, 10, "the close")
        assert "to read a topic" in plain(pane.query_one("#browse-status"))


def _committed(bootstrap: str, group: str) -> dict[int, int]:
    answer = committed({"bootstrap.servers": bootstrap}, group, 10)
    return {tp.partition: tp.offset for tp in answer.topic_partitions if tp.offset >= 0}


async def test_reset_dialog_plans_then_executes_and_stays_off_for_an_active_group(
        lab1: LabCluster, engine1: Engine) -> None:
    topic, group = _topic(lab1.bootstrap, partitions=2), unique("ui-reset")
    _produce(lab1.bootstrap, topic, [(None, b"x")] * 6)
    commit_offsets(lab1.bootstrap, group, {(topic, 0): 5, (topic, 1): 0})
    app = BrowseApp(engine1, settings=Settings(), remember=False)
    async with app.run_test(size=SIZE) as pilot:
        await _open_app(pilot, app)
        results: list[Any] = []
        dialog = ResetOffsetsDialog(group, (topic,), "shift:-2")
        app.push_screen(dialog, results.append)
        await pilot.pause()
        table = dialog.query_one("#reset-plan", FastTable)
        await until(pilot, lambda: table.row_count == 2, 20, "the plan")
        rows = [table.row(k) or () for k in table.keys]
        assert [[str(c) for c in row[1:4]] for row in rows] == [["0", "5", "3"], ["1", "0", "0"]]
        assert "Dry run: nothing changed" in plain(dialog.query_one("#dialog-message"))
        assert _committed(lab1.bootstrap, group) == {0: 5, 1: 0}
        await pilot.press("ctrl+s")
        await until(pilot, lambda: results, 20, "the executed reset")
        assert results[0].executed
        assert _committed(lab1.bootstrap, group) == {0: 3, 1: 0}

        member = clients.consumer({"bootstrap.servers": lab1.bootstrap, "group.id": group,
                                   "session.timeout.ms": 6000})
        member.subscribe([topic])
        try:
            deadline = time.monotonic() + 30
            while not member.assignment():
                assert time.monotonic() < deadline
                member.poll(0.2)
            active = ResetOffsetsDialog(group, (topic,), "earliest")
            app.push_screen(active)
            await pilot.pause()
            await until(pilot, lambda: "active member" in plain(active.query_one("#dialog-message")),
                        20, "the refusal")
            assert active.query_one("#execute", Button).disabled
            await pilot.press("ctrl+s")
            await pilot.pause()
            assert app.screen is active
            assert _committed(lab1.bootstrap, group) == {0: 3, 1: 0}
        finally:
            member.close()


async def test_delete_needs_the_typed_name_and_internal_topics_are_refused(
        lab1: LabCluster, engine1: Engine) -> None:
    topic = _topic(lab1.bootstrap)
    app = BrowseApp(engine1, settings=Settings(), remember=False)
    async with app.run_test(size=SIZE) as pilot:
        await _open_app(pilot, app)
        done: list[Any] = []
        dialog = DeleteDialog("topic", topic)
        app.push_screen(dialog, done.append)
        await pilot.pause()
        box = dialog.query_one("#confirm-name", Input)
        box.value = topic[:-1]
        await pilot.pause()
        assert dialog.query_one("#delete", Button).disabled
        await pilot.press("enter")
        await pilot.pause()
        assert "exactly" in plain(dialog.query_one("#dialog-message"))
        box.value = topic
        await pilot.pause()
        assert not dialog.query_one("#delete", Button).disabled
        await pilot.press("enter")
        await until(pilot, lambda: done == [True], 30, "the deletion")
        assert topic not in one_shot.list_topics({"bootstrap.servers": lab1.bootstrap}, timeout=10).topics

        internal = DeleteDialog("topic", "__consumer_offsets")
        app.push_screen(internal)
        await pilot.pause()
        internal.query_one("#confirm-name", Input).value = "__consumer_offsets"
        await pilot.press("enter")
        await until(pilot, lambda: "internal topics" in plain(internal.query_one("#dialog-message")),
                    20, "the refusal")
        assert app.screen is internal


async def test_topic_config_dialog_shows_non_defaults_and_alters_one(lab1: LabCluster,
                                                                     engine1: Engine) -> None:
    topic = _topic(lab1.bootstrap, config={"retention.ms": "7777777"})
    app = BrowseApp(engine1, settings=Settings(), remember=False)
    async with app.run_test(size=SIZE) as pilot:
        await _open_app(pilot, app)
        dialog = TopicConfigDialog(topic)
        app.push_screen(dialog)
        await pilot.pause()
        table = dialog.query_one("#config-table", FastTable)
        await until(pilot, lambda: table.row("retention.ms") is not None, 20, "the configs")
        row = table.row("retention.ms")
        assert row is not None
        assert [str(c) for c in row] == ["retention.ms", "7777777", "DYNAMIC_TOPIC_CONFIG"]
        dialog.query_one("#config-set", Input).value = "retention.ms=60000"
        await pilot.press("enter")
        message = dialog.query_one("#dialog-message")
        await until(pilot, lambda: "7777777 → 60000" in plain(message), 20, "the change")
        assert one_shot.topic_configs({"bootstrap.servers": lab1.bootstrap}, [topic],
                                      timeout=10)[topic]["retention.ms"] == "60000"
        dialog.query_one("#config-set", Input).value = "min.insync.replicas=3"
        await pilot.press("enter")
        await until(pilot, lambda: "replication factor 1" in plain(message), 20, "the refusal")
