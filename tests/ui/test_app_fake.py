"""Pilot tests against the fake engine: keys, mouse, forms, palette, keymap, themes, error paths."""

from __future__ import annotations

from pathlib import Path

import yaml
from textual.widgets import TabbedContent

from tests.ui.fakes import FakeEngine, plain, snapshot, verdict
from tui.engine import (
    AddMember,
    CrashMember,
    CreateTopic,
    LabAction,
    SetStrategy,
    StartProducer,
    StopProducer,
)
from tui.ui.app import ExplorerApp
from tui.ui.fast_table import FastTable
from tui.ui.panes.verdict import VerdictPane
from tui.ui.settings import Settings

SIZE = (160, 48)


def make_app(engine: FakeEngine, **kwargs: object) -> ExplorerApp:
    kwargs.setdefault("settings", Settings())
    kwargs.setdefault("remember", False)
    return ExplorerApp(engine, pump_hz=20, **kwargs)  # type: ignore[arg-type]


def cell(table: FastTable, key: str, column: str) -> str:
    """The text of one cell, by row key and column name (columns move with the layout)."""
    row = table.row(key)
    assert row is not None, key
    return str(row[table.columns.index(column)])


async def wait_for(pilot, predicate, tries: int = 100) -> None:  # type: ignore[no-untyped-def]
    for _ in range(tries):
        if predicate():
            return
        await pilot.pause(0.05)
    raise AssertionError("condition not reached")


async def test_number_keys_and_clicks_switch_screens() -> None:
    app = make_app(FakeEngine([snapshot(1)]))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.snapshot is not None)
        tabs = app.query_one("#tabs", TabbedContent)
        for key, pane in (("2", "produce"), ("3", "consumers"), ("4", "verdict"),
                          ("5", "timeline"), ("1", "cluster")):
            await pilot.press(key)
            assert tabs.active == f"tab-{pane}"
        await pilot.click("#tabs #--content-tab-tab-verdict")
        assert tabs.active == "tab-verdict"


async def test_node_action_submits_lab_action_for_selected_node() -> None:
    engine = FakeEngine([snapshot(1)])
    app = make_app(engine)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.snapshot is not None)
        app.query_one("#nodes", FastTable).focus()
        await pilot.press("down", "k")
        await wait_for(pilot, lambda: engine.submitted)
        assert engine.submitted == [LabAction(node=2, action="kill")]


async def test_failed_command_is_notified_and_app_keeps_running() -> None:
    engine = FakeEngine([snapshot(1)], fail={LabAction: "Cannot kill node 1: it is dead."})
    app = make_app(engine)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await wait_for(pilot, lambda: app.snapshot is not None)
        app.query_one("#nodes", FastTable).focus()
        await pilot.press("k")
        await wait_for(pilot, lambda: any("it is dead" in n.message
                                          for n in app._notifications))
        assert app.is_running


async def test_create_topic_form_submits_spec_and_validates() -> None:
    engine = FakeEngine([snapshot(1)])
    app = make_app(engine)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.snapshot is not None)
        app.query_one("#nodes", FastTable).focus()
        await pilot.press("n")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "TopicForm")
        await pilot.press("ctrl+u", *"orders", "tab", "ctrl+a")  # the name proposed is free (demo-2 here)
        app.screen.query_one("#f-min_isr").value = "5"  # type: ignore[attr-defined]
        await pilot.press("ctrl+s")
        error = str(app.screen.query_one("#form-error").render())
        assert "above the replication factor" in error
        app.screen.query_one("#f-min_isr").value = "2"  # type: ignore[attr-defined]
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: engine.submitted)
        cmd = engine.submitted[0]
        assert isinstance(cmd, CreateTopic)
        assert (cmd.spec.name, cmd.spec.partitions, cmd.spec.replication_factor,
                cmd.spec.min_insync_replicas) == ("orders", 6, 3, 2)


async def test_producer_form_explains_idempotence_with_acks_1() -> None:
    engine = FakeEngine([snapshot(1)])
    app = make_app(engine)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.snapshot is not None)
        await pilot.press("2", "n")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "ProducerForm")
        app.screen.query_one("#f-acks").value = "1"  # type: ignore[attr-defined]
        app.screen.query_one("#f-idempotence").value = True  # type: ignore[attr-defined]
        await pilot.press("ctrl+s")
        assert "acks=all" in str(app.screen.query_one("#form-error").render())
        app.screen.query_one("#f-idempotence").value = False  # type: ignore[attr-defined]
        app.screen.query_one("#f-keys").value = "hot:80"  # type: ignore[attr-defined]
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: engine.submitted)
        cmd = engine.submitted[0]
        assert isinstance(cmd, StartProducer)
        assert cmd.profile.acks == "1"
        assert cmd.profile.name == "p3"
        assert cmd.workload.key_mode.kind == "hot"
        assert cmd.workload.topic == "demo"


