"""Add-member form and the live strategy picker.

The form shows what each commit strategy does (the engine's ``strategy_info``) and warns when the
chosen protocol or assignor differs from the group's current one (the snapshot's groups): a classic
member whose assignor the group's members do not share cannot join (INCONSISTENT_GROUP_PROTOCOL).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList, Static
from textual.widgets.option_list import Option

from tui.engine import (
    AddMember,
    AddShareMember,
    Command,
    MemberSpec,
    MemberView,
    SetShareGroupConfig,
    ShareMemberSpec,
    Snapshot,
)
from tui.ui import catalog
from tui.ui.forms import explain
from tui.ui.forms.base import FORMS_CSS, Field, FieldError, FormScreen, Note
from tui.ui.forms.topic import topic_names

MAX_AT_ONCE = 16
MEMBER_TYPES = (
    ("group", "a consumer-group member: partitions assigned to it, offsets committed by its strategy"),
    ("share", "a share-group member (KIP-932, Kafka 4.2+): records acquired under a lock and acknowledged "
              "one by one; more members than partitions all get work"),
)
ACK_MODES = (
    ("explicit", "each record accepted, or released / rejected when it fails (the injection below)"),
    ("implicit", "every record of a poll is accepted by the next poll, failed or not"),
)
SHARE_ONLY = ("ack", "fail_ids", "fail_transient", "lock", "limit")
GROUP_ONLY = ("strategy", "protocol", "assignor", "remote", "instance", "batch", "auto_commit",
              "isolation", "output")


@dataclass(frozen=True)
class MemberRequest:
    spec: MemberSpec | ShareMemberSpec
    count: int
    """How many members with this spec to add (each gets its own name)."""
    share_config: SetShareGroupConfig | None = None
    """Share members: the group's settings, set before they start."""


def clone_values(member: MemberView) -> dict[str, Any]:
    """The form values of an existing member (its name and static id excepted: they are its own)."""
    protocol, _, assignor = member.protocol.partition("/")
    values: dict[str, Any] = {"group": member.group, "topics": ", ".join(member.topics),
                              "strategy": member.strategy, "protocol": protocol or "classic",
                              "processing": str(member.processing_ms), "count": "1"}
    if protocol == "consumer":
        values["remote"] = assignor or "default"
    elif assignor:
        values["assignor"] = assignor
    return values


