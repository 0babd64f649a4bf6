"""Browse & fix dialogs: reset a group's offsets (plan first, then execute), delete a topic or a group
after typing its name, and a topic's configs with one line to alter them.

Each dialog sends its engine commands itself (``CommandRequested`` bubbles up to the app) and shows
a refusal in one sentence where it happened, keeping what was typed. None of them waits on Kafka:
every answer comes back through the request's ``done`` callback on the UI thread.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from tui.engine import (
    ALTERABLE,
    AlterResult,
    AlterTopicConfig,
    Command,
    DeleteGroup,
    DeleteTopic,
    DescribeTopicConfig,
    ResetOffsets,
    ResetPlan,
    ResetTarget,
    TopicConfigView,
    parse_topic_targets,
)
from tui.safe_text import safe_text
from tui.ui.fast_table import FastTable
from tui.ui.messages import CommandRequested, Request

DIALOGS_CSS = Path(__file__).with_name("dialogs.tcss")


class _Dialog(ModalScreen[Any]):
    """A titled box with a message line and buttons; commands go to the app as requests."""

    CSS_PATH = DIALOGS_CSS
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="dialog.cancel")]
    title_text = ""

    def ask(self, cmd: Command, label: str, done: Any) -> None:
        self.post_message(CommandRequested(Request(cmd, label, done=done, announce=False)))

    def say(self, text: str, level: str = "") -> None:
        line = self.query_one("#dialog-message", Static)
        for cls in ("-error", "-busy", "-ok"):
            line.set_class(cls == level, cls)
        line.update(Text(text))

    def on_mount(self) -> None:
        self.query_one("#dialog").border_title = self.title_text

    def action_cancel(self) -> None:
        self.dismiss(None)


class ResetOffsetsDialog(_Dialog):
    """Plan a reset of ``group`` (a dry run: current and new offset per partition), then execute it.
    Execute stays off while the plan says the group has active members. Dismisses with the executed
    :class:`ResetPlan`, or None."""

    BINDINGS = [*_Dialog.BINDINGS, Binding("ctrl+s", "execute", "Execute", id="dialog.execute")]

    def __init__(self, group: str, topics: tuple[str, ...] = (), to: str = "earliest") -> None:
        super().__init__()
        self.group = group
        self.title_text = f"Reset the offsets of group {safe_text(group, 80)}"
        self._topics = ",".join(topics)
        self._to = to
        self.plan: ResetPlan | None = None
        self._asked = 0

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static("A dry run first: nothing changes until you execute. Kafka only moves the "
                         "offsets of a group without active members.", classes="dialog-help")
            with Horizontal(classes="dialog-row"):
                yield Label("Topics (T or T:P, comma-separated)", classes="dialog-label")
                yield Input(self._topics, id="reset-topics", compact=True)
            with Horizontal(classes="dialog-row"):
                yield Label("To", classes="dialog-label")
                yield Input(self._to, id="reset-to", compact=True,
                            placeholder="earliest, latest, OFFSET, @TIME or shift:-N")
            yield FastTable(["topic", "p", "current", "new", "note"], id="reset-plan")
            yield Static("", id="dialog-message")
            with Horizontal(id="dialog-buttons"):
                yield Button("Cancel", id="cancel", compact=True)
                yield Button("Plan (enter)", id="plan", compact=True)
                yield Button("Execute (ctrl+s)", id="execute", variant="warning", compact=True,
                             disabled=True)

    def on_mount(self) -> None:
        self.set_focus(self.query_one("#reset-topics", Input))
        if self._topics:
            self.action_plan()

    def _request(self, execute: bool) -> ResetOffsets | None:
        topics = tuple(t.strip() for t in self.query_one("#reset-topics", Input).value.split(",")
                       if t.strip())
        to = self.query_one("#reset-to", Input).value.strip()
        try:
            if not topics:
                raise ValueError("Name the topics to reset: T, or T:P for some partitions.")
            parse_topic_targets(topics)
            ResetTarget.parse(to)
        except ValueError as exc:
            self.say(str(exc), "-error")
            return None
        return ResetOffsets(self.group, topics, to, execute=execute)

    def action_plan(self) -> None:
        cmd = self._request(execute=False)
        if cmd is None:
            return
        self._asked += 1
        ticket = self._asked
        self.plan = None
        self.query_one("#execute", Button).disabled = True
        self.say("planning…", "-busy")

        def planned(result: Any, error: str | None) -> None:
            if ticket == self._asked and self.is_attached:
                self.show_plan(result if isinstance(result, ResetPlan) else None, error)

        self.ask(cmd, f"plan a reset of {self.group}", planned)

    def show_plan(self, plan: ResetPlan | None, error: str | None) -> None:
        table = self.query_one("#reset-plan", FastTable)
        if plan is None:
            table.update([])
            self.say(error or "No plan.", "-error")
            return
        self.plan = plan
        table.update([(f"{r.topic}\x00{r.partition}", (
            Text(safe_text(r.topic, 60)), str(r.partition), "-" if r.current is None else f"{r.current:,}",
            f"{r.new:,}", Text(r.note))) for r in plan.rows])
        if plan.members:
            self.say(f"Group {plan.group} has {plan.members} active member(s) (state {plan.state}): "
                     "stop them before executing this reset.", "-error")
            return
        self.query_one("#execute", Button).disabled = False
        self.say(f"Dry run: nothing changed. Execute moves {plan.changes} of {len(plan.rows)} "
                 f"partition(s) of group {plan.group} (state {plan.state}).")

    def action_execute(self) -> None:
        if self.plan is None or self.query_one("#execute", Button).disabled:
            return
        cmd = self._request(execute=True)
        if cmd is None:
            return
        self.query_one("#execute", Button).disabled = True
        self.say("resetting…", "-busy")

        def done(result: Any, error: str | None) -> None:
            if not self.is_attached:
                return
            if error is not None or not isinstance(result, ResetPlan):
                self.say(error or "The reset did not happen.", "-error")
                return
            self.dismiss(result)

        self.ask(cmd, f"reset the offsets of {self.group}", done)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_plan()

    def on_input_changed(self, event: Input.Changed) -> None:
        self.plan = None  # the plan shown no longer matches what is typed
        if self.is_mounted:
            self.query_one("#execute", Button).disabled = True

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        {"cancel": self.action_cancel, "plan": self.action_plan,
         "execute": self.action_execute}[event.button.id or "cancel"]()


class DeleteDialog(_Dialog):
    """Delete a topic or a group once its name is typed exactly; dismisses with True when the
    cluster deleted it, None when cancelled. A refusal (an internal topic, a group with members)
    is shown here."""

    BINDINGS = [*_Dialog.BINDINGS, Binding("ctrl+s", "confirm", "Delete", id="dialog.confirm")]

    def __init__(self, kind: str, name: str) -> None:
        super().__init__()
        if kind not in ("topic", "group"):
            raise ValueError(f"Nothing to delete of kind {kind!r}.")
        self.kind = kind
        self.target = name
        self.title_text = f"Delete {kind} {safe_text(name, 80)}"
        self.consequence = ("Every record in it is gone for good." if kind == "topic" else
                            "Its committed offsets are gone for good; a new member starts per "
                            "auto.offset.reset.")

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(Text(f"{self.consequence} Type the {self.kind}'s name to confirm: "
                              f"{safe_text(self.target, 120)}"), classes="dialog-help")
            yield Input("", id="confirm-name", compact=True, placeholder=f"the {self.kind}'s name")
            yield Static("", id="dialog-message")
            with Horizontal(id="dialog-buttons"):
                yield Button("Cancel", id="cancel", compact=True)
                yield Button(f"Delete {self.kind}", id="delete", variant="error", compact=True,
                             disabled=True)

    def on_mount(self) -> None:
        self.set_focus(self.query_one("#confirm-name", Input))

    @property
    def confirmed(self) -> bool:
        return self.query_one("#confirm-name", Input).value == self.target

    def on_input_changed(self, event: Input.Changed) -> None:
        self.query_one("#delete", Button).disabled = not self.confirmed

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_confirm()

    def action_confirm(self) -> None:
        if not self.confirmed:
            self.say(f"Type {self.target} exactly to delete it.", "-error")
            return
        cmd: Command = DeleteTopic(self.target) if self.kind == "topic" else DeleteGroup(self.target)
        self.query_one("#delete", Button).disabled = True
        self.say("deleting…", "-busy")

        def done(_result: Any, error: str | None) -> None:
            if not self.is_attached:
                return
            if error is not None:
                self.say(error, "-error")
                return
            self.dismiss(True)

        self.ask(cmd, f"delete {self.kind} {self.target}", done)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "delete":
            self.action_confirm()
        else:
            self.action_cancel()


class TopicConfigDialog(_Dialog):
    """A topic's non-default configs with their source, and a line to set one of
    :data:`tui.engine.ALTERABLE` (checked by the engine; a refusal is one sentence here)."""

    def __init__(self, topic: str) -> None:
        super().__init__()
        self.topic = topic
        self.title_text = f"Configs of topic {safe_text(topic, 80)}"
        self.config: TopicConfigView | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static("", id="config-facts", classes="dialog-help")
            yield FastTable(["config", "value", "source"], id="config-table")
            with Horizontal(classes="dialog-row"):
                yield Label("Set (name=value)", classes="dialog-label")
                yield Input("", id="config-set", compact=True,
                            placeholder=", ".join(ALTERABLE))
            yield Static("", id="dialog-message")
            with Horizontal(id="dialog-buttons"):
                yield Button("Close", id="cancel", compact=True)

    def on_mount(self) -> None:
        self.set_focus(self.query_one("#config-set", Input))
        self.refresh_config()

    def refresh_config(self, note: str = "") -> None:
        def described(result: Any, error: str | None) -> None:
            if not self.is_attached:
                return
            if error is not None or not isinstance(result, TopicConfigView):
                self.say(error or "No answer.", "-error")
                return
            self.show_config(result)
            self.say(note, "-ok" if note else "")

        self.ask(DescribeTopicConfig(self.topic), f"describe {self.topic}", described)

    def show_config(self, view: TopicConfigView) -> None:
        self.config = view
        self.query_one("#config-facts", Static).update(Text(
            f"{view.partitions} partition(s), replication factor {view.replication_factor}; every "
            "config not at its default, and where its value comes from."))
        self.query_one("#config-table", FastTable).update([(e.name, (
            Text(safe_text(e.name, 60)), Text("(sensitive)" if e.sensitive else safe_text(e.value or "", 80)),
            Text(e.source))) for e in view.entries])

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        name, sep, value = event.value.partition("=")
        if not sep or not name.strip():
            self.say("Type name=value, e.g. retention.ms=604800000.", "-error")
            return
        self.say("altering…", "-busy")

        def altered(result: Any, error: str | None) -> None:
            if not self.is_attached:
                return
            if error is not None or not isinstance(result, AlterResult):
                self.say(error or "Nothing changed.", "-error")
                return
            self.query_one("#config-set", Input).value = ""
            self.show_config(result.config)
            self.say("; ".join(f"{c.name}: {safe_text(c.before or 'default', 40)} → {c.after}"
                               for c in result.changes), "-ok")

        self.ask(AlterTopicConfig(self.topic, ((name.strip(), value.strip()),)),
                 f"alter {self.topic}", altered)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_cancel()
