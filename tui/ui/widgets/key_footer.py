"""The key bar at the bottom: the shown bindings of the focused widget's chain, as one widget.

Textual's ``Footer`` mounts one widget per key and rebuilds all of them whenever the bindings
change, which is every focus change and so every screen switch: in ``bench/bench_ui.py`` that was
about a fifth of the UI thread's time per key press (mounting, styling and painting twenty small
widgets). This bar draws the same keys, from the same ``Screen.active_bindings``, as one line of
text; it redraws only when the keys it shows changed, and a click presses the key under the pointer
as the stock footer does.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from rich.style import Style
from rich.text import Text
from textual import events
from textual.screen import Screen
from textual.widget import Widget


class ShownKey(NamedTuple):
    key: str
    """The key to press (``simulate_key``)."""
    display: str
    description: str
    enabled: bool


class KeyFooter(Widget):
    ALLOW_SELECT = False
    COMPONENT_CLASSES = {"footer-key--key", "footer-key--description"}

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._keys: tuple[ShownKey, ...] = ()
        self._palette: ShownKey | None = None
        self._spans: list[tuple[int, int, ShownKey]] = []
        """(first cell, end cell, key) of each key as last drawn, for clicks."""
        self._pending = False

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)
        self._bindings_changed(self.screen)

    def _bindings_changed(self, screen: Screen[Any]) -> None:
        # focus moves several times in one screen switch: read the bindings once, after them all
        if screen is self.screen and not self._pending:
            self._pending = True
            self.call_after_refresh(self._read_bindings)

    def _read_bindings(self) -> None:
        self._pending = False
        if not self.is_attached:
            return
        keys, palette = self.shown_keys()
        if (keys, palette) != (self._keys, self._palette):
            self._keys, self._palette = keys, palette
            self.refresh()

    def shown_keys(self) -> tuple[tuple[ShownKey, ...], ShownKey | None]:
        """The keys to show (one per action, in binding order) and the command palette's key."""
        app = self.app
        active = self.screen.active_bindings
        seen: set[str] = set()
        keys: list[ShownKey] = []
        for _node, binding, enabled, _tooltip in active.values():
            if not binding.show or binding.action in seen:
                continue
            seen.add(binding.action)
            keys.append(ShownKey(binding.key, app.get_key_display(binding), binding.description,
                                 enabled))
        palette = None
        if app.ENABLE_COMMAND_PALETTE and app.COMMAND_PALETTE_BINDING in active:
            _node, binding, enabled, _tooltip = active[app.COMMAND_PALETTE_BINDING]
            palette = ShownKey(binding.key, app.get_key_display(binding), binding.description,
                               enabled)
        return tuple(keys), palette

    def render(self) -> Text:
        key_style = self.get_component_rich_style("footer-key--key")
        text_style = self.get_component_rich_style("footer-key--description")
        dim = Style(dim=True)
        line = Text(no_wrap=True, overflow="crop", end="")
        spans: list[tuple[int, int, ShownKey]] = []

        def add(shown: ShownKey) -> None:
            start = line.cell_len
            extra = Style() if shown.enabled else dim
            line.append(f" {shown.display} ", key_style + extra)
            if shown.description:
                line.append(f"{shown.description} ", text_style + extra)
            spans.append((start, line.cell_len, shown))

        for shown in self._keys:
            add(shown)
        if self._palette is not None:
            # the palette's key always shows, at the right edge: the keys before it are cropped
            tail = Text(no_wrap=True, end="")
            tail.append("│", text_style)
            tail.append(f" {self._palette.display} ", key_style)
            tail.append(f"{self._palette.description} ", text_style)
            room = max(0, self.size.width - tail.cell_len)
            if line.cell_len > room:
                line.truncate(room)
                spans = [(a, min(b, room), k) for a, b, k in spans if a < room]
            line.append(" " * (room - line.cell_len))
            spans.append((line.cell_len, line.cell_len + tail.cell_len, self._palette))
            line.append_text(tail)
        self._spans = spans
        return line

    def on_click(self, event: events.Click) -> None:
        for start, end, shown in self._spans:
            if start <= event.x < end:
                event.stop()
                if shown.enabled:
                    self.app.simulate_key(shown.key)
                else:
                    self.app.bell()
                return
