"""Command palette provider: every registry command and every theme (textual's Provider API)."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from rich.markup import escape
from textual.command import DiscoveryHit, Hit, Hits, Provider

from tui.ui.registry import COMMANDS, display_key, effective_key

if TYPE_CHECKING:
    from tui.ui.app import ExplorerApp


class ExplorerCommands(Provider):
    def _entries(self) -> list[tuple[str, str, object]]:
        from tui.ui.app import ExplorerApp

        app = self.app
        assert isinstance(app, ExplorerApp)
        explorer: ExplorerApp = app
        entries: list[tuple[str, str, object]] = []
        for command in COMMANDS:
            if command.lab_only and not explorer.is_lab:
                continue
            key = display_key(effective_key(command, explorer.keymap))
            # help is Rich markup in the palette: escape it (key names like "/" or "[")
            entries.append((command.title, escape(f"{command.help}  (key: {key})"),
                            partial(explorer.run_registry_command, command.id)))
        for name in sorted(explorer.theme_names):
            entries.append((f"Theme: {name}", "Switch the colour theme (remembered).",
                            partial(explorer.choose_theme, name)))
        return entries

    async def discover(self) -> Hits:
        for title, help_text, callback in self._entries():
            yield DiscoveryHit(title, callback, help=help_text)  # type: ignore[arg-type]

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, callback in self._entries():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), callback,  # type: ignore[arg-type]
                          help=help_text)
