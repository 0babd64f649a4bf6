"""What every pane shares: it renders a snapshot on demand and asks the app for things by message."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, ClassVar

from rich.style import Style
from rich.text import Text
from textual import events
from textual.containers import Vertical
from textual.geometry import Size
from textual.screen import ModalScreen
from textual.theme import Theme

from tui.engine import Command, Snapshot
from tui.ui.bridge import same
from tui.ui.colours import tone
from tui.ui.fmt import ago
from tui.ui.messages import CommandRequested, Done, Request
from tui.ui.registry import BY_ID, display_key, effective_key

DataKey = tuple[object, ...]
"""The parts of a snapshot a pane shows: when they are the same objects, it need not render."""


class Pane(Vertical):
    """A tab's content. ``show(snapshot)`` is called when the pane is visible and its data moved."""

    can_focus = False
    PUMP_HZ: ClassVar[float] = 4.0
    """Snapshots per second this pane needs while it is visible (the pump pulls at this rate)."""

    def __init__(self, *, id: str) -> None:  # noqa: A002 (Textual's name)
        super().__init__(id=id)
        self.last: Snapshot | None = None
        """The snapshot this pane last rendered (re-rendered on a theme change)."""
        self._rendered: DataKey | None = None
        """The data key of the last render (see :meth:`changed`)."""
        self._fitted_size: Size | None = None
        """The size the titles and hints were last fitted to."""

    @staticmethod
    def data_key(snapshot: Snapshot) -> DataKey:
        """The views this pane renders (a pure function: the pump thread calls it)."""
        return (snapshot,)

    def on_mount(self) -> None:
        self.app.theme_changed_signal.subscribe(self, self._theme_changed)

    def show(self, snapshot: Snapshot) -> None:
        """Render ``snapshot``; must be fast (only visible panes are rendered)."""

    def on_resize(self, event: events.Resize) -> None:
        # a pane gets a Resize each time it is shown; at the size it had, its titles and hints
        # still fit (redrawing them all made every screen switch paint the pane twice)
        if event.size == self._fitted_size:
            return
        self._fitted_size = event.size
        # titles and hints are fitted to the width (tables fit themselves)
        self.invalidate()
        if self.last is not None and self.is_on_screen:
            self.show(self.last)

    def fits(self, text: str, widget_id: str) -> bool:
        """``text`` fits on one line of widget ``#widget_id`` (True before the first layout)."""
        width = self.query_one(f"#{widget_id}").size.width
        return width == 0 or len(text) + 2 <= width

    def invalidate(self) -> None:
        """Forget render caches: the next show() redraws everything."""
        self._rendered = None

    def changed(self, snapshot: Snapshot) -> bool:
        """True when ``snapshot`` holds other views for this pane than the last render (then it is
        remembered as rendered). Showing a tab again with the same data repaints nothing."""
        key = self.data_key(snapshot)
        if same(self._rendered, key):
            return False
        self._rendered = key
        return True

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
        # pushed now, not by message: keys typed right after the opening key must reach the form,
        # not this pane (a queued FormWanted arrived after them: "nx" stopped a producer)
        self.app.push_screen(form, then)

    def colour(self, name: str) -> Style:
        """A style in the current theme's colour (error, warning, success, accent, primary...)."""
        return tone(self, name)

    def key(self, command_id: str) -> str:
        """The key of a registry command as the user's keymap has it (for titles and hints)."""
        keymap: dict[str, str] = getattr(self.app, "keymap", {}) or {}
        return display_key(effective_key(BY_ID[command_id], keymap))

    def keys_hint(self, *pairs: tuple[str, str]) -> str:
        """``k kill · s stop`` from (command id, word) pairs, with the live keymap's keys."""
        return " · ".join(f"{self.key(command_id)} {word}" for command_id, word in pairs)

    def stale_mark(self, age: float | None, what: str = "stale") -> Text:
        """A visible 'stale 12 s' marker for a section title (empty when fresh)."""
        if age is None:
            return Text("")
        return Text(f"  ⚠ {what} {ago(age)}", style=self.colour("warning") + Style(bold=True))

    @staticmethod
    def now() -> float:
        return time.time()

    def on_explorer_ready(self) -> None:
        """Called once the app has its first snapshot (override to focus a table)."""
