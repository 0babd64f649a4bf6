"""What every pane shares: it renders a snapshot on demand and submits commands through the app."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.style import Style
from textual.containers import Vertical

from tui.engine.commands import Command
from tui.engine.snapshot import Snapshot

if TYPE_CHECKING:
    from tui.ui.app import ExplorerApp


class Pane(Vertical):
    """A tab's content. ``show(snapshot)`` is called when the pane is visible and the seq moved."""

    can_focus = False

    @property
    def explorer(self) -> ExplorerApp:
        from tui.ui.app import ExplorerApp

        app = self.app
        assert isinstance(app, ExplorerApp)
        return app

    def show(self, snapshot: Snapshot) -> None:
        """Render ``snapshot``; must be fast (only visible panes are rendered)."""

    def invalidate(self) -> None:
        """Forget render caches (the theme changed): the next show() redraws everything."""

    def submit(self, cmd: Command, label: str) -> None:
        self.explorer.submit(cmd, label)

    def colour(self, name: str) -> Style:
        """A style in the current theme's colour (error, warning, success, accent, primary...)."""
        value: Any = self.app.theme_variables.get(name)
        return Style(color=value) if value else Style()

    def on_explorer_ready(self) -> None:
        """Called once the app has its first snapshot (override to focus a table)."""
