"""Command palette provider: the explorer's own commands and themes, nothing else.

The app lists only this provider (``COMMANDS = {ExplorerCommands}``), so Textual's system commands
(a second "Quit", "Keys", "Maximize", "Screenshot" and Textual's two dozen themes, whose choice was
not remembered) are not offered. What is listed depends on the screen the palette opened over: the
live screens get the app-wide and pane commands, a screen with a ``COMMAND_SCOPE`` (the Scenarios
screen) the app-wide commands and its own. A hit posts a message (:class:`PaletteCommandChosen`,
:class:`ThemeChosen`) to that screen; what the screen does not handle bubbles to the app (Textual's
``examples/color_command.py`` habit). The provider reads the app through :class:`PaletteSource`,
so it never imports it.
"""

from __future__ import annotations

from functools import partial
from typing import Protocol, runtime_checkable

from rich.markup import escape
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.message import Message

from tui.ui.messages import PaletteCommandChosen, ThemeChosen
from tui.ui.registry import COMMANDS, SCREENS, UICommand, display_key, effective_key

PANE_SCOPES = frozenset(pane for pane, _title in SCREENS)


@runtime_checkable
class PaletteSource(Protocol):
    """What the palette lists from the app."""

    keymap: dict[str, str]

    @property
    def is_lab(self) -> bool: ...

    @property
    def theme_names(self) -> list[str]: ...


def offered(command: UICommand, screen_scope: str | None, is_lab: bool) -> bool:
    """Whether the palette offers ``command`` over a screen of ``screen_scope`` (None: the live
    screens)."""
    if command.lab_only and not is_lab:
        return False
    if command.scope == "app":
        return True
    if screen_scope is None:
        return command.scope in PANE_SCOPES
    return command.scope == screen_scope


class ExplorerCommands(Provider):
    def _entries(self) -> list[tuple[str, str, Message]]:
        source = self.app
        if not isinstance(source, PaletteSource):
            return []
        scope = getattr(self.screen, "COMMAND_SCOPE", None)
        entries: list[tuple[str, str, Message]] = []
        for command in COMMANDS:
            if not offered(command, scope, source.is_lab):
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
            yield DiscoveryHit(title, partial(self.screen.post_message, message), help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, message in self._entries():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), partial(self.screen.post_message, message),
                          help=help_text)
