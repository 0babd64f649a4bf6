"""Add-member form and the live strategy picker."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList, Static
from textual.widgets.option_list import Option

from tui.engine import MemberSpec
from tui.ui import catalog
from tui.ui.forms.base import FORMS_CSS, Field, FormScreen
from tui.vocab import Assignor, GroupProtocol, Isolation, OffsetReset, RemoteAssignor, names


@dataclass(frozen=True)
class MemberRequest:
    spec: MemberSpec
    count: int
    """How many members with this spec to add (each gets its own name)."""


class MemberForm(FormScreen[MemberRequest]):
    title_text = "Add group members"
    help_text = ("Each member is its own process with one consumer, so a crash is real (no commit, "
                 "no leave). Crash-after makes the first incarnation die right after processing that "
                 "many records.")

    def __init__(self, group: str = "demo-group", topic: str = "demo") -> None:
        super().__init__()
        strategies = catalog.strategy_names()
        self.fields = (
            Field("group", "Group id", default=group),
            Field("topics", "Topics", default=topic, help="comma-separated"),
            Field("count", "How many members", "int", 1),
            Field("name", "Member name", default="", help="empty: m1, m2, ..."),
            Field("strategy", "Commit strategy", "select",
                  "sync-per-batch" if "sync-per-batch" in strategies else strategies[0], strategies),
            Field("protocol", "Group protocol", "select", "classic", names(GroupProtocol),
                  help="consumer = KIP-848 broker-side assignment"),
            Field("assignor", "Assignor (classic)", "select", "range", names(Assignor)),
            Field("remote", "Remote assignor (consumer)", "select", "default",
                  ("default", *names(RemoteAssignor))),
            Field("instance", "group.instance.id", default="", help="static membership; empty: off"),
            Field("processing", "Processing ms per record", "int", 0),
            Field("batch", "Batch size", "int", 10),
            Field("auto_commit", "auto.commit.interval.ms", "int", 1000,
                  help="auto and auto-stored strategies"),
            Field("isolation", "Isolation level", "select", "read_committed", names(Isolation)),
            Field("reset", "auto.offset.reset", "select", "earliest", names(OffsetReset)),
            Field("crash_after", "Crash after N records", "int", "", help="empty: never"),
            Field("output", "Output topic (transactional)", default=""),
        )

    def build(self) -> MemberRequest:
        protocol = str(self.value("protocol"))
        remote = str(self.value("remote"))
        spec = MemberSpec(
            group=str(self.value("group")),
            topics=tuple(t.strip() for t in str(self.value("topics")).split(",") if t.strip()),
            strategy=str(self.value("strategy")),
            name=str(self.value("name")) or None,
            protocol=protocol,
            assignor=str(self.value("assignor")),
            remote_assignor=None if remote == "default" else remote,
            group_instance_id=str(self.value("instance")) or None,
            processing_ms=self.int_value("processing", "Processing ms", 0) or 0,
            isolation_level=str(self.value("isolation")),
            auto_offset_reset=str(self.value("reset")),
            batch_size=self.int_value("batch", "Batch size", 10) or 0,
            auto_commit_interval_ms=self.int_value("auto_commit", "auto.commit.interval.ms",
                                                   1000) or 0,
            session_timeout_ms=None if protocol == "consumer" else 6000,
            output_topic=str(self.value("output")) or None,
            crash_after_records=self.int_value("crash_after", "Crash after"),
        )
        spec.validate()
        count = self.int_value("count", "How many members", 1) or 0
        if not 1 <= count <= 16:
            raise ValueError("Add between 1 and 16 members at a time.")
        if count > 1 and spec.name:
            raise ValueError("Leave the member name empty when adding several members.")
        return MemberRequest(spec, count)


class StrategyPicker(ModalScreen[str | None]):
    """Pick a commit strategy; each option shows what it does in librdkafka terms."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="picker.cancel")]
    CSS_PATH = FORMS_CSS

    def __init__(self, member: str, current: str) -> None:
        super().__init__()
        self.member = member
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(id="picker"):
            yield Label(f"Commit strategy for {self.member} (now: {self.current})", id="picker-title")
            options: list[Option | None] = []
            for name, description in catalog.strategies():
                text = Text.assemble((name, "bold"), "\n", (description, ""))
                options.append(Option(text, id=name))
                options.append(None)
            yield OptionList(*options[:-1])
            yield Static("enter: switch (takes effect at the member's next batch) · escape: cancel",
                         id="picker-help", markup=False)

    def on_mount(self) -> None:
        option_list = self.query_one(OptionList)
        if self.current in catalog.strategy_names():
            option_list.highlighted = option_list.get_option_index(self.current)
        option_list.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)
