"""Scripted record lanes for the lane widget's tests: every fate and every marker present."""

from __future__ import annotations

from typing import Any

from textual.app import App, ComposeResult

from tui.engine import FATE_CODES, LanePartition, LaneView
from tui.ui.themes import load_themes
from tui.ui.widgets import WIDGETS_CSS
from tui.ui.widgets.lane import RecordLane
from tui.vocab import RecordFate

F = FATE_CODES


def cells(*runs: tuple[RecordFate | None, int]) -> str:
    return "".join((F[fate] if fate is not None else " ") * n for fate, n in runs)


def every_fate_lane(per_cell: int = 1) -> LaneView:
    """Three partitions of ``orders`` after an auto-commit crash, a dead-letter policy and a
    transaction: every fate, and the S / L / H / C / c / member markers."""
    p0 = cells((RecordFate.PROCESSED, 12), (RecordFate.SKIPPED, 7), (RecordFate.PROCESSED_TWICE, 3),
               (RecordFate.DELIVERED, 4), (RecordFate.PENDING, 6), (None, 1))
    p1 = cells((RecordFate.GAP, 2), (RecordFate.PROCESSED, 8), (RecordFate.DEAD_LETTERED, 2),
               (RecordFate.PROCESSED, 6), (RecordFate.ABORTED, 4), (RecordFate.GAP, 1),
               (RecordFate.PENDING, 5), (None, 5))
    p2 = cells((RecordFate.PROCESSED, 10), (RecordFate.LOST, 3), (None, 20))
    ids0 = tuple(f"run1/p1/0/{i}" for i in range(len(p0) - 1)) + (None,)
    ids1 = tuple(f"run1/p1/0/{100 + i}" if i >= 2 else None for i in range(len(p1)))
    ids2 = tuple(f"run1/p1/0/{200 + i}" if i < 13 else None for i in range(len(p2)))
    return LaneView(
        topic="orders", group="workers", final=True, per_cell=per_cell, origin=0, end=len(p2),
        partitions=(
            LanePartition(0, p0, log_start=0, high_watermark=32, committed=(("workers", 19),
                          ("audit", 26)), positions=(("m1", 24),),
                          counts=(("skipped", 7), ("processed-twice", 3), ("delivered", 4),
                                  ("pending", 6), ("processed", 12)),
                          msg_ids=ids0, first=0, end=32),
            LanePartition(1, p1, log_start=2, high_watermark=28, last_stable=22,
                          committed=(("workers", 18),), positions=(("m2", 20),),
                          counts=(("dead-lettered", 2), ("aborted", 4), ("pending", 5),
                                  ("processed", 14), ("gap", 3)),
                          msg_ids=ids1, first=0, end=28),
            LanePartition(2, p2, log_start=0, high_watermark=10, committed=(("workers", 10),),
                          counts=(("lost", 3), ("processed", 10)), msg_ids=ids2, first=0, end=13),
        ),
        groups=("audit", "workers"), members=("m1", "m2"), partitions_total=3)


class LaneApp(App[None]):
    """One record lane on a screen, fed a scripted lane (no engine: requests are recorded)."""

    CSS_PATH = WIDGETS_CSS  # the widget's stylesheet, as the explorer loads it

    def __init__(self, lane: LaneView | None = None, theme: str = "kx-dark") -> None:
        super().__init__()
        self.scripted = lane or every_fate_lane()
        self.requests: list[Any] = []
        self.explained: list[str] = []
        self._theme_name = theme

    def compose(self) -> ComposeResult:
        yield RecordLane(final=True, id="lane")

    def on_mount(self) -> None:
        for theme in load_themes().themes.values():
            self.register_theme(theme)
        self.theme = self._theme_name
        self.query_one(RecordLane).show(self.scripted, "orders")
        self.query_one(RecordLane).focus()

    def on_command_requested(self, message: Any) -> None:
        self.requests.append(message.request.cmd)

    def on_explain_wanted(self, message: Any) -> None:
        self.explained.append(message.msg_id)
