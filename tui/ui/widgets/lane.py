"""The record lane widget: every partition of a topic as a row of cells, one glyph per fate.

It draws the engine's :class:`~tui.engine.LaneView` (it derives no Kafka state): a title, a row of
cells per partition with its markers underneath (``S`` log start, ``L`` last stable offset, ``H``
high watermark, ``C`` the lane's group's committed offset, ``c`` another group's, ``1``-``9`` the
members' positions), a line about the cell under the cursor, and a legend. Every fate has its own
glyph, so the lane reads without colour and in the high-contrast theme; colours come from the
current theme (:data:`FATE_COLOURS`, checked for contrast in tests/ui/test_lane_contrast.py).

The widget asks for the lane it shows: :meth:`RecordLane.show` posts a ``WatchLane`` request (as a
``CommandRequested``, never announced) whenever the topic, the zoom or the window it needs changed,
and the engine puts the lane in the next snapshots. Keys: arrows move the cursor (up/down between
partitions), ``+``/``-`` zoom, ``0`` fits the whole lane, ``enter`` on a cell of one record asks for
its explained timeline (:class:`~tui.ui.messages.ExplainWanted`); on a cell of many, it zooms in.
Lines are drawn with ``render_line`` from cached strips (no child widgets, no markup).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.strip import Strip
from textual.theme import Theme
from textual.widget import Widget

from tui.engine import (
    FATE_GLYPHS,
    FATE_WORDS,
    LEGEND_ORDER,
    LanePartition,
    LaneView,
    WatchLane,
    fate_of,
)
from tui.ui.colours import tone
from tui.ui.fmt import num, payload
from tui.ui.messages import CommandRequested, ExplainWanted, Request
from tui.ui.themes import resolve_colour
from tui.vocab import RecordFate

LOG = logging.getLogger("kafka_explorer.ui")
GLYPHS = FATE_GLYPHS
"""One distinct glyph per fate (the engine's table, shared with the HTML report)."""
FATE_COLOURS: Mapping[RecordFate, str] = {
    RecordFate.PENDING: "foreground-muted", RecordFate.DELIVERED: "primary",
    RecordFate.PROCESSED: "success", RecordFate.PROCESSED_TWICE: "warning",
    RecordFate.SKIPPED: "error", RecordFate.LOST: "error", RecordFate.DEAD_LETTERED: "secondary",
    RecordFate.ABORTED: "accent", RecordFate.GAP: "foreground-muted",
}
"""The theme variable each fate is drawn in."""
MARKERS: tuple[tuple[str, str], ...] = (
    ("S", "log start"), ("L", "last stable"), ("H", "high watermark"), ("C", "committed"),
    ("c", "other group's commit"), ("1-9", "member positions"))
"""The marker letters, as the legend explains them."""
ZOOMS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000,
         200_000, 500_000, 1_000_000)
"""Records per cell the zoom keys step through (0, fit, is the default)."""
RESEND_S = 1.0
"""The same request is sent again at most this often (another screen may have asked for another)."""


def fate_colour(variables: Mapping[str, str], fate: RecordFate) -> str:
    """The opaque colour (``#rrggbb``) ``fate`` is drawn in, from a theme's CSS variables (a
    translucent one is seen over the theme's surface)."""
    surface = resolve_colour(variables.get("surface", "#000000"),
                             resolve_colour(variables.get("background", "#000000")))
    return resolve_colour(variables.get(FATE_COLOURS[fate], variables.get("foreground", "#FFFFFF")),
                          surface).hex


def _nearest(per_cell: int, finer: bool) -> int:
    """The next zoom level finer (fewer records per cell) or coarser than ``per_cell``."""
    if finer:
        return max((z for z in ZOOMS if z < per_cell), default=1)
    return min((z for z in ZOOMS if z > per_cell), default=ZOOMS[-1])


