"""Putting content into a Static: the same content again is not put, a change that keeps the box is
repainted without a layout pass of the whole screen, and one that changes the box is laid out."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import App, ComposeResult
from textual.widgets import Label, Static

from tui.ui.widgets.put import put


class Counted(Static):
    """Counts the refreshes it asks for, with and without a layout pass."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.asked: list[bool] = []

    def refresh(self, *regions: Any, repaint: bool = True, layout: bool = False,
                recompose: bool = False) -> Any:
        self.asked.append(layout)
        return super().refresh(*regions, repaint=repaint, layout=layout, recompose=recompose)


class Shown(App[None]):
    def compose(self) -> ComposeResult:
        yield Counted("one line", id="status")
        yield Label("a title", id="title")


async def test_only_what_changes_is_put_and_only_a_changed_box_is_laid_out() -> None:
    app = Shown()
    async with app.run_test(size=(40, 10)) as pilot:
        await pilot.pause()
        status = app.query_one("#status", Counted)
        status.asked.clear()
        put(status, "one line")
        assert status.asked == []  # the same text: nothing at all
        put(status, "one other line")
        assert status.asked == [False]  # one line still: a repaint
        await pilot.pause()
        assert str(status.render_line(0).text).startswith("one other line")
        assert status.size.height == 1
        put(status, "a much longer text that wraps onto a second line at forty columns")
        assert status.asked[-1] is True  # two lines: laid out
        await pilot.pause()
        assert status.size.height == 2

        put(status, Text("styled", style="red"))
        status.asked.clear()
        put(status, Text("styled", style="green"))  # the same characters in another colour
        assert status.asked == [False]
        assert status.content.style == "green"  # type: ignore[union-attr]
        put(status, Text("styled", style="green"))
        assert status.asked == [False]

        title = app.query_one("#title", Label)
        put(title, "a longer title")  # as wide as its text: laid out, and shown whole
        await pilot.pause()
        assert title.size.width == len("a longer title")
