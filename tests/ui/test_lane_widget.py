"""The record lane widget on scripted lanes: SVG snapshots at 80x24, 120x40 and 200x60 (every fate
and marker present), the high-contrast theme, keys (cursor, zoom, fit, enter) and what it asks for."""

from __future__ import annotations

from typing import Any

import pytest
from textual.pilot import Pilot

from tests.ui.lane_scripts import LaneApp, every_fate_lane
from tui.engine import LaneView, WatchLane
from tui.ui.widgets.lane import GLYPHS, RecordLane
from tui.vocab import RecordFate

SIZES = {"80x24": (80, 24), "120x40": (120, 40), "200x60": (200, 60)}


async def _move(pilot: Pilot[Any]) -> None:
    await pilot.pause()
    for key in ("right", "right", "right", "down"):
        await pilot.press(key)
    await pilot.pause()


@pytest.mark.parametrize("size", sorted(SIZES))
def test_lane_every_fate_and_marker(snap_compare: Any, size: str) -> None:
    assert snap_compare(LaneApp(), terminal_size=SIZES[size], run_before=_move)


def test_lane_high_contrast(snap_compare: Any) -> None:
    assert snap_compare(LaneApp(theme="kx-high-contrast"), terminal_size=(120, 40), run_before=_move)


def test_every_fate_has_its_own_glyph() -> None:
    assert set(GLYPHS) == set(RecordFate)
    assert len(set(GLYPHS.values())) == len(GLYPHS)


def _text(app: LaneApp) -> list[str]:
    lane = app.query_one(RecordLane)
    return [lane.render_line(y).text for y in range(lane.size.height)]


async def test_lane_draws_glyphs_markers_and_the_cursor_cell() -> None:
    app = LaneApp()
    async with app.run_test(size=(120, 40)) as pilot:
        await _move(pilot)
        lines = _text(app)
        assert lines[0].startswith("Record lane orders · group workers · final (verdict)")
        p0 = next(line for line in lines if line.lstrip().startswith("p0"))
        assert "●" * 12 + "»" * 7 + "◉" * 3 + "○" * 4 + "·" * 6 in p0
        markers = lines[lines.index(p0) + 1]
        assert markers.index("C") - markers.index("S") == 19  # committed past the 7 skipped cells
        assert "1" in markers
        assert "c" in markers
        assert "H" in markers
        p1 = next(line for line in lines if line.lstrip().startswith("p1"))
        assert "††" in p1
        assert "⊘⊘⊘⊘" in p1
        assert "-" in p1
        assert "L" in lines[lines.index(p1) + 1]
        assert "✗✗✗" in next(line for line in lines if line.lstrip().startswith("p2"))
        detail = next(line for line in lines if line.startswith("p1 @3"))
        assert "processed" in detail
        assert "run1/p1/0/103" in detail


async def test_enter_asks_for_the_records_timeline() -> None:
    app = LaneApp()
    async with app.run_test(size=(120, 40)) as pilot:
        await _move(pilot)
        await pilot.press("enter")
        await pilot.pause()
        assert app.explained == ["run1/p1/0/103"]


async def test_zoom_keys_ask_for_another_zoom_and_fit_asks_for_the_whole_lane() -> None:
    app = LaneApp()
    async with app.run_test(size=(120, 40)) as pilot:
        await _move(pilot)
        first = app.requests[-1]
        assert isinstance(first, WatchLane)
        assert (first.topic, first.final, first.per_cell) == ("orders", True, 0)
        await pilot.press("minus")
        await pilot.pause()
        assert app.requests[-1].per_cell == 2
        await pilot.press("0")
        await pilot.pause()
        assert app.requests[-1].per_cell == 0


async def test_enter_on_a_cell_of_many_records_zooms_in() -> None:
    app = LaneApp(every_fate_lane(per_cell=10))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("right", "enter")
        await pilot.pause()
        cmd = app.requests[-1]
        assert cmd.per_cell == 1
        assert app.explained == []


async def test_a_lane_of_another_topic_is_not_shown() -> None:
    app = LaneApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        lane = app.query_one(RecordLane)
        lane.show(every_fate_lane(), "payments")
        await pilot.pause()
        assert not lane.display
        assert app.requests[-1].topic == "payments"


async def test_a_lane_without_partitions_yet_is_drawn() -> None:
    """A topic just created: the engine's lane has no partitions yet (the watcher has not seen it)."""
    empty = LaneView(topic="orders", group=None, final=True, per_cell=1, origin=0, end=1,
                     partitions=())
    app = LaneApp(empty)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        lines = _text(app)
        assert lines[0].startswith("Record lane orders · no group reads it yet · final")
        assert any("no partitions yet" in line for line in lines)
