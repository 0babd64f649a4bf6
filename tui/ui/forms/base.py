"""A modal form: one line per field with its explanation under it, checked as you type.

* Every field is one line (compact inputs, :class:`~tui.ui.forms.choice.Choice` for closed sets);
  under it a line says what the setting does and trades, or why the value is refused, or a warning
  (:meth:`FormScreen.notes`). The fields scroll inside the form, so it fits 80×24 with the error
  line and OK / Cancel always visible.
* The values are checked on every change by :meth:`FormScreen.build` (the same code that builds the
  result, so what is accepted is exactly what is submitted); a :class:`FieldError` names the field,
  other ``ValueError`` sentences are matched to a field by :attr:`FormScreen.error_fields`.
* ``enter`` moves to the next field (from the last one to OK), ``ctrl+s`` submits, ``escape``
  cancels. The first field has the focus as soon as the form is mounted, and a key that arrived
  while the form was opening is handed to it, not lost.
* With ``submits=True`` the form sends its own engine commands (:meth:`FormScreen.commands`) and
  closes only when the engine accepted them; a refusal is shown in the form with every value kept.
* The submitted values are remembered per form (:mod:`tui.ui.forms.memory`) and offered next time.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Generic, TypeVar

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Button, Input, Label, Static

from tui.engine import Command
from tui.ui.forms.choice import Choice
from tui.ui.forms.memory import FormValuesRemembered, recall, store
from tui.ui.messages import CommandRequested, Request

T = TypeVar("T")

FORMS_CSS = Path(__file__).with_name("forms.tcss")
"""The look of every modal form and picker (absolute: Textual resolves a relative CSS_PATH beside
the module of the *subclass*)."""

Note = tuple[str, str]
"""(sentence, level) shown under a field: level ``warning`` or ``info``."""


class FormInput(Input):
    """An Input that edits on the key itself, not through a binding: Textual resolves a widget's
    bindings when the key has bubbled back to the app, by which time a fast typist's enter may have
    moved the focus on (a backspace meant for the name deleted the next field's digit)."""

    EDIT_KEYS: ClassVar[dict[str, str]] = {
        "backspace": "delete_left", "delete": "delete_right", "left": "cursor_left",
        "right": "cursor_right", "home": "home", "end": "end", "ctrl+u": "delete_left_all",
        "ctrl+k": "delete_right_all", "ctrl+w": "delete_left_word"}

    async def _on_key(self, event: events.Key) -> None:
        action = self.EDIT_KEYS.get(event.key)
        if action is None:
            await super()._on_key(event)
            return
        event.stop()
        event.prevent_default()
        await self.run_action(action)


class StatusLine(Static):
    """The form's error (or progress) line; when a sentence changes its height, the fields give or
    take the lines, so OK stays on the screen."""

    def on_resize(self, event: events.Resize) -> None:
        screen = self.screen
        if isinstance(screen, FormScreen):
            screen.call_after_refresh(screen.fit_fields)


class FieldError(ValueError):
    """A value is refused; ``field`` names the form field it belongs to."""

    def __init__(self, field: str, sentence: str) -> None:
        super().__init__(sentence)
        self.field = field


@dataclass(frozen=True)
class Field:
    """One form row. ``kind``: text | int | float | select | switch.

    ``options`` (select) are values, or ``(value, what it means)`` pairs whose sentence is shown
    under the field while that value is chosen. ``remember``: offer the last submitted value next
    time (off for names, which must be new).
    """

    name: str
    label: str
    kind: str = "text"
    default: Any = ""
    options: Sequence[str | tuple[str, str]] = ()
    help: str = ""
    remember: bool = True

    def option_help(self) -> dict[str, str]:
        return {str(o[0]): o[1] for o in self.options if isinstance(o, tuple)}

    def option_values(self) -> tuple[str, ...]:
        return tuple(str(o[0]) if isinstance(o, tuple) else str(o) for o in self.options)


class FormScreen(ModalScreen[T | None], Generic[T]):
    """Modal form; dismisses with the built result, or None on cancel."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="form.cancel"),
                Binding("ctrl+s", "submit", "OK", id="form.submit"),
                # priority: the focus moves while enter is handled, so the next key typed lands in
                # the next field (an Input's own enter posts a message that arrives after it)
                Binding("enter", "next_field", "Next field", show=False, id="form.next",
                        priority=True)]
    CSS_PATH = FORMS_CSS
    AUTO_FOCUS = None  # the first field is focused in on_mount, never a scroll container

    form_id = ""
    """Names the form in the memory of last values (``producer``, ``member``, ``topic``)."""
    title_text = "Form"
    help_text = ""
    fields: Sequence[Field] = ()
    error_fields: Sequence[tuple[str, str]] = ()
    """(words in an engine sentence, field) for refusals that are not :class:`FieldError`."""

    def __init__(self, *, context: Mapping[str, Any] | None = None,
                 clone: Mapping[str, Any] | None = None, submits: bool = False) -> None:
        super().__init__()
        self.created_at = time.perf_counter()
        self.open_ms: float | None = None
        """Milliseconds from construction to the first frame with the first field focused."""
        self.submits = submits
        self._given = dict(context or {})
        self._clone = dict(clone or {})
        self._busy: str | None = None
        self._error_field: str | None = None
        self._checked: tuple[Any, ...] | None = None
        """The values the last check saw (a change event for the same values is not re-checked)."""
        self._shown: dict[str, tuple[str, bool, bool]] = {}
        """Per field: the help line's text and its invalid/warning classes as last shown."""

    # ---- layout ------------------------------------------------------------------------------

    def initial_values(self) -> dict[str, Any]:
        """Each field's first value: a clone's, else what the caller knows (context), else the
        last submitted one, else the field's default."""
        remembered = recall(self.app, self.form_id) if self.form_id else {}
        values: dict[str, Any] = {}
        for f in self.fields:
            values[f.name] = f.default
            if f.remember and f.name in remembered:
                values[f.name] = remembered[f.name]
            if f.name in self._given:
                values[f.name] = self._given[f.name]
            if f.name in self._clone:
                values[f.name] = self._clone[f.name]
        return values

    def compose(self) -> ComposeResult:
        values = self.initial_values()
        with Vertical(id="form"):
            if self.help_text:
                yield Static(self.help_text, id="form-help", markup=False)
            scroll = VerticalScroll(id="form-fields")
            scroll.can_focus = False
            with scroll:
                for f in self.fields:
                    with Horizontal(classes="form-row"):
                        yield Label(f.label, classes="form-label")
                        yield self._widget(f, values.get(f.name, f.default))
                    yield Static("", id=f"h-{f.name}", classes="form-field-help", markup=False)
            yield StatusLine("", id="form-error", markup=False)
            with Horizontal(id="form-buttons"):
                yield Button("Cancel", id="cancel", compact=True)
                yield Button("OK", id="ok", variant="primary", compact=True)

    def _widget(self, f: Field, value: Any) -> Widget:
        wid = f"f-{f.name}"
        if f.kind == "select":
            options = [(v, v) for v in f.option_values()]
            chosen = str(value) if str(value) in f.option_values() else str(f.default)
            return Choice(options, chosen, id=wid)
        if f.kind == "switch":
            on_value = value if isinstance(value, bool) else str(value).lower() in ("yes", "true")
            return Choice([("no", False), ("yes", True)], on_value, id=wid)
        restrict = {"int": r"-?\d*", "float": r"-?\d*\.?\d*"}.get(f.kind)
        return FormInput(value="" if value is None else str(value), restrict=restrict,
                         compact=True, id=wid, select_on_focus=True)

    def on_mount(self) -> None:
        form = self.query_one("#form")
        form.border_title = self.title_text
        form.border_subtitle = "enter next field · ctrl+s OK · esc cancel"
        first = self.field_widgets()[0] if self.fields else self.query_one("#ok", Button)
        self.set_focus(first)  # now, not later: a key typed next must land here
        self.check()
        self.call_after_refresh(self._opened)

    def _opened(self) -> None:
        self.open_ms = (time.perf_counter() - self.created_at) * 1000
        self.fit_fields()

    def on_resize(self, event: events.Resize) -> None:
        self.call_after_refresh(self.fit_fields)

    def fit_fields(self) -> None:
        # the fields take what the title, help, error line and buttons leave of the screen (CSS
        # cannot say "auto, but at most the rest"), so OK stays visible and the fields scroll
        form = self.query_one("#form")
        fields = self.query_one("#form-fields")
        chrome = form.gutter.height + sum(child.outer_size.height for child in form.children
                                          if child is not fields)
        limit = max(3, self.size.height - chrome)
        current = fields.styles.max_height
        if current is None or current.value != limit:
            fields.styles.max_height = limit

    def field_widgets(self) -> list[Widget]:
        return [self.query_one(f"#f-{f.name}") for f in self.fields]

    # ---- values ------------------------------------------------------------------------------

    def value(self, name: str) -> Any:
        widget = self.query_one(f"#f-{name}")
        if isinstance(widget, Choice):
            return widget.value
        if isinstance(widget, Input):
            return widget.value.strip()
        return None

    def text_of(self, name: str) -> str:
        """A field's value as text (what the memory keeps)."""
        widget = self.query_one(f"#f-{name}")
        if isinstance(widget, Choice):
            return widget.label
        if isinstance(widget, Input):
            return widget.value
        return ""

    def set_value(self, name: str, value: Any) -> None:
        widget = self.query_one(f"#f-{name}")
        if isinstance(widget, Choice):
            widget.value = value
            widget.touched = True  # set on purpose: the form's own following of other fields stops
        elif isinstance(widget, Input):
            widget.value = str(value)

    def int_value(self, name: str, label: str, empty: int | None = None, *,
                  required: bool = False, low: int | None = None) -> int | None:
        """A whole number, or ``empty`` when the field is empty; FieldError with one sentence."""
        raw = self.value(name)
        if raw in ("", None):
            if required:
                raise FieldError(name, f"{label} needs a whole number.")
            return empty
        try:
            number = int(raw)
        except ValueError:
            raise FieldError(name, f"{label} must be a whole number, not {raw!r}.") from None
        if low is not None and number < low:
            raise FieldError(name, f"{label} must be at least {low}, not {number}.")
        return number

    def float_value(self, name: str, label: str, empty: float | None = None) -> float | None:
        raw = self.value(name)
        if raw in ("", None):
            return empty
        try:
            return float(raw)
        except ValueError:
            raise FieldError(name, f"{label} must be a number, not {raw!r}.") from None

    # ---- what subclasses provide -------------------------------------------------------------

    def build(self) -> T:
        """The result from the current values; raises ValueError (or FieldError) with a sentence."""
        raise NotImplementedError

    def notes(self) -> dict[str, Note]:
        """Situational sentences under fields (a warning, what will happen), by field name."""
        return {}

    def commands(self, result: T) -> Sequence[tuple[Command, str]]:
        """The engine commands (with their labels) that carry out ``result`` when ``submits``."""
        return ()

    # ---- checking as you type ----------------------------------------------------------------

    def check(self) -> T | None:
        """Build from the current values and show what is wrong, field by field; the result when
        every value is fine."""
        result: T | None = None
        error: str | None = None
        field: str | None = None
        self._checked = self._values()
        try:
            result = self.build()
        except FieldError as exc:
            error, field = str(exc), exc.field
        except ValueError as exc:
            error = str(exc).splitlines()[0] if str(exc) else "That value is not valid."
            field = self.field_for(error)
        self._error_field = field
        notes = self.notes()
        for f in self.fields:
            self._show_help(f, error if f.name == field else None, notes.get(f.name))
        if self._busy is None:
            self._status(error or "", "-error" if error else "")
        return result

    def field_for(self, sentence: str) -> str | None:
        lowered = sentence.lower()
        return next((name for words, name in self.error_fields if words.lower() in lowered), None)

    def _values(self) -> tuple[Any, ...]:
        return tuple(self.value(f.name) for f in self.fields)

    def _show_help(self, f: Field, error: str | None, note: Note | None) -> None:
        if error is not None:
            text = error
        elif note is not None:
            text = note[0]
        else:
            text = f.help
            meaning = f.option_help().get(str(self.value(f.name)))
            if meaning:
                text = f"{text} {self.value(f.name)}: {meaning}." if text else f"{meaning}."
        shown = (text, error is not None, error is None and note is not None and note[1] == "warning")
        if self._shown.get(f.name) == shown:
            return  # restyling and re-rendering twenty lines per key press is what made typing slow
        self._shown[f.name] = shown
        line = self.query_one(f"#h-{f.name}", Static)
        self.query_one(f"#f-{f.name}").set_class(shown[1], "-invalid")
        line.set_class(shown[1], "-invalid")
        line.set_class(shown[2], "-warning")
        line.update(Text(text))

    def _status(self, text: str, level: str) -> None:
        line = self.query_one("#form-error", Static)
        for cls in ("-error", "-busy"):
            line.set_class(cls == level, cls)
        if self._shown.get("") != (text, False, False):
            self._shown[""] = (text, False, False)
            line.update(Text(text))

    @on(Input.Changed)
    @on(Choice.Changed)
    def _changed(self, event: Input.Changed | Choice.Changed) -> None:
        if not self.is_mounted:
            return
        # every field's change reaches value_changed, even when an earlier field's message already
        # had the form checked with this value (a fast typist's next field, values set at once)
        self.value_changed(event.control.id.removeprefix("f-") if event.control.id else "")
        if self._values() != self._checked:
            self.check()

    def value_changed(self, name: str) -> None:
        """A field changed (before the form is checked again): e.g. let a default follow it."""

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        # the field's explanation (or its error) is under it: keep that line in view too
        widget_id = event.widget.id or ""
        if widget_id.startswith("f-"):
            self.query_one(f"#h-{widget_id.removeprefix('f-')}").scroll_visible(animate=False)

    # ---- keys --------------------------------------------------------------------------------

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_next_field()

    def action_next_field(self) -> None:
        widgets = self.field_widgets()
        focused = self.focused
        if isinstance(focused, Button):
            focused.press()
            return
        if focused in widgets:
            index = widgets.index(focused)
            if index + 1 < len(widgets):
                self.set_focus(widgets[index + 1])  # at once (Widget.focus is deferred)
                return
        self.set_focus(self.query_one("#ok", Button))

    def on_key(self, event: events.Key) -> None:
        # a key typed while the form was opening reached the screen before the first field had the
        # focus: hand it to that field instead of losing it
        focused = self.focused
        if event.is_printable and isinstance(focused, Input | Choice):
            event.stop()
            focused.post_message(events.Key(event.key, event.character))

    # ---- submitting --------------------------------------------------------------------------

    def action_submit(self) -> None:
        if self._busy is not None:
            return
        result = self.check()
        if result is None:
            if self._error_field is not None:
                self.set_focus(self.query_one(f"#f-{self._error_field}"))
            return
        work = list(self.commands(result)) if self.submits else []
        if not work:
            self._finish(result)
            return
        self._send(result, work, 0)

    def _send(self, result: T, work: list[tuple[Command, str]], done: int) -> None:
        cmd, label = work[done]
        self._busy = label
        self.query_one("#ok", Button).disabled = True
        self._status(f"{label}…", "-busy")

        def answered(_value: Any, error: str | None) -> None:
            if not self.is_attached:
                return
            if error is not None:
                self._busy = None
                self.query_one("#ok", Button).disabled = False
                self.refused(error, done, len(work))
                return
            if done + 1 < len(work):
                self._send(result, work, done + 1)
            else:
                self._busy = None
                self._finish(result)

        self.post_message(CommandRequested(Request(cmd, label, done=answered)))

    def refused(self, error: str, done: int, total: int) -> None:
        """The engine refused command ``done`` of ``total``: say why in the form, keep the values."""
        field = self.field_for(error)
        if field is not None:
            self._show_help(next(f for f in self.fields if f.name == field), error, None)
        self._status(error, "-error")
        if field is not None:
            self.set_focus(self.query_one(f"#f-{field}"))

    def finished(self, result: T) -> None:
        """The form is about to close with ``result`` (accepted by the engine when it submits)."""

    def _finish(self, result: T) -> None:
        self.finished(result)
        if self.form_id:
            store(self.app, self.form_id, {f.name: self.text_of(f.name) for f in self.fields
                                           if f.remember})
            self.post_message(FormValuesRemembered(self.form_id))
        self.dismiss(result)

    def action_cancel(self) -> None:
        self.dismiss(None)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "ok":
            self.action_submit()
        else:
            self.action_cancel()
