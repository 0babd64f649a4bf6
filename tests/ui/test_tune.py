"""The Tune screen: producers compared (the one differing setting, CDF, statistics), a sweep's
scatter with its frontier, selection, and the sweep form's one-sentence refusals."""

from __future__ import annotations

from typing import Any

from textual.widgets import Input, Static

from tests.ui.fakes import plain
from tests.ui.tune_fixtures import TuneApp, two_producers
from tui.ui.tune import TunePane
from tui.ui.tune.sweep_form import SweepForm


async def test_the_one_setting_that_differs_is_named() -> None:
    app = TuneApp(two_producers())
    async with app.run_test(size=(140, 44)) as pilot:
        await pilot.pause()
        text = plain(app.query_one("#tune-differs", Static))
        assert "The one setting that differs: linger.ms: eager 0 · patient 50" in text
        stats = plain(app.query_one("#tune-stats", Static))
        assert "batch fill" in stats
        assert "raise linger.ms" in stats  # 0 % fill with linger.ms=50: the advice names the setting


async def test_selecting_one_producer_leaves_nothing_to_compare() -> None:
    app = TuneApp(two_producers())
    async with app.run_test(size=(140, 44)) as pilot:
        await pilot.pause()
        pane = app.query_one(TunePane)
        pane.table.focus()
        pane.action_toggle_compare()
        await pilot.pause()
        assert len(pane.selected) == 1
        assert "Select another producer" in plain(app.query_one("#tune-differs", Static))
        pane.action_clear_compare()
        await pilot.pause()
        assert "linger.ms" in plain(app.query_one("#tune-differs", Static))


async def test_sweep_text_marks_the_frontier() -> None:
    app = TuneApp(two_producers(), with_sweep=True)
    async with app.run_test(size=(140, 44)) as pilot:
        await pilot.pause()
        text = plain(app.query_one("#tune-sweep", Static))
        assert "3/3 points, done" in text
        assert "◆ linger=5" in text
        assert "◆ linger=50" not in text


async def test_sweep_form_refuses_a_bad_grid_in_one_sentence() -> None:
    app = TuneApp(two_producers())
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        results: list[Any] = []
        app.push_screen(SweepForm("demo"), results.append)
        await pilot.pause()
        form = app.screen
        form.query_one("#sweep-compression", Input).value = "none,brotli"
        form.action_submit()  # type: ignore[attr-defined]
        await pilot.pause()
        assert "Unknown compression.type 'brotli'" in plain(form.query_one("#sweep-error", Static))
        assert results == []  # still open
        form.query_one("#sweep-compression", Input).value = "none,lz4"
        form.query_one("#sweep-acks", Input).value = "1"
        form.action_submit()  # type: ignore[attr-defined]
        await pilot.pause()
        assert len(results) == 1
        assert results[0].grid.compression == ("none", "lz4")
        assert results[0].grid.linger_ms == (0, 5, 50)


def test_tune_screen_snapshot(snap_compare: Any) -> None:
    """Two producers compared: table, the highlighted difference, CDF, sweep scatter, statistics."""
    app = TuneApp(two_producers(), with_sweep=True)
    assert snap_compare(app, terminal_size=(140, 44))
