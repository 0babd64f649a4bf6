"""The recorded timeline of one record, in a modal that takes focus (so ``e`` visibly does something,
whatever the window's height). ``n`` asks for the next record of the same anomaly, ``escape`` closes.

Every line is untrusted text (it may quote keys and error strings): escaped, capped, and rendered as
plain ``Text``, never markup.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from tui.ui.fmt import payload

LINES = 200
"""Timeline lines shown (the engine already bounds what it records per record)."""

NEXT = "next"
"""What the screen returns when the user asks for the anomaly's next record."""


class ExplainScreen(ModalScreen[str | None]):
    """Returns :data:`NEXT` (show the next record) or None (closed)."""

    CSS_PATH = Path(__file__).with_name("explain.tcss")
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,enter", "close", "Close"),
        Binding("n,e", "next", "Next record"),
    ]

    def __init__(self, msg_id: str, lines: tuple[str, ...], position: int, total: int,
                 anomaly: str) -> None:
        super().__init__()
        self.msg_id = msg_id
        self.lines = lines
        self.position = position
        self.total = total
        self.anomaly = anomaly

    def compose(self) -> ComposeResult:
        with Vertical(id="explain"):
            yield Label(Text(f"Recorded timeline of {payload(self.msg_id, 80)}  "
                             f"(record {self.position + 1} of {self.total}, {self.anomaly})"),
                        id="explain-title")
            with VerticalScroll(id="explain-body"):
                yield Static(Text("\n".join(payload(line, 300) for line in self.lines[:LINES])
                                  or "(nothing recorded)"), id="explain-lines")
            hint = "n: next record · " if self.total > 1 else ""
            yield Label(f"{hint}escape: close", id="explain-foot")

    def on_mount(self) -> None:
        self.query_one("#explain-body").focus()

    def action_close(self) -> None:
        self.dismiss(None)

    def action_next(self) -> None:
        self.dismiss(NEXT if self.total > 1 else None)