async def test_stop_producer_uses_selected_row() -> None:
    engine = FakeEngine([snapshot(1)])
    app = make_app(engine)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.snapshot is not None)
        await pilot.press("2", "down", "x")
        await wait_for(pilot, lambda: engine.submitted)
        assert engine.submitted == [StopProducer(name="p2")]


async def test_members_add_crash_and_switch_strategy() -> None:
    engine = FakeEngine([snapshot(1)])
    app = make_app(engine)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.snapshot is not None)
        await pilot.press("3", "down", "c")
        await wait_for(pilot, lambda: engine.submitted)
        assert engine.submitted[0] == CrashMember("m2")
        await pilot.press("s")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "StrategyPicker")
        await pilot.press("home", "enter")  # first strategy: auto
        await wait_for(pilot, lambda: len(engine.submitted) == 2)
        assert engine.submitted[1] == SetStrategy("m2", "auto")
        await pilot.press("a")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "MemberForm")
        app.screen.query_one("#f-count").value = "2"  # type: ignore[attr-defined]
        app.screen.query_one("#f-strategy").value = "commit-before"  # type: ignore[attr-defined]
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: len(engine.submitted) == 4)
        adds = engine.submitted[2:]
        assert all(isinstance(c, AddMember) and c.spec.strategy == "commit-before" and
                   c.spec.group == "g1" and c.spec.topics == ("demo",) for c in adds)


async def test_verdict_key_computes_off_thread_and_renders() -> None:
    engine = FakeEngine([snapshot(1)])
    engine.verdict_result = verdict()
    app = make_app(engine)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.snapshot is not None)
        await pilot.press("4", "v")
        pane = app.query_one(VerdictPane)
        await wait_for(pilot, lambda: pane.verdict is not None)
        counts = app.query_one("#counts", FastTable)
        assert counts.row("skipped") is not None
        assert cell(counts, "skipped", "count") == "7"
        anomalies = app.query_one("#anomalies", FastTable)
        assert anomalies.row_count == 2
        await pilot.click("#counts")  # mouse works on tables
        counts.move_cursor(counts.keys.index("redelivered"))
        counts.action_select()
        await pilot.pause()
        assert anomalies.row_count == 1


async def test_keymap_file_remaps_a_binding(tmp_path: Path) -> None:
    keymap = tmp_path / "keymap.yaml"
    keymap.write_text(yaml.safe_dump({"node.kill": "ctrl+k", "screen.verdict": "v"}))
    engine = FakeEngine([snapshot(1)])
    app = make_app(engine, keymap_path=keymap)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.snapshot is not None)
        app.query_one("#nodes", FastTable).focus()
        await pilot.press("k")
        await pilot.pause()
        assert engine.submitted == []
        await pilot.press("ctrl+k")
        await wait_for(pilot, lambda: engine.submitted)
        assert engine.submitted == [LabAction(node=1, action="kill")]
        await pilot.press("v")
        assert app.query_one("#tabs", TabbedContent).active == "tab-verdict"


async def test_theme_from_palette_is_remembered(tmp_path: Path) -> None:
    settings_path = tmp_path / "settings.yaml"
    app = ExplorerApp(FakeEngine([snapshot(1)]), settings_path=settings_path, remember=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.snapshot is not None)
        assert app.theme == "kx-dark"
        await pilot.press("ctrl+p")
        await pilot.press(*"Theme: kx-light")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.theme == "kx-light")
    assert yaml.safe_load(settings_path.read_text())["theme"] == "kx-light"
    again = ExplorerApp(FakeEngine([snapshot(1)]), settings_path=settings_path)
    async with again.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert again.theme == "kx-light"


async def test_palette_runs_a_pane_command_from_another_screen() -> None:
    engine = FakeEngine([snapshot(1)])
    app = make_app(engine)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.snapshot is not None)
        await pilot.press("5")
        await app.run_registry_command("member.crash")
        await wait_for(pilot, lambda: engine.submitted)
        assert app.query_one("#tabs", TabbedContent).active == "tab-consumers"
        assert engine.submitted == [CrashMember("m1")]


