"""Messages widgets post to ask the app for something, and the replies.

Panes never call the app: they post a :class:`CommandRequested` (run this engine command) or a
:class:`FormWanted` (open this modal form), and the palette posts :class:`PaletteCommandChosen` or
:class:`ThemeChosen`. The app, which composes the panes, handles them; so nothing below the app
imports it (harlequin's habit: typed messages up, method calls down).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from textual.message import Message
from textual.screen import ModalScreen

from tui.engine import Command

Done = Callable[[Any, "str | None"], None]
"""Hears how a request ended, on the UI thread: ``(result, None)`` or ``(None, error sentence)``."""


@dataclass(frozen=True)
class Request:
    """One engine command the UI wants run, and who hears back."""

    cmd: Command
    label: str
    """Names the command in notifications, e.g. ``kill node 2``."""
    done: Done | None = None
    """Called when the command's future resolved (None: only the notification)."""
    announce: bool = True
    """Notify ``<label>: done`` on success (a failure is always notified)."""


class CommandRequested(Message):
    """A widget wants ``request.cmd`` submitted to the engine."""

    def __init__(self, request: Request) -> None:
        super().__init__()
        self.request = request


class CommandFinished(Message):
    """A submitted command's future resolved (``error`` is a user sentence, or None)."""

    def __init__(self, request: Request, result: Any, error: str | None) -> None:
        super().__init__()
        self.request = request
        self.result = result
        self.error = error


class FormWanted(Message):
    """A widget wants a modal form; ``then`` gets the form's result (None when cancelled)."""

    def __init__(self, form: ModalScreen[Any], then: Callable[[Any], None]) -> None:
        super().__init__()
        self.form = form
        self.then = then


class PaletteCommandChosen(Message):
    """The palette chose a registry command (by its stable id)."""

    def __init__(self, command_id: str) -> None:
        super().__init__()
        self.command_id = command_id


class ThemeChosen(Message):
    """The palette chose a theme by name."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name


def error_sentence(exc: BaseException) -> str:
    """One sentence for a failed command (ValueError texts are already written for users)."""
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]


class ScenariosWanted(Message):
    """The Scenarios tab (or its key) wants the Scenarios screen."""


class ExplainWanted(Message):
    """A widget wants the recorded timeline of record ``msg_id`` (the record lane's enter): the app
    asks the engine (``Explain``) and opens the answer in the explain modal."""

    def __init__(self, msg_id: str, what: str = "") -> None:
        super().__init__()
        self.msg_id = msg_id
        self.what = what
        """Why this record (shown in the modal's title), e.g. ``orders/0@12 skipped``."""
