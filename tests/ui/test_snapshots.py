"""SVG snapshots of each screen, rendered from scripted snapshots (fake engine, fixed size and clock).

Regenerate after an intended visual change (or a Textual upgrade) with
``pytest tests/ui/test_snapshots.py --snapshot-update`` and review the SVGs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from tests.ui.fakes import FakeEngine, event, member, snapshot
from tui.ui.app import ExplorerApp
from tui.ui.bridge import EventsArrived
from tui.ui.settings import Settings

SIZE = (160, 48)


def make_app(engine: FakeEngine, theme: str = "kx-dark") -> ExplorerApp:
    # a fixed (absent) keymap path: the help screen shows it, and a tmp path would change per run
    return ExplorerApp(engine, theme=theme, settings=Settings(), remember=False, pump=False,
                       keymap_path=Path("/home/user/.config/kafka-explorer/keymap.yaml"))


def steps(app: ExplorerApp, *keys: str, snapshots: int = 2) -> Any:
    """Show ``snapshots`` snapshots in turn, each followed by the change events that led to it (as
    the pump delivers them), then press ``keys``."""

    async def run_before(pilot: Pilot[Any]) -> None:
        engine = app.engine
        assert isinstance(engine, FakeEngine)
        for _ in range(snapshots):
            app.apply_snapshot(engine.snapshot())
            app.post_message(EventsArrived(engine.subscription.drain(), 0))
            engine.advance()
            await pilot.pause()
        for key in keys:
            await pilot.press(key)
            await pilot.pause()
        await pilot.wait_for_scheduled_animations()

    return run_before


def test_cluster_screen_highlights_isr_shrink(snap_compare: Any) -> None:
    """Node 2 died between two snapshots: its state turns red, ISRs lose 2 with a ▼ marker and
    partition 1's leader moves to 3 (◆): the highlights come from the watcher's change events."""
    engine = FakeEngine([snapshot(1), snapshot(2, lab_states=("running", "dead", "running"),
                                              isr={0: (1, 3), 1: (3, 1)}, leaders={1: 3})])
    app = make_app(engine)
    assert snap_compare(app, terminal_size=SIZE, run_before=steps(app))


def test_produce_screen(snap_compare: Any) -> None:
    """Two producer profiles side by side; the escaped key shows ANSI bytes as \\x1b text."""
    engine = FakeEngine([snapshot(1)])
    app = make_app(engine)
    assert snap_compare(app, terminal_size=SIZE, run_before=steps(app, "2", snapshots=1))


def test_consumers_screen_highlights_moves(snap_compare: Any) -> None:
    """m2 crashed; its partition 2 moved to m1 (+ highlighted in m1's row, − in m2's)."""
    before = snapshot(1)
    after = snapshot(2, members=(member("m1", (("demo", 0), ("demo", 1), ("demo", 2))),
                                 member("m2", (), state="crashed", strategy="auto")))
    app = make_app(FakeEngine([before, after]))
    assert snap_compare(app, terminal_size=SIZE, run_before=steps(app, "3"))


def test_verdict_screen_drill_down(snap_compare: Any) -> None:
    """Counts per kind, the anomalies, and the first anomaly's records and explanation."""
    app = make_app(FakeEngine([snapshot(1, with_verdict=True)]))
    assert snap_compare(app, terminal_size=SIZE,
                        run_before=steps(app, "4", "tab", "tab", snapshots=1))


def test_timeline_filtered(snap_compare: Any) -> None:
    """Only events matching 'broker' remain after typing in the filter."""
    events = [event(1, "member.assigned", "member:m1", "m1 was assigned demo[0,1]"),
              event(2, "broker.down", "broker:2", "broker 2 went down", "warning"),
              event(3, "partition.isr-shrunk", "topic:demo", "demo[0] ISR shrank: 2 left", "notice"),
              event(4, "broker.up", "broker:2", "broker 2 is back")]
    engine = FakeEngine([snapshot(1)], events=events)
    app = make_app(engine)

    async def run_before(pilot: Pilot[Any]) -> None:
        app.apply_snapshot(engine.snapshot())
        await pilot.press("5")
        app.post_message(EventsArrived(engine.subscription.drain(), 0))
        await pilot.press("slash", *"broker", "enter")
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_help_screen_from_registry(snap_compare: Any) -> None:
    """The help screen lists every registry command with its key and stable id."""
    app = make_app(FakeEngine([snapshot(1)]))
    assert snap_compare(app, terminal_size=SIZE, run_before=steps(app, "f1", snapshots=1))


def test_high_contrast_theme(snap_compare: Any) -> None:
    """The cluster screen in the high-contrast theme loaded from themes/high-contrast.yaml."""
    engine = FakeEngine([snapshot(1)])
    app = make_app(engine, theme="high-contrast")
    assert snap_compare(app, terminal_size=SIZE, run_before=steps(app, snapshots=1))
