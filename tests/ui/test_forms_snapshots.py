"""SVG snapshots of each form and of the help screen at 80×24 and 120×40 (fake engine, fixed size).

At 80×24 a form must show one line per input, its explanation, the error line and OK / Cancel.
Regenerate after an intended visual change with
``pytest tests/ui/test_forms_snapshots.py --snapshot-update`` and review the SVGs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from tests.ui.fakes import FakeEngine, snapshot
from tui.ui.app import ExplorerApp
from tui.ui.fast_table import FastTable
from tui.ui.forms.base import FormScreen
from tui.ui.help import HelpScreen
from tui.ui.settings import Settings

SIZES = {"80x24": (80, 24), "120x40": (120, 40)}


def make_app() -> ExplorerApp:
    return ExplorerApp(FakeEngine([snapshot(1)]), theme="kx-dark", settings=Settings(),
                       remember=False, pump=False,
                       keymap_path=Path("/home/user/.config/kafka-explorer/keymap.yaml"))


def open_form(app: ExplorerApp, screen_key: str, key: str, *typed: str) -> Any:
    async def run_before(pilot: Pilot[Any]) -> None:
        app.apply_snapshot(app.engine.snapshot())  # type: ignore[attr-defined]
        await pilot.pause()
        await pilot.press(screen_key)
        if screen_key == "1":
            app.query_one("#nodes", FastTable).focus()
        await pilot.press(key)
        for _ in range(100):
            if isinstance(app.screen, FormScreen) and app.screen.open_ms is not None:
                break
            await pilot.pause(0.02)
        await pilot.press(*typed)
        for widget in app.screen.query(Input):
            widget.cursor_blink = False  # a blinking cursor would make the picture flaky
        await pilot.pause()
        await pilot.wait_for_scheduled_animations()

    return run_before


@pytest.mark.parametrize("size", SIZES)
def test_topic_form_refusing_zero_partitions(snap_compare: Any, size: str) -> None:
    """Partitions 0 is refused under the field and on the error line; OK and Cancel visible."""
    app = make_app()
    assert snap_compare(app, terminal_size=SIZES[size],
                        run_before=open_form(app, "1", "n", "enter", "0"))


@pytest.mark.parametrize("size", SIZES)
def test_producer_form(snap_compare: Any, size: str) -> None:
    """The producer form with the explanation of each setting; fields scroll at 80×24."""
    app = make_app()
    assert snap_compare(app, terminal_size=SIZES[size], run_before=open_form(app, "2", "n"))


@pytest.mark.parametrize("size", SIZES)
def test_member_form(snap_compare: Any, size: str) -> None:
    """The member form with the strategy's description under it."""
    app = make_app()
    assert snap_compare(app, terminal_size=SIZES[size], run_before=open_form(app, "3", "a"))


@pytest.mark.parametrize("size", SIZES)
def test_help_screen(snap_compare: Any, size: str) -> None:
    """Help: getting started first, then every command with its live key (fixed log path)."""
    app = make_app()

    async def run_before(pilot: Pilot[Any]) -> None:
        app.apply_snapshot(app.engine.snapshot())  # type: ignore[attr-defined]
        await pilot.pause()
        app.push_screen(HelpScreen({}, "/home/user/.config/kafka-explorer/keymap.yaml", True,
                                   log=Path("/home/user/.local/state/kafka-explorer/kafka-explorer.log"),
                                   settings=Path("/home/user/.config/kafka-explorer/settings.yaml")))
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZES[size], run_before=run_before)