async def test_explain_opens_a_modal_with_the_record_timeline_escaped() -> None:
    """e opens the record's timeline where it is seen (a modal that takes focus, at any height);
    n shows the next record of the same anomaly; escape closes."""
    from tui.ui.panes.explain import ExplainScreen

    engine = FakeEngine([snapshot(1, with_verdict=True)])
    app = make_app(engine)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.snapshot is not None)
        await pilot.press("4")
        app.query_one("#anomalies", FastTable).focus()
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, ExplainScreen))
        text = plain(app.screen.query_one("#explain-lines"))
        assert "acked at demo[1]@120" in text
        assert "run1/p1/0/0" in text
        assert "\x1b" not in text
        assert app.screen.query_one("#explain-body").has_focus
        await pilot.press("n")  # the next record of the same anomaly
        await wait_for(pilot, lambda: isinstance(app.screen, ExplainScreen)
                       and "run1/p1/0/1: sent" in plain(app.screen.query_one("#explain-lines")))
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, ExplainScreen))


def test_startup_screen_shows_progress_and_returns_outcome() -> None:
    import asyncio
    import threading

    from tui.ui.startup import StartupApp

    release = threading.Event()

    def up(progress):  # type: ignore[no-untyped-def]
        progress("node 1: starting (pid 42)")
        release.wait(10)
        progress("ready")

    async def run(fail: bool) -> tuple[str | None, str]:
        def failing(progress):  # type: ignore[no-untyped-def]
            progress("fetching jars")
            raise RuntimeError("Java 17 or newer is needed; install it with apt-get install openjdk-17-jre.")

        app = StartupApp(failing if fail else up, 3, "/tmp/lab")
        async with app.run_test(size=(120, 30)) as pilot:
            log = app.query_one("Log")
            for _ in range(100):
                if log.lines:  # type: ignore[attr-defined]
                    break
                await pilot.pause(0.05)
            first = log.lines[0]  # type: ignore[attr-defined]
            release.set()
            for _ in range(200):
                if app.return_value is not None or not app.is_running:
                    break
                await pilot.pause(0.05)
        return app.return_value, first

    ok, first = asyncio.run(run(False))
    assert ok is None
    assert first == "node 1: starting (pid 42)"
    error, first = asyncio.run(run(True))
    assert error is not None
    assert "Java 17" in error
    assert first == "fetching jars"


