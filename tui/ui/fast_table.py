"""FastTable: a keyed, read-only table on Textual's Line API that renders only the visible rows.

DataTable measures and stores every cell and refreshes per ``update_cell``: at 1,000 partitions that
took seconds per refresh on a loaded 2-core box. Here ``update(rows)`` only swaps a list and
recomputes column widths (string lengths); ``render_line`` formats the ~40 rows on screen. So a
refresh costs the same at 10 or 10,000 partitions (toolong's LogLines does the same for log files).

Keys: up/down/page up/page down/home/end move the cursor, enter selects; a click moves the cursor,
a click on the cursor row selects it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.cells import cell_len
from rich.console import RenderableType
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

Cell = RenderableType
Row = tuple[str, tuple[Cell, ...]]
GAP = 2


def _text(cell: Cell) -> Text:
    if isinstance(cell, Text):
        return cell
    return Text(str(cell))


class FastTable(ScrollView, can_focus=True):
    """A table of keyed rows; only visible rows are rendered. Styled by ``fast_table.tcss`` (the app
    lists it in its CSS_PATH)."""

    COMPONENT_CLASSES = {"fast-table--header", "fast-table--cursor", "fast-table--zebra"}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "cursor(-1)", "Up", show=False),
        Binding("down", "cursor(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home", "edge(0)", "First", show=False),
        Binding("end", "edge(1)", "Last", show=False),
        Binding("enter", "select", "Select", show=False),
    ]

    class Highlighted(Message):
        """The cursor moved to the row ``key`` (None: the table is empty)."""

        def __init__(self, table: FastTable, key: str | None) -> None:
            super().__init__()
            self.table = table
            self.key = key

        @property
        def control(self) -> FastTable:
            return self.table

    class Selected(Message):
        """Enter (or a click on the cursor row) on the row ``key``."""

        def __init__(self, table: FastTable, key: str) -> None:
            super().__init__()
            self.table = table
            self.key = key

        @property
        def control(self) -> FastTable:
            return self.table

    def __init__(self, columns: Sequence[str], *, id: str | None = None,  # noqa: A002
                 classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.columns = list(columns)
        self._keys: list[str] = []
        self._cells: list[tuple[Cell, ...]] = []
        self._widths = [cell_len(c) for c in self.columns]
        self.cursor = 0
        self._cache: dict[tuple[int, bool], tuple[tuple[Cell, ...], Strip, Style]] = {}
        """(row, is cursor) -> (the cells it was built from, strip, fill style). An update keeps
        the entries whose cells did not change, so a refresh re-renders only changed rows."""
        self._widths_key: tuple[int, ...] = ()

    # ---- data --------------------------------------------------------------------------------

    @property
    def row_count(self) -> int:
        return len(self._keys)

    @property
    def keys(self) -> list[str]:
        return list(self._keys)

    def selected_key(self) -> str | None:
        return self._keys[self.cursor] if 0 <= self.cursor < len(self._keys) else None

    def row(self, key: str) -> tuple[Cell, ...] | None:
        try:
            return self._cells[self._keys.index(key)]
        except ValueError:
            return None

    def update(self, rows: Sequence[Row]) -> None:
        """Replace every row; the cursor stays on the same key when it still exists."""
        keep = self.selected_key()
        self._keys = [key for key, _ in rows]
        self._cells = [cells for _, cells in rows]
        widths = [cell_len(c) for c in self.columns]
        for cells in self._cells:
            for index, cell in enumerate(cells[: len(widths)]):
                length = cell.cell_len if isinstance(cell, Text) else cell_len(str(cell))
                if length > widths[index]:
                    widths[index] = length
        self._widths = widths
        if tuple(widths) != self._widths_key:  # a column width changed: every line changes
            self._widths_key = tuple(widths)
            self._cache.clear()
        moved = False
        if keep is not None and keep in self._keys:
            self.cursor = self._keys.index(keep)
        elif self.cursor >= len(self._keys):
            self.cursor = max(0, len(self._keys) - 1)
            moved = True
        elif self._keys:
            moved = True  # first rows, or the row under the cursor went away: another row is there
        total = sum(widths) + GAP * max(0, len(widths) - 1) + 1
        self.virtual_size = Size(total, len(self._keys) + 1)
        self.refresh()
        if moved:
            self.post_message(self.Highlighted(self, self.selected_key()))

    # ---- rendering ---------------------------------------------------------------------------

    def _line_text(self, cells: Sequence[Cell]) -> Text:
        line = Text(no_wrap=True, end="")
        for index, width in enumerate(self._widths):
            cell = _text(cells[index]) if index < len(cells) else Text("")
            if cell.cell_len > width:
                cell = cell.copy()
                cell.truncate(width, overflow="ellipsis")
            line.append_text(cell)
            line.append(" " * (width - min(cell.cell_len, width) + (GAP if index < len(
                self._widths) - 1 else 0)))
        return line

    def _strip(self, text: Text, style: Style) -> Strip:
        segments = list(text.render(self.app.console))
        segments = [s for s in segments if s.text != "\n"]
        return Strip(Segment.apply_style(segments, style))

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.size.width
        base = self.rich_style
        if y == 0:
            header_style = base + self.get_component_rich_style("fast-table--header")
            strip = self._strip(self._line_text([Text(c) for c in self.columns]), header_style)
            return strip.crop_extend(scroll_x, scroll_x + width, header_style)
        index = scroll_y + y - 1
        if index >= len(self._keys):
            return Strip.blank(width, base)
        is_cursor = index == self.cursor
        cells = self._cells[index]
        cached = self._cache.get((index, is_cursor))
        if cached is None or cached[0] != cells:
            style = base
            if index % 2 == 1:
                style = style + self.get_component_rich_style("fast-table--zebra")
            if is_cursor:
                style = style + self.get_component_rich_style("fast-table--cursor")
            cached = (cells, self._strip(self._line_text(cells), style), style)
            self._cache[(index, is_cursor)] = cached
        _, strip, fill = cached
        return strip.crop_extend(scroll_x, scroll_x + width, fill)

    def on_focus(self) -> None:
        self._cache.clear()
        self.refresh()

    def on_blur(self) -> None:
        self._cache.clear()
        self.refresh()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._cache.clear()

    # ---- cursor ------------------------------------------------------------------------------

    def move_cursor(self, row: int) -> None:
        if not self._keys:
            return
        row = max(0, min(len(self._keys) - 1, row))
        if row != self.cursor:
            self.cursor = row
            self._cache.clear()
            self.refresh()
            self.post_message(self.Highlighted(self, self.selected_key()))
        body = max(1, self.size.height - 1)
        if row < self.scroll_y:
            self.scroll_to(y=row, animate=False)
        elif row >= self.scroll_y + body:
            self.scroll_to(y=row - body + 1, animate=False)

    def action_cursor(self, delta: int) -> None:
        self.move_cursor(self.cursor + delta)

    def action_page(self, direction: int) -> None:
        self.move_cursor(self.cursor + direction * max(1, self.size.height - 2))

    def action_edge(self, end: int) -> None:
        self.move_cursor(len(self._keys) - 1 if end else 0)

    def action_select(self) -> None:
        key = self.selected_key()
        if key is not None:
            self.post_message(self.Selected(self, key))

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None or offset.y < 1:
            return
        row = int(self.scroll_y) + offset.y - 1
        if row >= len(self._keys):
            return
        if row == self.cursor:
            self.action_select()
        else:
            self.move_cursor(row)