class MemberForm(FormScreen[MemberRequest]):
    form_id = "member"
    title_text = "Add group members"
    help_text = ("Each member is its own process with one consumer, so a crash is real (no commit, "
                 "no leave).")
    error_fields = (("group id", "group"), ("topic", "topics"), ("strategy", "strategy"),
                    ("protocol", "protocol"), ("remote assignor", "remote"),
                    ("assignor", "assignor"), ("isolation", "isolation"),
                    ("auto.offset.reset", "reset"), ("batch size", "batch"),
                    ("processing", "processing"), ("output topic", "output"),
                    ("crash-after", "crash_after"), ("member name", "name"),
                    ("acknowledgement", "ack"), ("fail ids", "fail_ids"), ("msg id", "fail_ids"),
                    ("fail-transient", "fail_transient"), ("share.record.lock", "lock"),
                    ("share.delivery.count", "limit"), ("share group", "group"))

    def __init__(self, group: str | None = None, topic: str | None = None, *,
                 snapshot: Snapshot | None = None, clone: Mapping[str, Any] | None = None,
                 submits: bool = False) -> None:
        given = {"group": group, "topics": topic}
        super().__init__(context={k: v for k, v in given.items() if v is not None}, clone=clone,
                         submits=submits)
        self.snapshot = snapshot
        self.existing = topic_names(snapshot)
        strategies = explain.strategies()
        names = catalog.strategy_names()
        self.fields = (
            Field("group", "Group id", default="demo-group",
                  help="Members of one group share the partitions; another group reads "
                       "everything again."),
            Field("topics", "Topics", default="demo", help="Comma-separated topics to subscribe to."),
            Field("count", "How many members", "int", 1, remember=False,
                  help=f"Members to add with these settings (1-{MAX_AT_ONCE}), named m1, m2..."),
            Field("name", "Member name", default="", remember=False,
                  help="Names one member; empty: m1, m2..."),
            Field("strategy", "Commit strategy", "select",
                  "sync-per-batch" if "sync-per-batch" in names else names[0], strategies,
                  help="When offsets are committed, so what a crash redelivers or skips;"),
            Field("protocol", "Group protocol", "select", "classic", explain.PROTOCOL),
            Field("assignor", "Assignor (classic)", "select", "range", explain.ASSIGNOR,
                  help="Who gets which partition (classic protocol);"),
            Field("remote", "Remote assignor", "select", "default", explain.REMOTE_ASSIGNOR,
                  help="The broker-side assignor (consumer protocol);"),
            Field("instance", "group.instance.id", default="", remember=False,
                  help="Static membership: a restart with this id takes its old place without a "
                       "rebalance; empty: off."),
            Field("processing", "Processing ms/record", "int", 0,
                  help="Simulated work: long batches make a crash land mid-batch, and risk "
                       "max.poll.interval.ms."),
            Field("batch", "Batch size", "int", 10,
                  help="Records per consume() call: what a per-batch strategy commits at once."),
            Field("auto_commit", "auto.commit.interval.ms", "int", 1000,
                  help="How often auto and auto-stored commit: shorter means less redelivered, "
                       "more commits."),
            Field("isolation", "Isolation level", "select", "read_committed", explain.ISOLATION),
            Field("reset", "auto.offset.reset", "select", "earliest", explain.OFFSET_RESET),
            Field("crash_after", "Crash after N records", "int", "", remember=False,
                  help="The first incarnation dies (no commit, no leave) right after processing "
                       "N records; empty: never."),
            Field("output", "Output topic", default="",
                  help="Where the transactional strategy copies records (only it needs one)."),
            Field("kind", "Member type", "select", "group", MEMBER_TYPES,
                  help="Share groups need Kafka 4.2 or newer;"),
            Field("ack", "Share: acknowledge", "select", "explicit", ACK_MODES),
            Field("fail_ids", "Share: fail msg ids", default="", remember=False,
                  help="Comma-separated msg ids or tails (p1/0/4, or 4: seq 4 of any producer)."),
            Field("fail_transient", "Share: release K×", "int", 0,
                  help="0: a failure is a poison record, REJECTed (archived); K: RELEASEd on deliveries "
                       "1..K, then processed."),
            Field("lock", "Share: lock ms", "int", "",
                  help="The group's share.record.lock.duration.ms (empty: unchanged; the lab allows "
                       "5000-60000)."),
            Field("limit", "Share: delivery limit", "int", "",
                  help="The group's share.delivery.count.limit: deliveries after which the broker "
                       "archives a record (empty: unchanged)."),
        )

    def build(self) -> MemberRequest:
        if str(self.value("kind")) == "share":
            return self.build_share()
        protocol = str(self.value("protocol"))
        remote = str(self.value("remote"))
        count = self.int_value("count", "How many members", required=True, low=1) or 0
        if count > MAX_AT_ONCE:
            raise FieldError("count", f"Add between 1 and {MAX_AT_ONCE} members at a time.")
        name = str(self.value("name")) or None
        if count > 1 and name:
            raise FieldError("name", "Leave the member name empty when adding several members.")
        spec = MemberSpec(
            group=str(self.value("group")),
            topics=tuple(t.strip() for t in str(self.value("topics")).split(",") if t.strip()),
            strategy=str(self.value("strategy")),
            name=name,
            protocol=protocol,
            assignor=str(self.value("assignor")),
            remote_assignor=None if remote == "default" else remote,
            group_instance_id=str(self.value("instance")) or None,
            processing_ms=self.int_value("processing", "Processing ms", 0, low=0) or 0,
            isolation_level=str(self.value("isolation")),
            auto_offset_reset=str(self.value("reset")),
            batch_size=self.int_value("batch", "Batch size", required=True, low=1) or 0,
            auto_commit_interval_ms=self.int_value("auto_commit", "auto.commit.interval.ms",
                                                   required=True, low=1) or 0,
            session_timeout_ms=None if protocol == "consumer" else 6000,
            output_topic=str(self.value("output")) or None,
            crash_after_records=self.int_value("crash_after", "Crash after", low=1),
        )
        spec.validate()
        return MemberRequest(spec, count)

    def build_share(self) -> MemberRequest:
        """Share members: their spec, and the group's settings (reset, lock, limit) set first."""
        count = self.int_value("count", "How many members", required=True, low=1) or 0
        if count > MAX_AT_ONCE:
            raise FieldError("count", f"Add between 1 and {MAX_AT_ONCE} members at a time.")
        name = str(self.value("name")) or None
        if count > 1 and name:
            raise FieldError("name", "Leave the member name empty when adding several members.")
        ack = str(self.value("ack"))
        fail_ids = tuple(i.strip() for i in str(self.value("fail_ids")).split(",") if i.strip())
        transient = self.int_value("fail_transient", "fail-transient", 0, low=0) or 0
        if (fail_ids or transient) and ack == "implicit":
            raise FieldError("ack", "Injected failures need explicit acknowledgement: in implicit mode "
                                    "every record is accepted at the next poll.")
        group = str(self.value("group"))
        spec = ShareMemberSpec(
            group=group, name=name, ack_mode=ack, fail_ids=fail_ids, fail_transient=transient,
            topics=tuple(t.strip() for t in str(self.value("topics")).split(",") if t.strip()),
            processing_ms=self.int_value("processing", "Processing ms", 0, low=0) or 0,
            crash_after_records=self.int_value("crash_after", "Crash after", low=1))
        spec.validate()
        reset = str(self.value("reset"))
        config = SetShareGroupConfig(group, auto_offset_reset=reset if reset != "error" else None,
                                     lock_duration_ms=self.int_value("lock", "Lock duration", low=1),
                                     delivery_count_limit=self.int_value("limit", "Delivery limit", low=1))
        changes = (config.auto_offset_reset, config.lock_duration_ms, config.delivery_count_limit)
        return MemberRequest(spec, count, config if any(v is not None for v in changes) else None)

    def notes(self) -> dict[str, Note]:
        notes: dict[str, Note] = {}
        if str(self.value("kind")) == "share":
            for field in GROUP_ONLY:
                notes[field] = ("Not used by share members (they acknowledge records, they commit "
                                "nothing).", "info")
            notes["reset"] = ("Set on the share group as share.auto.offset.reset (a new share group "
                              "starts at the end unless it is earliest).", "info")
            return notes
        for field in SHARE_ONLY:
            notes[field] = ("Share members only (member type share).", "info")
        mismatch = self.group_mismatch()
        if mismatch is not None:
            field, sentence = mismatch
            notes[field] = (sentence, "warning")
        missing = [t for t in (t.strip() for t in str(self.value("topics")).split(","))
                   if t and self.existing is not None and t not in self.existing]
        if missing:
            notes["topics"] = (f"{', '.join(missing)} does not exist yet: the member waits until "
                               "it does.", "warning")
        protocol = str(self.value("protocol"))
        if protocol == "consumer":
            notes.setdefault("assignor", ("Not used: the consumer protocol assigns on the broker "
                                          "(remote assignor).", "info"))
        else:
            notes.setdefault("remote", ("Not used: the classic protocol assigns in the client "
                                        "(assignor).", "info"))
        return notes

    def group_mismatch(self) -> tuple[str, str] | None:
        """(field, warning) when the group's live members use another protocol or assignor."""
        cluster = self.snapshot.cluster if self.snapshot is not None else None
        group_id = str(self.value("group"))
        group = cluster.group(group_id) if cluster is not None else None
        if group is None or not group.members:
            return None
        protocol, assignor = str(self.value("protocol")), str(self.value("assignor"))
        size = f"{len(group.members)} member{'s' if len(group.members) > 1 else ''}"
        if group.type in ("classic", "consumer") and group.type != protocol:
            return ("protocol", f"Group {group_id} uses the {group.type} protocol now ({size}); a "
                                f"{protocol} member joins only if the broker's "
                                "group.consumer.migration.policy allows mixing them.")
        if protocol == "classic" and group.assignor and group.assignor != assignor:
            return ("assignor", f"Group {group_id} uses {group.assignor} now ({size}): a member "
                                f"asking for {assignor} cannot join it "
                                "(INCONSISTENT_GROUP_PROTOCOL) until they leave.")
        return None

    def commands(self, result: MemberRequest) -> Sequence[tuple[Command, str]]:
        label = f"add member {result.spec.name}" if result.spec.name else "add member"
        if isinstance(result.spec, ShareMemberSpec):
            first: tuple[tuple[Command, str], ...] = ()
            if result.share_config is not None:
                first = ((result.share_config, f"set share group {result.spec.group}"),)
            return first + tuple((AddShareMember(spec=result.spec), label.replace("member", "share member"))
                                 for _ in range(result.count))
        return tuple((AddMember(spec=result.spec), label) for _ in range(result.count))

    def refused(self, error: str, done: int, total: int) -> None:
        if done:
            # the first members started: ask only for the rest when OK is pressed again
            self.set_value("count", str(total - done))
            error = f"{done} of {total} members were added; the next one failed: {error}"
        super().refused(error, done, total)


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