class RecordLane(Widget, can_focus=True):
    """The record lane of one topic (see the module doc). ``final``: which fates to ask for (True:
    the verdict's, False: live, None: final once a verdict audited the topic)."""


    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("left", "move(-1)", "◀", show=False), Binding("right", "move(1)", "▶", show=False),
        Binding("shift+left,pageup", "page(-1)", show=False),
        Binding("shift+right,pagedown", "page(1)", show=False),
        Binding("home", "edge(-1)", show=False), Binding("end", "edge(1)", show=False),
        Binding("up", "partition(-1)", show=False), Binding("down", "partition(1)", show=False),
        Binding("plus,equals_sign", "zoom(1)", "Zoom in", show=False),
        Binding("minus", "zoom(-1)", "Zoom out", show=False),
        Binding("0", "fit", "Fit", show=False),
        Binding("enter", "choose", "Timeline", show=False),
    ]

    def __init__(self, *, final: bool | None = None, id: str | None = None,  # noqa: A002
                 classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.final = final
        self.topic: str | None = None
        self.group: str | None = None
        self.lane: LaneView | None = None
        self.per_cell = 0
        """The zoom asked for (0: fit)."""
        self.origin: int | None = None
        """The offset of the first cell asked for (None: the lane's start)."""
        self.cursor_offset: int | None = None
        self.row = 0
        """Index of the cursor's partition in the lane."""
        self._left: int | None = None
        """Offset at the left edge of the drawn cells."""
        self._sent: tuple[WatchLane, float] | None = None
        self._lines: list[Strip] = []
        self._built_for: tuple[object, ...] | None = None
        self._styles: dict[RecordFate, Style] = {}
        """Each fate's style in the current theme (cleared when the theme changes)."""
        self._legend: tuple[int, list[Text]] | None = None

    # ---- data ----------------------------------------------------------------------------------

    def show(self, lane: LaneView | None, topic: str | None, group: str | None = None) -> None:
        """Show ``lane`` (the snapshot's) for ``topic``; ask the engine for the lane this widget
        needs when the snapshot carries another one. Hidden until a lane of ``topic`` arrives."""
        if topic != self.topic or group != self.group:
            self.topic, self.group = topic, group
            self.per_cell, self.origin, self.cursor_offset, self.row, self._left = 0, None, None, 0, None
        mine = lane is not None and lane.topic == topic and (self.final is None
                                                            or lane.final == self.final)
        self.lane = lane if mine else None
        self.display = self.lane is not None
        self._request()
        self._rebuild()

    def _cells_width(self) -> int:
        return max(8, self.content_size.width - self._label_width() - 1)

    def _label_width(self) -> int:
        lane = self.lane
        widest = max((len(str(p.partition)) for p in lane.partitions), default=1) if lane else 1
        return widest + 1

    def wanted(self) -> WatchLane | None:
        """The request this widget needs answered now (None: no topic)."""
        if self.topic is None:
            return None
        width = self._cells_width() if self.content_size.width else 100
        return WatchLane(self.topic, group=self.group, final=self.final, per_cell=self.per_cell,
                         origin=self.origin, width=width)

    def _request(self) -> None:
        cmd = self.wanted()
        if cmd is None:
            return
        now = time.monotonic()
        # the same request again only while no lane of ours arrives (another screen asked for its own)
        if self._sent is not None and self._sent[0] == cmd and (
                self.lane is not None or now - self._sent[1] < RESEND_S):
            return
        self._sent = (cmd, now)
        # straight to the app (which submits it): a hidden lane's own queue is not always served
        self.app.post_message(CommandRequested(Request(cmd, "record lane", announce=False)))

    # ---- geometry --------------------------------------------------------------------------------

    def _partition(self) -> LanePartition | None:
        lane = self.lane
        if lane is None or not lane.partitions:
            return None
        self.row = max(0, min(self.row, len(lane.partitions) - 1))
        return lane.partitions[self.row]

    def _cursor_cell(self) -> int:
        lane = self.lane
        if lane is None:
            return 0
        if self.cursor_offset is None:
            part = self._partition()
            self.cursor_offset = (part.first if part is not None and part.first is not None
                                  else lane.origin)
        return lane.cell_of(self.cursor_offset)

    def _left_cell(self) -> int:
        """The first drawn cell: the cursor stays in view."""
        lane = self.lane
        if lane is None:
            return 0
        width = self._cells_width()
        left = lane.cell_of(self._left) if self._left is not None else 0
        cursor = self._cursor_cell()
        if cursor < left:
            left = cursor
        elif cursor >= left + width:
            left = cursor - width + 1
        left = max(0, min(left, max(0, lane.cell_count - width)))
        self._left = lane.origin + left * lane.per_cell
        return left

    # ---- drawing ---------------------------------------------------------------------------------

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        if self.lane is None:
            return 1
        return 2 + 2 * len(self.lane.partitions) + len(self._legend_lines(width))

    def on_mount(self) -> None:
        self.app.theme_changed_signal.subscribe(self, self._theme_changed)

    def _theme_changed(self, theme: Theme) -> None:
        self._built_for = None
        self._styles.clear()
        self._legend = None
        self._rebuild()

    def on_resize(self) -> None:
        self._built_for = None
        self._rebuild()
        self._request()

    def on_focus(self) -> None:
        self._rebuild(force=True)

    def on_blur(self) -> None:
        self._rebuild(force=True)

    def render_line(self, y: int) -> Strip:
        width = self.content_size.width
        if y < len(self._lines):
            return self._lines[y].crop_extend(0, width, self.rich_style)
        return Strip.blank(width, self.rich_style)

    def _style(self, fate: RecordFate | None) -> Style:
        if fate is None:
            return Style()
        style = self._styles.get(fate)
        if style is None:
            style = Style(color=fate_colour(self.app.theme_variables, fate),
                          bold=fate is RecordFate.LOST)
            self._styles[fate] = style
        return style

    def _legend_lines(self, width: int) -> list[Text]:
        if self._legend is not None and self._legend[0] == width:
            return self._legend[1]
        legend = Text(no_wrap=False)
        for fate in LEGEND_ORDER:
            legend.append(GLYPHS[fate], style=self._style(fate) if self.is_attached else "")
            legend.append(f" {FATE_WORDS[fate]}  ")
        legend.append("│ ")
        for letter, word in MARKERS:
            legend.append(letter, style=Style(bold=True))
            legend.append(f" {word}  ")
        legend.append("│ ← → ↑ ↓ move  + − zoom  0 fit  enter timeline")
        if not self.is_attached or width <= 0:
            return [legend]
        lines = list(legend.wrap(self.app.console, max(10, width)))
        self._legend = (width, lines)
        return lines

    def _rebuild(self, force: bool = False) -> None:
        if not self.is_attached:
            return
        width = self.content_size.width
        key = (self.lane, width, self.content_size.height, self.row, self.cursor_offset,
               self.has_focus)
        if key == self._built_for and not force:
            return
        self._built_for = key
        lane = self.lane
        if lane is None or width <= 0:
            self._lines = []
            self.refresh()
            return
        try:
            self._lines = self._draw(lane, width)
        except Exception:  # a drawing bug must not end the session: say it in the lane's place
            LOG.exception("drawing the record lane failed")
            self._lines = [Strip([Segment("Record lane: could not be drawn (see the log).")])]
        self.refresh(layout=True)

    def _draw(self, lane: LaneView, width: int) -> list[Strip]:
        console = self.app.console
        lines: list[Text] = [self._title(lane)]
        label_w = self._label_width()
        cells_w = self._cells_width()
        left = self._left_cell()
        cursor_cell = self._cursor_cell()
        legend = self._legend_lines(width)
        height = self.content_size.height or (2 + 2 * len(lane.partitions) + len(legend))
        # no row for a lane with no partitions yet (a topic just created): the detail line says so
        rows = min(len(lane.partitions), max(1, (height - 2 - min(1, len(legend))) // 2))
        first_row = max(0, min(self.row - rows + 1, len(lane.partitions) - rows)) if self.row >= rows else 0
        members = {name: i for i, name in enumerate(lane.members)}
        marker_style = tone(self, "accent") + Style(bold=True)
        for index in range(first_row, first_row + rows):
            part = lane.partitions[index]
            is_cursor_row = index == self.row
            row = Text(f"p{part.partition}".rjust(label_w) + " ", no_wrap=True,
                       style=Style(bold=is_cursor_row))
            for i in range(left, left + cells_w):
                code = part.cells[i] if i < len(part.cells) else " "
                fate = fate_of(code)
                glyph = GLYPHS[fate] if fate is not None else " "
                style = self._style(fate)
                if is_cursor_row and i == cursor_cell:
                    style += Style(reverse=True, bold=True) if self.has_focus else Style(underline=True)
                row.append(glyph, style=style)
            lines.append(row)
            marks = [" "] * cells_w
            for letter, offsets in self._marker_plan(lane, part, members):
                for offset in offsets:
                    column = lane.cell_of(offset) - left
                    if 0 <= column < cells_w:
                        marks[column] = letter
            lines.append(Text(" " * (label_w + 1) + "".join(marks), style=marker_style, no_wrap=True))
        lines.append(self._detail(lane))
        room = max(0, height - len(lines))
        lines.extend(legend[:room])
        strips = []
        for text in lines:
            segments = [s for s in text.render(console) if s.text != "\n"]
            strips.append(Strip(Segment.apply_style(segments, self.rich_style)).crop(0, width))
        return strips

    @staticmethod
    def _marker_plan(lane: LaneView, part: LanePartition,
                     members: Mapping[str, int]) -> list[tuple[str, list[int]]]:
        """Marker letters and their offsets, least important first (a later one overwrites)."""
        plan: list[tuple[str, list[int]]] = []
        for name, offset in part.positions:
            index = members.get(name, 9)
            plan.append((str(index + 1) if index < 9 else "+", [offset]))
        plan.append(("S", [part.log_start] if part.log_start is not None else []))
        plan.append(("L", [part.last_stable] if part.last_stable is not None else []))
        plan.append(("H", [part.high_watermark] if part.high_watermark is not None else []))
        plan.append(("c", [o for g, o in part.committed if g != lane.group]))
        plan.append(("C", [o for g, o in part.committed if g == lane.group]))
        return plan

    def _title(self, lane: LaneView) -> Text:
        title = Text(no_wrap=True)
        title.append("Record lane ", style=tone(self, "accent") + Style(bold=True))
        title.append(payload(lane.topic, 80), style=Style(bold=True))
        title.append(f" · group {payload(lane.group, 60)}" if lane.group else " · no group reads it yet")
        title.append(" · final (verdict)" if lane.final else " · live")
        title.append(f" · {num(lane.per_cell)} record{'s' if lane.per_cell != 1 else ''}/cell")
        if self.per_cell == 0:
            title.append(" (fit)")
        if lane.partitions_total > len(lane.partitions):
            title.append(f" · partitions {len(lane.partitions)} of {num(lane.partitions_total)}")
        return title

    def _detail(self, lane: LaneView) -> Text:
        """The cell under the cursor: its offsets, fate, record and markers."""
        part = self._partition()
        if part is None:
            return Text("no partitions yet", style=Style(dim=True))
        cell = self._cursor_cell()
        first, after = lane.offsets_of(cell)
        fate = part.fate(cell)
        text = Text(no_wrap=True)
        where = f"p{part.partition} @{first}" if lane.per_cell == 1 else \
            f"p{part.partition} @{first}–{after - 1}"
        text.append(where, style=Style(bold=True))
        if fate is None:
            text.append(" outside the log")
        else:
            text.append(" ")
            text.append(GLYPHS[fate], style=self._style(fate))
            text.append(f" {FATE_WORDS[fate]}" + ("" if lane.per_cell == 1 else " (most notable)"))
        msg_id = part.msg_id(cell)
        if msg_id is not None:
            text.append(f" · {payload(msg_id, 60)} · enter: its timeline")
        elif lane.per_cell > 1:
            text.append(" · enter: zoom in")
        here = [f"{letter} {o}" for letter, offsets in self._marker_plan(lane, part, {})
                for o in offsets if first <= o < after and letter in "SLHCc"]
        here += [f"{name} at {o}" for name, o in part.positions if first <= o < after]
        if here:
            text.append(" · " + ", ".join(here))
        counts = ", ".join(f"{num(n)} {FATE_WORDS[RecordFate(f)]}" for f, n in part.counts)
        if counts:
            text.append(f" · p{part.partition}: {counts}", style=Style(dim=True))
        return text

    # ---- keys ------------------------------------------------------------------------------------

    def _moved(self) -> None:
        lane = self.lane
        if lane is not None and self.cursor_offset is not None:
            low = min((p.first for p in lane.partitions if p.first is not None), default=lane.origin)
            self.cursor_offset = max(low, min(self.cursor_offset, lane.end - 1))
            window_end = lane.origin + lane.cell_count * lane.per_cell
            if not lane.origin <= self.cursor_offset < window_end:
                # past the cells this view carries: ask for a window around the cursor
                self.origin = max(0, self.cursor_offset - self._cells_width() * lane.per_cell)
                self._request()
        self._rebuild()

    def action_move(self, step: int) -> None:
        if self.lane is None:
            return
        self._cursor_cell()
        assert self.cursor_offset is not None
        self.cursor_offset += step * self.lane.per_cell
        self._moved()

    def action_page(self, step: int) -> None:
        self.action_move(step * max(1, self._cells_width() - 1))

    def action_edge(self, side: int) -> None:
        lane, part = self.lane, self._partition()
        if lane is None or part is None:
            return
        self.cursor_offset = (part.first if part.first is not None else lane.origin) if side < 0 \
            else max(lane.origin, (part.end if part.end is not None else lane.end) - 1)
        self._moved()

    def action_partition(self, step: int) -> None:
        if self.lane is None:
            return
        self.row = max(0, min(self.row + step, len(self.lane.partitions) - 1))
        self._rebuild()

    def action_zoom(self, direction: int) -> None:
        lane = self.lane
        if lane is None:
            return
        current = lane.per_cell
        self.per_cell = _nearest(current, finer=direction > 0)
        self._cursor_cell()
        centre = self.cursor_offset if self.cursor_offset is not None else lane.origin
        self.origin = max(0, centre - (self._cells_width() // 2) * self.per_cell)
        self._left = None
        self._request()

    def action_fit(self) -> None:
        self.per_cell, self.origin, self._left = 0, None, None
        self._request()

    def action_choose(self) -> None:
        lane, part = self.lane, self._partition()
        if lane is None or part is None:
            return
        cell = self._cursor_cell()
        if lane.per_cell > 1:
            self.per_cell = 1
            self.cursor_offset = lane.offsets_of(cell)[0]
            self.origin = max(0, self.cursor_offset - self._cells_width() // 2)
            self._left = None
            self._request()
            return
        msg_id = part.msg_id(cell)
        if msg_id is None:
            self.app.notify("No record of ours at this offset (nothing was delivered or re-read "
                            "there yet).", severity="warning", timeout=4)
            return
        fate = part.fate(cell)
        what = f"{lane.topic}/{part.partition}@{lane.offsets_of(cell)[0]}" + (
            f" {FATE_WORDS[fate]}" if fate is not None else "")
        self.post_message(ExplainWanted(msg_id, what))
