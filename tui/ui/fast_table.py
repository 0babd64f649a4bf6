"""FastTable: a keyed, read-only, virtualised table on Textual's Line API.

DataTable measures and stores every cell and refreshes per ``update_cell``: at 1,000 partitions that
took seconds per refresh on a loaded 2-core box. A FastTable is given a *row source*
(:class:`Rows`): a length, a key, a name and the cells of row ``i``, built only when row ``i`` is on
screen. So a refresh of 30,000 partitions costs the ~40 rows that are visible; a row whose cells did
not change keeps its rendered strip (toolong's LogLines does the same for log files).

Columns fit the window: key figures come first and settings last (the panes order them so); when the
table is too narrow, ``flex`` columns shrink first, then long cells are cut, then the rightmost
columns are hidden (the header says how many). A column with ``cut=False`` (error names, ids) is
never cut: it is as wide as its widest visible cell.

``/`` asks the app for a filter bar (:class:`FastTable.FilterWanted`); the filter is a
case-insensitive regular expression (or plain text when it is not a valid one) matched against each
row's *name* before any cell is built.

Keys: up/down/page up/page down/home/end move the cursor, enter selects; a click moves the cursor,
a click on the cursor row selects it.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import ClassVar, Generic, Protocol, TypeVar

from rich.cells import cell_len
from rich.console import RenderableType
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.actions import SkipAction
from textual.binding import Binding, BindingType
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

Cell = RenderableType
Row = tuple[str, tuple[Cell, ...]]
T = TypeVar("T")

MAX_UNCUT = 80
"""Widest a never-cut column grows (beyond that even an error sentence is cut)."""
MIN_FLEX = 8
"""Narrowest a flex column shrinks to."""


@dataclass(frozen=True)
class Column:
    """How one column is laid out."""

    name: str
    width: int = 0
    """Minimum width (0: the header's width); numbers get a width so they do not jitter."""
    flex: bool = False
    """Takes the room left over, and is the first to shrink (text such as explanations)."""
    cut: bool = True
    """False: never truncated (error names, member names); other columns give way first."""
    right: bool = False
    """Right-aligned (counts and offsets)."""
    drop: bool = True
    """May be hidden when the window is too narrow (rightmost first)."""

    @property
    def least(self) -> int:
        return max(self.width, cell_len(self.name), MIN_FLEX if self.flex else 0)


def column(spec: str | Column) -> Column:
    return spec if isinstance(spec, Column) else Column(spec)


class Rows(Protocol):
    """A table's rows, built on demand (only visible rows are asked for their cells)."""

    def __len__(self) -> int: ...

    def key(self, index: int) -> str:
        """A stable id of row ``index`` (the cursor follows it across updates)."""
        ...

    def name(self, index: int) -> str:
        """What the filter matches (a topic, a member, a group...)."""
        ...

    def cells(self, index: int) -> tuple[Cell, ...]: ...


class ListRows:
    """Rows given in full (small tables)."""

    def __init__(self, rows: Sequence[Row], names: Sequence[str] | None = None) -> None:
        self._rows = rows
        self._names = names

    def __len__(self) -> int:
        return len(self._rows)

    def key(self, index: int) -> str:
        return self._rows[index][0]

    def name(self, index: int) -> str:
        if self._names is not None:
            return self._names[index]
        cells = self._rows[index][1]
        return str(cells[0]) if cells else self._rows[index][0]

    def cells(self, index: int) -> tuple[Cell, ...]:
        return self._rows[index][1]


class LazyRows(Generic[T]):
    """Rows over a sequence of view objects; cells are built only for the rows shown."""

    def __init__(self, items: Sequence[T], key: Callable[[T], str],
                 cells: Callable[[T], tuple[Cell, ...]], name: Callable[[T], str] | None = None
                 ) -> None:
        self.items = items
        self._key = key
        self._cells = cells
        self._name = name or key

    def __len__(self) -> int:
        return len(self.items)

    def key(self, index: int) -> str:
        return self._key(self.items[index])

    def name(self, index: int) -> str:
        return self._name(self.items[index])

    def cells(self, index: int) -> tuple[Cell, ...]:
        return self._cells(self.items[index])


NO_ROWS: Rows = ListRows(())


def _text(cell: Cell) -> Text:
    if isinstance(cell, Text):
        return cell
    return Text(str(cell))


def _length(cell: Cell) -> int:
    return cell.cell_len if isinstance(cell, Text) else cell_len(str(cell))


def compile_filter(text: str) -> tuple[re.Pattern[str] | None, str | None]:
    """(pattern, problem): a case-insensitive regex, or the literal text when it is not one."""
    text = text.strip()
    if not text:
        return None, None
    try:
        # a FutureWarning ("possible nested set" for "[[") would print over the screen
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            return re.compile(text, re.IGNORECASE), None
    except re.error as exc:
        return re.compile(re.escape(text), re.IGNORECASE), f"not a regular expression ({exc}): " \
                                                          "matching the plain text"


@dataclass(frozen=True)
class Layout:
    shown: tuple[int, ...]
    """Indices of the columns on screen, in order."""
    widths: tuple[int, ...]
    gap: int
    hidden: int
    """Columns that did not fit."""


class FastTable(ScrollView, can_focus=True):
    """A table of keyed rows; only visible rows are built and rendered. Styled by
    ``fast_table.tcss`` (the app lists it in its CSS_PATH)."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {"fast-table--header", "fast-table--cursor",
                                             "fast-table--zebra", "fast-table--marker"}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "cursor(-1)", "Up", show=False),
        Binding("down", "cursor(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home", "edge(0)", "First", show=False),
        Binding("end", "edge(1)", "Last", show=False),
        Binding("enter", "select", "Select", show=False),
        Binding("slash", "filter", "Filter rows", show=False,
                tooltip="Filter this table by name or regular expression."),
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

    class FilterWanted(Message):
        """``/`` on a filterable table: the app opens its filter bar for it."""

        def __init__(self, table: FastTable) -> None:
            super().__init__()
            self.table = table

        @property
        def control(self) -> FastTable:
            return self.table

    class FilterChanged(Message):
        """The table's filter changed (its pane may retitle itself)."""

        def __init__(self, table: FastTable) -> None:
            super().__init__()
            self.table = table

        @property
        def control(self) -> FastTable:
            return self.table

    def __init__(self, columns: Sequence[str | Column], *, id: str | None = None,  # noqa: A002
                 classes: str | None = None, filterable: bool = True) -> None:
        super().__init__(id=id, classes=classes)
        self.specs = tuple(column(c) for c in columns)
        self.filterable = filterable
        self._source: Rows = NO_ROWS
        self._view: Sequence[int] = range(0)
        """Source indices that pass the filter, in order."""
        self.cursor = 0
        """Index into the filtered rows."""
        self._selected: str | None = None
        self._wanted: str | None = None
        """The row the user put the cursor on: it comes back when a filter hid it and then
        changed."""
        self._filter = ""
        self._pattern: re.Pattern[str] | None = None
        self.filter_problem: str | None = None
        self._cells: dict[int, tuple[Cell, ...]] = {}
        """Source index -> cells, for the current source (built when first shown)."""
        self._strips: dict[tuple[str, bool, bool], tuple[tuple[Cell, ...], Style, Strip]] = {}
        self._sized: Size | None = None
        """The size the column widths were last reset for."""
        """(key, is cursor, zebra) -> (the cells it was built from, strip): an update keeps the
        strips of rows whose cells did not change, so a refresh re-renders only changed rows."""
        self._seen = [c.least for c in self.specs]
        """Widest visible cell per column so far (widths grow, so scrolling does not jitter)."""
        self._layout: Layout | None = None
        self._fit_for: tuple[int, tuple[int, ...]] | None = None
        self._paint = (Style(), Style(), Style())
        """(base, zebra, cursor) styles of the paint in progress (see render_lines)."""

    # ---- data --------------------------------------------------------------------------------

    @property
    def columns(self) -> list[str]:
        return [c.name for c in self.specs]

    @property
    def row_count(self) -> int:
        """Rows shown (after the filter)."""
        return len(self._view)

    @property
    def total(self) -> int:
        """Rows before the filter."""
        return len(self._source)

    @property
    def keys(self) -> list[str]:
        """Keys of the rows shown (builds every key: for tests and small tables)."""
        return [self._source.key(i) for i in self._view]

    @property
    def filter_text(self) -> str:
        return self._filter

    @property
    def hidden_columns(self) -> int:
        return self._layout.hidden if self._layout is not None else 0

    def selected_key(self) -> str | None:
        if 0 <= self.cursor < len(self._view):
            return self._source.key(self._view[self.cursor])
        return None

    def row(self, key: str) -> tuple[Cell, ...] | None:
        """The cells of the shown row ``key`` (a linear search: for tests and small tables)."""
        for index in self._view:
            if self._source.key(index) == key:
                return self._cell_row(index)
        return None

    def update(self, rows: Sequence[Row]) -> None:
        """Replace every row with these fully built rows (small tables)."""
        self.set_rows(ListRows(rows))

    def set_rows(self, source: Rows) -> None:
        """Replace the row source; the cursor stays on the same key when it still exists."""
        keep = self.selected_key()
        self._source = source
        self._cells = {}
        self._apply_filter()
        self._restore_cursor(keep)

    def set_filter(self, text: str) -> None:
        """Show only rows whose name matches ``text`` (a regex; plain text when it is not one)."""
        if text == self._filter:
            return
        keep = self._wanted or self.selected_key()
        self._filter = text
        self._pattern, self.filter_problem = compile_filter(text)
        self._apply_filter()
        self._reset_widths()
        self._restore_cursor(keep)
        self.post_message(self.FilterChanged(self))

    def _apply_filter(self) -> None:
        source, pattern = self._source, self._pattern
        if pattern is None:
            self._view = range(len(source))
        else:
            search = pattern.search
            self._view = [i for i in range(len(source)) if search(source.name(i))]
        self.virtual_size = Size(0, len(self._view) + 1)

    def _restore_cursor(self, keep: str | None) -> None:
        view, source = self._view, self._source
        moved = False
        if keep is not None and self.cursor < len(view) and source.key(view[self.cursor]) == keep:
            pass  # the common case: same row at the same place, no search
        elif keep is not None and (found := self._find(keep)) is not None:
            self.cursor = found
        elif self.cursor >= len(view):
            self.cursor = max(0, len(view) - 1)
            moved = True
        elif view:
            moved = True  # first rows, or the row under the cursor went away: another row is there
        if self._selected != self.selected_key():
            moved = True
        self._selected = self.selected_key()
        self.refresh()
        if moved:
            self.post_message(self.Highlighted(self, self._selected))

    def _find(self, key: str) -> int | None:
        source = self._source
        for position, index in enumerate(self._view):
            if source.key(index) == key:
                return position
        return None

    def _cell_row(self, index: int) -> tuple[Cell, ...]:
        cells = self._cells.get(index)
        if cells is None:
            cells = self._cells[index] = self._source.cells(index)
        return cells

    # ---- layout ------------------------------------------------------------------------------

    def _reset_widths(self) -> None:
        self._seen = [c.least for c in self.specs]

    def on_resize(self, event: events.Resize) -> None:
        # a Resize comes each time the table is shown again: at the same size its columns and
        # cached lines still hold
        if event.size != self._sized:
            self._sized = event.size
            self._reset_widths()
            self.refresh()
        # a table moved its cursor while hidden (size 0): bring the cursor into view now
        self.call_after_refresh(self.scroll_to_cursor)

    def _visible(self) -> Sequence[int]:
        top = int(self.scroll_offset.y)
        return self._view[top: top + max(0, self.size.height - 1)]

    def _fit(self) -> Layout:
        """Column widths for the rows on screen, fitted to the table's width."""
        seen = self._seen
        for index in self._visible():
            for c, cell in enumerate(self._cell_row(index)[: len(seen)]):
                length = _length(cell)
                if length > seen[c]:
                    seen[c] = length
        width = self.scrollable_content_region.width or self.size.width
        key = (width, tuple(seen))
        if self._layout is not None and self._fit_for == key:
            return self._layout
        self._fit_for = key
        layout = fit(self.specs, seen, width)
        if layout != self._layout:
            self._strips.clear()
            self._layout = layout
        return layout

    # ---- rendering ---------------------------------------------------------------------------

    def render_lines(self, crop: Region) -> list[Strip]:
        self._fit()
        # styles once per paint, not per line: rich_style walks the DOM (0.3 ms a call)
        base = self.rich_style
        self._paint = (base, base + self.get_component_rich_style("fast-table--zebra"),
                       self.get_component_rich_style("fast-table--cursor") + Style(dim=False))
        return super().render_lines(crop)

    def _line(self, cells: Sequence[Cell], layout: Layout) -> Text:
        line = Text(no_wrap=True, end="")
        last = len(layout.shown) - 1
        for position, (c, width) in enumerate(zip(layout.shown, layout.widths, strict=True)):
            cell = _text(cells[c]) if c < len(cells) else Text("")
            if cell.cell_len > width:
                cell = cell.copy()
                cell.truncate(width, overflow="ellipsis")
            pad = " " * (width - cell.cell_len)
            if self.specs[c].right:
                line.append(pad)
                line.append_text(cell)
            else:
                line.append_text(cell)
                if position < last:
                    line.append(pad)
            if position < last:
                line.append(" " * layout.gap)
        return line

    def _strip(self, text: Text, style: Style, post: Style | None = None) -> Strip:
        segments = [s for s in text.render(self.app.console) if s.text != "\n"]
        return Strip(Segment.apply_style(segments, style, post))

    def _header(self, layout: Layout, width: int) -> Strip:
        style = self._paint[0] + self.get_component_rich_style("fast-table--header")
        line = self._line([Text(c.name) for c in self.specs], layout)
        # the header's right end says what the rows do not: a filter, columns that did not fit;
        # in the free room if there is some (the longest form that fits), else over the last names
        hidden = f"+{layout.hidden}›" if layout.hidden else ""
        counts = f"{len(self._view):,}/{len(self._source):,}"
        forms = [" ".join(n for n in (f"/{self._filter} {counts}", hidden) if n),
                 " ".join(n for n in (f"/ {counts}", hidden) if n)] if self._filter else [hidden]
        forms = [f for f in forms if f]
        if forms:
            free = width - line.cell_len - 1
            note = next((f for f in forms if len(f) + 1 <= free), forms[-1])
            marker = Text(" " + note, style=self.get_component_rich_style("fast-table--marker"))
            room = width - marker.cell_len
            if line.cell_len > room:
                line.truncate(max(0, room))
            line.append(" " * (room - line.cell_len))
            line.append_text(marker)
        return self._strip(line, style).crop_extend(0, width, style)

    def render_line(self, y: int) -> Strip:
        # what the vertical scrollbar leaves (the header's right-aligned note must end there)
        width = self.scrollable_content_region.width or self.size.width
        base, zebra_style, cursor_style = self._paint
        layout = self._layout or self._fit()
        if y == 0:
            return self._header(layout, width)
        position = int(self.scroll_offset.y) + y - 1
        if position >= len(self._view):
            return Strip.blank(width, base)
        index = self._view[position]
        key = self._source.key(index)
        cells = self._cell_row(index)
        is_cursor = position == self.cursor
        zebra = position % 2 == 1
        style = zebra_style if zebra else base
        post = None
        if is_cursor:
            # the cursor's own colours win over each cell's (a red count on the cursor row
            # would otherwise be red on the cursor background: unreadable)
            post = cursor_style
            style = style + post
        cache_key = (key, is_cursor, zebra)
        cached = self._strips.get(cache_key)
        # a line is drawn again only when its cells or its style changed: a style update (focus,
        # a screen switch restyling the pane, a theme) that leaves a row's colours as they were
        # keeps its strip, so showing a screen does not redraw every visible row
        if cached is None or cached[0] != cells or cached[1] != style:
            strip = self._strip(self._line(cells, layout), style, post)
            cached = (cells, style, strip.crop_extend(0, width, style))
            self._strips[cache_key] = cached
        return cached[2]

    def on_focus(self) -> None:
        self.refresh()  # the cursor row's colours follow focus (fast_table.tcss)

    def on_blur(self) -> None:
        self.refresh()

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        if len(self._strips) > 400:  # keys that scrolled away: keep the cache bounded
            self._strips.clear()

    # ---- cursor ------------------------------------------------------------------------------

    def move_cursor(self, row: int) -> None:
        if not self._view:
            return
        row = max(0, min(len(self._view) - 1, row))
        if row != self.cursor:
            self.cursor = row
            self._selected = self._wanted = self.selected_key()
            self._strips = {k: v for k, v in self._strips.items() if not k[1]}
            self.refresh()
            self.post_message(self.Highlighted(self, self._selected))
        self.scroll_to_cursor()

    def scroll_to_cursor(self) -> None:
        """Scroll so the cursor row is on screen."""
        row = self.cursor
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
        self.move_cursor(len(self._view) - 1 if end else 0)

    def action_select(self) -> None:
        key = self.selected_key()
        if key is not None:
            self.post_message(self.Selected(self, key))

    def action_filter(self) -> None:
        if not self.filterable:
            raise SkipAction()  # the pane has its own filter (the timeline's)
        self.post_message(self.FilterWanted(self))

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None or offset.y < 1:
            return
        row = int(self.scroll_y) + offset.y - 1
        if row >= len(self._view):
            return
        if row == self.cursor:
            self.action_select()
        else:
            self.move_cursor(row)


def fit(specs: Sequence[Column], natural: Sequence[int], width: int) -> Layout:
    """Fit columns of ``natural`` widths into ``width`` cells (see the module docstring)."""
    widths = [min(n, MAX_UNCUT) if not s.cut else n for s, n in zip(specs, natural, strict=True)]
    shown = list(range(len(specs)))

    def total(gap: int) -> int:
        return sum(widths[c] for c in shown) + gap * max(0, len(shown) - 1)

    gap = 2 if total(2) <= width else 1
    # 1. flex columns give way down to their minimum, rightmost first (less important)
    for c in reversed(shown):
        if specs[c].flex and total(gap) > width:
            widths[c] = max(specs[c].least, widths[c] - (total(gap) - width))
    # 2. then long cells of columns that may be cut, longest first, down to twice their minimum
    for c in sorted(shown, key=lambda c: -widths[c]):
        spec = specs[c]
        if total(gap) <= width:
            break
        if spec.cut and not spec.flex:
            floor = max(spec.least, min(widths[c], 2 * spec.least))
            widths[c] = max(floor, widths[c] - (total(gap) - width))
    # 3. then hide droppable columns, rightmost first (key figures are on the left)
    hidden = 0
    while total(gap) > width and len(shown) > 1:
        droppable = [c for c in shown[1:] if specs[c].drop]
        if not droppable:
            break
        shown.remove(droppable[-1])
        hidden += 1
    # 4. room left over goes back to flex columns that were shrunk (never wider than their cells)
    for c in shown:
        spare = width - total(gap)
        if spare > 0 and specs[c].flex and widths[c] < natural[c]:
            widths[c] += min(spare, natural[c] - widths[c])
    return Layout(tuple(shown), tuple(widths[c] for c in shown), gap, hidden)
