"""A one-line choice for forms: ``◂ all ▸``; ←/→ step (no wrap: on a yes/no choice ← is no and → is
yes), space and a click cycle, a letter jumps.

Textual's ``Select`` costs about ten widgets and a dropdown overlay each, which made the forms slow
to open (keys typed meanwhile were lost); a choice among three to eight values needs one line and
one widget. What the chosen value means is shown by the form under the field (option help).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from rich.text import Text
from textual import events
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget


class Choice(Widget, can_focus=True):
    """Pick one of ``options``: ``(label, value)`` pairs; ``value`` reads and sets the value."""

    STEP_KEYS: ClassVar[dict[str, tuple[int, bool]]] = {"left": (-1, False), "right": (1, False),
                                                         "space": (1, True)}
    """key -> (step, wraps)."""
    """Handled on the key itself, not as bindings: Textual resolves bindings once the key has
    bubbled back to the app, and a fast enter may have moved the focus by then."""

    index: reactive[int] = reactive(0)
    """Position of the chosen option."""

    class Changed(Message):
        """The chosen value changed (by key, click or assignment)."""

        def __init__(self, choice: Choice, value: Any) -> None:
            super().__init__()
            self.choice = choice
            self.value = value

        @property
        def control(self) -> Choice:
            return self.choice

    def __init__(self, options: Sequence[tuple[str, Any]], value: Any = None, *,
                 id: str | None = None) -> None:  # noqa: A002 (Textual's name)
        if not options:
            raise ValueError("A choice needs at least one option.")
        super().__init__(id=id)
        self.options = tuple(options)
        self.touched = False
        """Changed by a person (key or click), not by the program: a form lets such a choice be."""
        self.set_reactive(Choice.index, self._index_of(value) if value is not None else 0)

    def _index_of(self, value: Any) -> int:
        for index, (label, option) in enumerate(self.options):
            if option == value or (isinstance(value, str) and label == value):
                return index
        labels = ", ".join(label for label, _ in self.options)
        raise ValueError(f"{value!r} is not one of {labels}.")

    @property
    def value(self) -> Any:
        return self.options[self.index][1]

    @value.setter
    def value(self, value: Any) -> None:
        self.index = self._index_of(value)

    @property
    def label(self) -> str:
        return self.options[self.index][0]

    def render(self) -> Text:
        return Text.assemble(("◂ ", "dim"), self.label, (" ▸", "dim"))

    def watch_index(self, old: int, new: int) -> None:
        if old != new:
            self.post_message(self.Changed(self, self.value))

    def action_step(self, delta: int, wrap: bool = True) -> None:
        self.touched = True
        index = self.index + delta
        self.index = index % len(self.options) if wrap else max(0, min(len(self.options) - 1, index))

    def on_click(self, event: events.Click) -> None:
        self.action_step(1)

    def on_key(self, event: events.Key) -> None:
        stepping = self.STEP_KEYS.get(event.key)
        if stepping is not None:
            event.stop()
            event.prevent_default()
            self.action_step(*stepping)
            return
        # a letter jumps to the next option starting with it (typing "r" twice: range, roundrobin)
        if not event.is_printable or not event.character:
            return
        event.stop()
        char = event.character.lower()
        count = len(self.options)
        for step in range(1, count + 1):
            index = (self.index + step) % count
            if self.options[index][0].lower().startswith(char):
                self.touched = True
                self.index = index
                return