async def test_a_rendering_error_is_notified_not_fatal(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from tui.ui.panes.cluster import ClusterPane

    def broken(self, snapshot, force=False):  # type: ignore[no-untyped-def]
        raise IndexError("string index out of range")

    engine = FakeEngine([snapshot(1), snapshot(2)])
    app = make_app(engine, pump=False)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        monkeypatch.setattr(ClusterPane, "show", broken)
        app.apply_snapshot(engine.snapshot())
        await pilot.pause()
        assert app.is_running
        assert any("Could not render" in n.message for n in app._notifications)
        monkeypatch.undo()
        engine.advance()
        app.apply_snapshot(engine.snapshot())
        await pilot.press("2")
        assert app.query_one("#tabs", TabbedContent).active == "tab-produce"


def header_level_colour(app: ExplorerApp) -> str | None:
    from tui.ui.header import StatusHeader

    header = app.query_one(StatusHeader)
    line = header.render_lines(header.size.region)[0]
    colours = [seg.style.color for seg in line if "●" in seg.text and seg.style and seg.style.color]
    return colours[0].name if colours else None


def _style_of(table: FastTable, key: str, column: str) -> object:
    row = table.row(key)
    assert row is not None
    return row[table.columns.index(column)].style  # type: ignore[union-attr]


async def test_theme_switch_restyles_cells_and_widgets_without_a_manual_loop() -> None:
    """f2 switches theme: the visible pane redraws its cells in the new theme's colours (it hears
    App.theme_changed_signal); CSS-coloured widgets restyle by themselves; a hidden pane redraws
    when its tab is shown."""
    from rich.style import Style

    engine = FakeEngine([snapshot(1, with_verdict=True)])
    app = make_app(engine, pump=False)
    async with app.run_test(size=SIZE) as pilot:
        app.apply_snapshot(engine.snapshot())
        await pilot.press("4", "1")
        banner = app.query_one("#verdict-banner")
        assert banner.has_class("-ok")
        dark_banner = banner.styles.color
        nodes = app.query_one("#nodes", FastTable)
        dark = app.theme_variables["success"]
        assert _style_of(nodes, "1", "process") == Style(color=dark)
        await pilot.press("f2")
        await wait_for(pilot, lambda: app.theme != "kx-dark")
        await wait_for(pilot, lambda: _style_of(nodes, "1", "process") != Style(color=dark))
        after = app.theme_variables["success"]
        assert after != dark
        assert _style_of(nodes, "1", "process") == Style(color=after)
        assert banner.styles.color != dark_banner  # a state class: CSS restyled it
        assert header_level_colour(app) == after.lower()  # a $variable in the header's content
        await pilot.press("2")
        producers = app.query_one("#producers", FastTable)
        assert _style_of(producers, "p1#0", "state") == Style(color=after)


async def test_cluster_highlights_come_from_the_watchers_events() -> None:
    """Two snapshots where the ISR shrank mark nothing by themselves: the ▼ and ◆ appear when the
    watcher's change events arrive (the fake publishes what the real diff would)."""
    from tui.ui.bridge import EventsArrived

    engine = FakeEngine([snapshot(1), snapshot(2, isr={0: (1, 3)}, leaders={1: 3})])
    app = make_app(engine, pump=False)
    async with app.run_test(size=SIZE) as pilot:
        parts = app.query_one("#partitions", FastTable)
        app.apply_snapshot(engine.snapshot())
        engine.advance()
        app.apply_snapshot(engine.snapshot())
        await pilot.pause()
        assert cell(parts, "demo\x000", "ISR") == "1,3"
        events = engine.subscription.drain()
        assert {e.kind for e in events} >= {"partition.isr-shrunk", "partition.leader-changed"}
        app.post_message(EventsArrived(events, 0))
        await wait_for(pilot, lambda: "▼" in cell(parts, "demo\x000", "ISR"))
        assert cell(parts, "demo\x001", "leader") == "3 ◆"
        assert "▼" not in cell(parts, "demo\x002", "ISR")


async def test_an_older_snapshot_is_ignored() -> None:
    engine = FakeEngine([snapshot(1), snapshot(2, runners=())])
    app = make_app(engine, pump=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("2")
        app.apply_snapshot(engine.snapshots[1])
        app.apply_snapshot(engine.snapshots[0])
        await pilot.pause()
        assert app.snapshot is engine.snapshots[1]
        assert app.query_one("#producers", FastTable).row_count == 0


async def test_judge_and_explain_go_through_the_port() -> None:
    from tui.engine import Explain, Judge

    engine = FakeEngine([snapshot(1)])
    engine.verdict_result = verdict()
    app = make_app(engine)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.snapshot is not None)
        await pilot.press("4", "v")
        pane = app.query_one(VerdictPane)
        await wait_for(pilot, lambda: pane.verdict is not None)
        assert engine.submitted[0] == Judge(topics=("demo",))
        app.query_one("#anomalies", FastTable).focus()
        await pilot.press("e")
        await wait_for(pilot, lambda: len(engine.submitted) == 2)
        assert engine.submitted[1] == Explain("run1/p1/0/0")


async def test_a_failed_verdict_clears_the_computing_banner() -> None:
    engine = FakeEngine([snapshot(1)])  # no scripted verdict: Judge fails
    app = make_app(engine)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await wait_for(pilot, lambda: app.snapshot is not None)
        await pilot.press("4", "v")
        await wait_for(pilot, lambda: any("nothing to judge" in n.message
                                          for n in app._notifications))
        pane = app.query_one(VerdictPane)
        assert not pane.computing
        assert "No verdict yet" in plain(app.query_one("#verdict-banner"))


async def test_key_bar_follows_focus_and_a_click_presses_its_key(tmp_path: Path) -> None:
    from tui.ui.forms.producer import ProducerForm
    from tui.ui.widgets.key_footer import KeyFooter

    keymap = tmp_path / "keymap.yaml"
    keymap.write_text(yaml.safe_dump({"producer.new": "ctrl+n"}))
    engine = FakeEngine([snapshot(1)])
    app = make_app(engine, keymap_path=keymap)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.snapshot is not None)
        bar = app.query_one(KeyFooter)
        await pilot.press("2")
        await wait_for(pilot, lambda: "New producer" in bar.render().plain)
        line = bar.render().plain
        assert "Kill node" not in line  # the Cluster screen's keys went with its focus
        assert line.rstrip().endswith("palette")  # the palette's key keeps the right edge
        assert "^n New producer" in line  # as the keymap binds it
        await pilot.click(KeyFooter, offset=(line.index("New producer"), 0))
        await wait_for(pilot, lambda: isinstance(app.screen, ProducerForm))
