"""Keep a DataTable equal to a list of keyed rows with the fewest widget operations.

At 1,000 partitions a full ``clear()`` + ``add_rows()`` every refresh costs tens of milliseconds and
loses the cursor; updating only the cells that changed keeps a refresh cheap and the selection stable.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import RenderableType
from textual.widgets import DataTable
from textual.widgets.data_table import ColumnKey

Row = tuple[str, tuple[RenderableType, ...]]


class TableSync:
    """Owns the rows of one DataTable (the caller never adds rows itself)."""

    def __init__(self, table: DataTable[RenderableType], columns: Sequence[str]) -> None:
        self.table = table
        self.columns: list[ColumnKey] = list(table.add_columns(*columns))
        self._cells: dict[str, tuple[RenderableType, ...]] = {}
        self._order: list[str] = []

    @property
    def keys(self) -> list[str]:
        return list(self._order)

    def selected_key(self) -> str | None:
        table = self.table
        if not self._order or table.cursor_row < 0 or table.cursor_row >= len(self._order):
            return None
        try:
            key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        except Exception:  # cursor outside the rows while they change
            return None
        return key

    def update(self, rows: Sequence[Row]) -> None:
        order = [key for key, _ in rows]
        if order != self._order:
            self._rebuild(rows)
            return
        table = self.table
        for key, cells in rows:
            old = self._cells.get(key)
            if old == cells:
                continue
            for index, (before, after) in enumerate(zip(old or (), cells, strict=False)):
                if before != after:
                    table.update_cell(key, self.columns[index], after, update_width=True)
            self._cells[key] = cells

    def _rebuild(self, rows: Sequence[Row]) -> None:
        table = self.table
        keep = self.selected_key()
        scroll_y = table.scroll_y
        table.clear()
        for key, cells in rows:
            table.add_row(*cells, key=key)
        self._cells = {key: cells for key, cells in rows}
        self._order = [key for key, _ in rows]
        if keep is not None and keep in self._cells:
            table.move_cursor(row=self._order.index(keep), animate=False, scroll=False)
        table.scroll_to(y=scroll_y, animate=False)
