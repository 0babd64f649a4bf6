"""A small modal form: labelled inputs in a grid, an error line, OK / Cancel buttons.

Subclasses list their fields and turn the values into a result (raising ValueError with one sentence
when a value is wrong; the sentence is shown under the form and the form stays open).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Button, Input, Label, Select, Static, Switch

T = TypeVar("T")

FORMS_CSS = Path(__file__).with_name("forms.tcss")
"""The look of every modal form and picker (absolute: Textual resolves a relative CSS_PATH beside
the module of the *subclass*)."""


@dataclass(frozen=True)
class Field:
    """One form row. ``kind``: text | int | float | select | switch."""

    name: str
    label: str
    kind: str = "text"
    default: Any = ""
    options: Sequence[str] = ()
    help: str = ""


class FormScreen(ModalScreen[T | None], Generic[T]):
    """Modal form; dismisses with the built result, or None on cancel."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="form.cancel"),
                Binding("ctrl+s", "submit", "OK", id="form.submit")]

    CSS_PATH = FORMS_CSS

    title_text = "Form"
    help_text = ""
    fields: Sequence[Field] = ()

    def compose(self) -> ComposeResult:
        with Vertical(id="form"):
            yield Label(self.title_text, id="form-title")
            if self.help_text:
                yield Static(self.help_text, id="form-help", markup=False)
            with VerticalScroll(id="form-fields"), Grid():
                for f in self.fields:
                    yield Label(f.label)
                    yield self._widget(f)
            yield Static("", id="form-error", markup=False)
            with Horizontal(id="form-buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("OK  (ctrl+s)", id="ok", variant="primary")

    def _widget(self, f: Field) -> Widget:
        wid = f"f-{f.name}"
        tooltip = f.help or None
        if f.kind == "select":
            select: Select[str] = Select([(o, o) for o in f.options], value=str(f.default),
                                         allow_blank=False, id=wid)
            select.tooltip = tooltip
            return select
        if f.kind == "switch":
            switch = Switch(value=bool(f.default), id=wid)
            switch.tooltip = tooltip
            return switch
        kind = {"int": "integer", "float": "number"}.get(f.kind, "text")
        box = Input(value="" if f.default is None else str(f.default), type=kind,  # type: ignore[arg-type]
                    placeholder=f.help, id=wid)
        box.tooltip = tooltip
        return box

    def value(self, name: str) -> Any:
        widget = self.query_one(f"#f-{name}")
        if isinstance(widget, Switch):
            return widget.value
        if isinstance(widget, Select):
            return widget.value
        if isinstance(widget, Input):
            return widget.value.strip()
        return None

    def int_value(self, name: str, label: str, empty: int | None = None) -> int | None:
        raw = self.value(name)
        if raw in ("", None):
            return empty
        try:
            return int(raw)
        except ValueError:
            raise ValueError(f"{label} must be a whole number, not {raw!r}.") from None

    def float_value(self, name: str, label: str, empty: float | None = None) -> float | None:
        raw = self.value(name)
        if raw in ("", None):
            return empty
        try:
            return float(raw)
        except ValueError:
            raise ValueError(f"{label} must be a number, not {raw!r}.") from None

    def build(self) -> T:
        raise NotImplementedError

    def on_mount(self) -> None:
        first = self.query(Input).first() if self.query(Input) else None
        if first is not None:
            first.focus()

    def action_submit(self) -> None:
        try:
            result = self.build()
        except ValueError as exc:
            self.query_one("#form-error", Static).update(str(exc).splitlines()[0] if str(exc)
                                                         else "That value is not valid.")
            return
        self.dismiss(result)

    def action_cancel(self) -> None:
        self.dismiss(None)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "ok":
            self.action_submit()
        else:
            self.action_cancel()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.action_submit()
