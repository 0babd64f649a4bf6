"""SVG snapshots of each screen, rendered from scripted snapshots (fake engine, fixed size and clock).

Every screen at the three sizes people use (80x24, 120x40, 160x48), and the honest-display states
of issues 17 and 19 (a dead broker, stale sections, a paused node's invalid offsets, a node that is
starting, a crashed member whose partitions are still owned, an acks=0 producer, an unconsumed
verdict, the record timeline modal, the table filter bar).

Regenerate after an intended visual change (or a Textual upgrade) with
``pytest tests/ui/test_snapshots.py --snapshot-update`` and review the SVGs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from tests.ui import fakes
from tests.ui.fakes import FakeEngine, event, member, snapshot
from tui.ui.app import ExplorerApp
from tui.ui.bridge import EventsArrived
from tui.ui.settings import Settings

SIZE = (160, 48)
SIZES = {"80x24": (80, 24), "120x40": (120, 40), "160x48": (160, 48)}
SCREENS = {"cluster": "1", "produce": "2", "consumers": "3", "verdict": "4", "timeline": "5"}
EVENTS = [event(1, "member.assigned", "member:m1", "m1 was assigned demo[0,1] (generation 1, "
                "classic/range)"),
          event(2, "broker.down", "broker:2", "broker 2 went down: it no longer answers and the "
                "controller fenced it", "warning"),
          event(3, "partition.isr-shrunk", "topic:demo", "demo[0] ISR shrank: 2 left", "notice"),
          event(4, "producer.error", "producer:p2", "p2: 3 records failed with NOT_ENOUGH_REPLICAS "
                "(fewer in-sync replicas than min.insync.replicas)", "error"),
          event(5, "broker.up", "broker:2", "broker 2 is up again")]


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


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("screen", SCREENS)
def test_screen_at_size(snap_compare: Any, screen: str, size: str) -> None:
    """Each screen at 80x24, 120x40 and 160x48: key figures first, the rows visible (Verdict's
    anomalies and counts, the Consumers offsets, the Timeline's sentence), nothing scrolls
    sideways; columns that do not fit are counted in the header (+N›)."""
    engine = FakeEngine([snapshot(1, with_verdict=True)], events=EVENTS)
    app = make_app(engine)
    assert snap_compare(app, terminal_size=SIZES[size],
                        run_before=steps(app, SCREENS[screen], snapshots=1))


STATES = [  # (scripted state, screen key, size)
    ("dead_broker", "1", "80x24"),
    ("stale_sections", "1", "120x40"),
    ("paused_node", "1", "120x40"),
    ("starting_node", "1", "80x24"),
    ("crashed_member", "3", "120x40"),
    ("acks0_producer", "2", "120x40"),
    ("unconsumed", "4", "80x24"),
]


@pytest.mark.parametrize(("state", "key", "size"), STATES)
def test_honest_state(snap_compare: Any, state: str, key: str, size: str) -> None:
    """The states in tests/ui/fakes.py: say what is known (issue 17), show what is true (issue 19)."""
    engine = getattr(fakes, state)()
    app = make_app(engine)
    assert snap_compare(app, terminal_size=SIZES[size],
                        run_before=steps(app, key, snapshots=len(engine.snapshots)))


def test_explain_modal_at_80x24(snap_compare: Any) -> None:
    """e on an anomaly opens the record's timeline in a modal that takes focus (not below a box)."""
    engine = FakeEngine([snapshot(1, with_verdict=True)])
    app = make_app(engine)

    async def run_before(pilot: Pilot[Any]) -> None:
        await steps(app, "4", snapshots=1)(pilot)
        app.query_one("#anomalies").focus()
        await pilot.press("e")
        for _ in range(50):
            if type(app.screen).__name__ == "ExplainScreen":
                break
            await pilot.pause(0.02)
        await pilot.pause()

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


def test_filter_bar_on_members(snap_compare: Any) -> None:
    """/ on a table opens the filter bar; a regex keeps the matching rows (before any cell is
    built), and the table's header says how many of how many."""
    engine = FakeEngine([snapshot(1)])
    app = make_app(engine)

    async def run_before(pilot: Pilot[Any]) -> None:
        await steps(app, "3", snapshots=1)(pilot)
        app.query_one("#members").focus()
        await pilot.press("slash", *"^m2")
        await pilot.pause()

    assert snap_compare(app, terminal_size=(120, 40), run_before=run_before)
