"""Command palette provider: every registry command and every theme (textual's Provider API).

A hit posts a message (:class:`PaletteCommandChosen`, :class:`ThemeChosen`) that the app handles,
as Textual's ``examples/color_command.py`` does; the provider reads what it lists through the small
:class:`PaletteSource` protocol, so it never imports the app.
"""

from __future__ import annotations

from functools import partial
from typing import Protocol, runtime_checkable

from rich.markup import escape
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.message import Message

from tui.ui.messages import PaletteCommandChosen, ThemeChosen
from tui.ui.registry import COMMANDS, display_key, effective_key


@runtime_checkable
class PaletteSource(Protocol):
    """What the palette lists from the app."""

    keymap: dict[str, str]

    @property
    def is_lab(self) -> bool: ...

    @property
    def theme_names(self) -> list[str]: ...


class ExplorerCommands(Provider):
    def _entries(self) -> list[tuple[str, str, Message]]:
        source = self.app
        if not isinstance(source, PaletteSource):
            return []
        entries: list[tuple[str, str, Message]] = []
        for command in COMMANDS:
            if command.lab_only and not source.is_lab:
                continue
            key = display_key(effective_key(command, source.keymap))
            # help is Rich markup in the palette: escape it (key names like "/" or "[")
            entries.append((command.title, escape(f"{command.help}  (key: {key})"),
                            PaletteCommandChosen(command.id)))
        for name in sorted(source.theme_names):
            entries.append((f"Theme: {name}", "Switch the colour theme (remembered).",
                            ThemeChosen(name)))
        return entries

    async def discover(self) -> Hits:
        for title, help_text, message in self._entries():
            yield DiscoveryHit(title, partial(self.app.post_message, message), help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, message in self._entries():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), partial(self.app.post_message, message),
                          help=help_text)
