"""Share-member commands (target ``shares``), group-setting commands (target ``share-admin``, run on
the engine's metadata thread) and the share member's specification."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from tui.engine.commands import Command
from tui.engine.member_process.spec import check_crash_after, spec_json
from tui.vocab import AckMode, AckType, names

ACK_MODES = names(AckMode)
COMMIT_MODES = ("sync", "async")
SHARE_RESETS = ("earliest", "latest")
PREVIEW_GAPS = (
    "librdkafka's ShareConsumer is a preview: it cannot renew a record's acquisition lock (RENEW, "
    "KIP-1222), so a record processed for longer than share.record.lock.duration.ms is redelivered.",
    "max.poll.records is a hint to the preview client, not a limit (no strict record_limit acquire "
    "mode): a poll may return more records.",
    "confluent-kafka's admin client has no share-group calls (list_consumer_groups omits share groups, "
    "describe_consumer_groups misreports them), so the group's state, members and start offsets come "
    "from Kafka's own ShareGroupCommand.",
)
"""What the preview client cannot do, each in one sentence (shown instead of failing)."""


def matches(fail_ids: tuple[str, ...], msg_id: str | None) -> bool:
    """Whether a record's msg_id is one of ``fail_ids``: a whole msg_id, or its tail at a ``/``
    (``p1/0/5`` is seq 5 of producer p1's first client, ``5`` is seq 5 of any producer)."""
    if msg_id is None or not fail_ids:
        return False
    return any(msg_id == want or msg_id.endswith("/" + want) for want in fail_ids)


@dataclass(frozen=True)
class ShareMemberSpec:
    """One share member: the group it joins, how it acknowledges, which records it fails on."""

    group: str
    topics: tuple[str, ...]
    name: str | None = None
    """Member name (``s1``, ``s2``... when None)."""
    ack_mode: str = AckMode.IMPLICIT.value
    """``share.acknowledgement.mode``: implicit (every record of a poll is accepted by the next poll)
    or explicit (each record accepted, released or rejected by the member's policy)."""
    commit: str = "sync"
    """Explicit mode: acknowledgements sent with ``commit_sync`` or ``commit_async`` after each poll."""
    processing_ms: int = 0
    """Time spent on each record (held under its acquisition lock meanwhile)."""
    max_records: int | None = None
    """``max.poll.records`` (best effort in the preview client)."""
    fail_ids: tuple[str, ...] = ()
    """Records this member fails on (msg_ids or their tails, see :func:`matches`)."""
    fail_transient: int = 0
    """0: a failure in ``fail_ids`` is permanent (a poison record: REJECT, archived); k > 0: it is
    transient, failing on delivery counts 1..k (RELEASE, redelivered) and succeeding after (with no
    ``fail_ids``: every record, like the group members' injection)."""
    crash_after_records: int | None = None
    """The first incarnation crashes (no acknowledgement, no leave) right after processing this many
    records."""
    extra: tuple[tuple[str, str], ...] = field(default_factory=tuple)
    """Extra librdkafka properties (win over everything above)."""

    def validate(self) -> None:
        """ValueError with one sentence when the spec cannot work."""
        if not self.group:
            raise ValueError("A share member needs a share group id.")
        if not self.topics or not all(self.topics):
            raise ValueError("A share member needs at least one topic.")
        if any(t.startswith("^") for t in self.topics):
            raise ValueError("A share member subscribes to topic names, not patterns.")
        if self.ack_mode not in ACK_MODES:
            raise ValueError(f"Unknown acknowledgement mode {self.ack_mode!r}; use implicit or explicit.")
        if self.commit not in COMMIT_MODES:
            raise ValueError(f"Unknown acknowledgement commit {self.commit!r}; use sync or async.")
        if self.processing_ms < 0:
            raise ValueError("Processing time cannot be negative.")
        if self.max_records is not None and self.max_records < 1:
            raise ValueError("max.poll.records must be at least 1.")
        if self.fail_transient < 0:
            raise ValueError("fail-transient must be 0 (poison records) or a number of deliveries.")
        check_crash_after(self.crash_after_records)
        if any(not i or "|" in i for i in self.fail_ids):
            raise ValueError("fail ids must be msg ids (run/producer/incarnation/seq) or their tails.")

    def failure(self, msg_id: str | None, delivery_count: int) -> AckType | None:
        """How this member acknowledges a record it fails on (RELEASE for a transient failure, REJECT
        for a poison record); None when it processes the record."""
        if self.fail_ids and not matches(self.fail_ids, msg_id):
            return None
        if not self.fail_ids and not self.fail_transient:
            return None
        if self.fail_transient == 0:
            return AckType.REJECT
        return AckType.RELEASE if delivery_count <= self.fail_transient else None

    @property
    def policy_label(self) -> str:
        """'explicit: reject 2 ids' / 'implicit' / 'explicit: release 1 id ×3' ..."""
        if not self.fail_ids and not self.fail_transient:
            return self.ack_mode
        n = len(self.fail_ids)
        ids = f"{n} id{'s' if n != 1 else ''}" if n else "every record"
        what = f"release {ids} ×{self.fail_transient}" if self.fail_transient else f"reject {ids}"
        return f"{self.ack_mode}: {what}"

    def to_json(self) -> dict[str, Any]:
        return spec_json(self)


@dataclass(frozen=True)
class AddShareMember(Command):
    """Start a share member (its own process); returns its name."""

    target: ClassVar[str] = "shares"
    spec: ShareMemberSpec


@dataclass(frozen=True)
class RemoveShareMember(Command):
    """Clean leave: pending acknowledgements are sent, then ``close()`` leaves the share group."""

    target: ClassVar[str] = "shares"
    name: str


@dataclass(frozen=True)
class CrashShareMember(Command):
    """Hard crash: no acknowledgement, no leave. ``after_records``: crash right after processing that
    many more records (None: SIGKILL now). Its in-flight records come back to the group."""

    target: ClassVar[str] = "shares"
    name: str
    after_records: int | None = None


@dataclass(frozen=True)
class RestartShareMember(Command):
    """A new incarnation with the same name (a running member leaves cleanly first)."""

    target: ClassVar[str] = "shares"
    name: str


@dataclass(frozen=True)
class SetAckPolicy(Command):
    """Change how a share member acknowledges. ``fail_ids`` / ``fail_transient`` apply from its next
    poll; a new ``ack_mode`` (a client setting) restarts the member with it. None: unchanged."""

    target: ClassVar[str] = "shares"
    name: str
    ack_mode: str | None = None
    fail_ids: tuple[str, ...] | None = None
    fail_transient: int | None = None


@dataclass(frozen=True)
class RefreshShareGroups(Command):
    """Ask Kafka's ShareGroupCommand about this engine's share groups now (the Consumers screen does
    when it opens); it otherwise runs at most every ~10 s, and only while a share member runs."""

    target: ClassVar[str] = "shares"


@dataclass(frozen=True)
class SetShareGroupConfig(Command):
    """Set share-group configs on the group resource (``incremental_alter_configs``; the group need not
    exist yet); returns the configs read back. None: unchanged. The broker validates: its refusal comes
    back as one sentence."""

    target: ClassVar[str] = "share-admin"
    group: str
    auto_offset_reset: str | None = None
    """``share.auto.offset.reset``: earliest or latest (a new share group starts at the end)."""
    lock_duration_ms: int | None = None
    """``share.record.lock.duration.ms``."""
    delivery_count_limit: int | None = None
    """``share.delivery.count.limit``."""


@dataclass(frozen=True)
class DescribeShareGroupConfig(Command):
    """Read a share group's configs (``describe_configs`` on the group resource)."""

    target: ClassVar[str] = "share-admin"
    group: str
