"""What every pane shares: it renders a snapshot on demand and asks the app for things by message."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.style import Style
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.theme import Theme

from tui.engine import Command, Snapshot
from tui.ui.colours import tone
from tui.ui.messages import CommandRequested, Done, FormWanted, Request


class Pane(Vertical):
    """A tab's content. ``show(snapshot)`` is called when the pane is visible and the seq moved."""

    can_focus = False

    def __init__(self, *, id: str) -> None:  # noqa: A002 (Textual's name)
        super().__init__(id=id)
        self.last: Snapshot | None = None
        """The snapshot this pane last rendered (re-rendered on a theme change)."""

    def on_mount(self) -> None:
        self.app.theme_changed_signal.subscribe(self, self._theme_changed)

    def show(self, snapshot: Snapshot) -> None:
        """Render ``snapshot``; must be fast (only visible panes are rendered)."""

    def invalidate(self) -> None:
        """Forget render caches: the next show() redraws everything."""

    def _theme_changed(self, theme: Theme) -> None:
        # cells carry colours of the theme they were rendered in (tui/ui/colours.py): redraw the
        # visible pane now; a hidden one redraws when its tab is shown
        self.invalidate()
        if self.last is not None and self.is_on_screen:
            self.show(self.last)

    def submit(self, cmd: Command, label: str, done: Done | None = None,
               announce: bool = True) -> None:
        self.post_message(CommandRequested(Request(cmd, label, done, announce)))

    def open_form(self, form: ModalScreen[Any], then: Callable[[Any], None]) -> None:
        self.post_message(FormWanted(form, then))

    def colour(self, name: str) -> Style:
        """A style in the current theme's colour (error, warning, success, accent, primary...)."""
        return tone(self, name)

    def on_explorer_ready(self) -> None:
        """Called once the app has its first snapshot (override to focus a table)."""
