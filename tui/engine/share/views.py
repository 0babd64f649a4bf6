"""Frozen views of the share members and their share groups, for snapshots. The UI renders these."""

from __future__ import annotations

from dataclasses import dataclass

from tui.engine.jsonview import JsonView
from tui.vocab import MemberState

_ACTIVE = frozenset({MemberState.JOINING, MemberState.RUNNING, MemberState.PAUSED})


@dataclass(frozen=True, slots=True)
class ShareRecordView(JsonView):
    """One recently acquired record. ``key``/``value`` are raw untrusted bytes capped at 256 bytes."""

    ts: float
    topic: str
    partition: int
    offset: int
    msg_id: str | None
    delivery_count: int
    """The broker's count: 1 on first delivery, +1 for each redelivery."""
    outcome: str
    """accept / release / reject once acknowledged (a :class:`tui.vocab.AckType`); ``failed`` while a
    failed record waits for its acknowledgement, ``held`` before that; ``lost`` when the member died
    holding it (the broker hands it out again)."""
    key: bytes | None = None
    value: bytes | None = None

    @property
    def redelivered(self) -> bool:
        return self.delivery_count > 1


@dataclass(frozen=True, slots=True)
class ShareMemberView(JsonView):
    """A share member (all its incarnations)."""

    name: str
    group: str
    incarnation: int
    state: str
    """joining / running / crashed / stopped."""
    topics: tuple[str, ...]
    ack_mode: str
    policy: str
    """How it acknowledges, e.g. 'explicit: reject 1 id'."""
    fail_ids: tuple[str, ...]
    fail_transient: int
    processing_ms: int
    acquired: int
    """Records acquired (every delivery, redeliveries included)."""
    processed: int
    failed: int
    accepted: int
    released: int
    rejected: int
    ack_commits_ok: int
    ack_commits_failed: int
    in_flight: int
    """Acquired by the current incarnation and not yet confirmed by the broker."""
    delivery_counts: tuple[tuple[int, int], ...]
    """(delivery count, records acquired with it), sorted."""
    client_id: str
    last_error: str | None = None
    last_ack_commit: str | None = None
    recent: tuple[ShareRecordView, ...] = ()
    """The last acquisitions, oldest first (bounded)."""

    @property
    def active(self) -> bool:
        return self.state in _ACTIVE

    @property
    def redelivered(self) -> int:
        """Acquisitions with a delivery count above 1."""
        return sum(n for count, n in self.delivery_counts if count > 1)


@dataclass(frozen=True, slots=True)
class ShareConfigView(JsonView):
    """A share group's settings as the broker reports them (``describe_configs`` on the group)."""

    group: str
    auto_offset_reset: str | None
    lock_duration_ms: int | None
    delivery_count_limit: int | None
    sources: tuple[tuple[str, str], ...] = ()
    """(config, where its value comes from: 'group' when set on the group, else 'broker default')."""
    read_at: float = 0.0


@dataclass(frozen=True, slots=True)
class ShareToolMemberView(JsonView):
    """One member line of ``ShareGroupCommand --describe --members --verbose``."""

    consumer_id: str
    client_id: str
    host: str
    member_epoch: int | None
    assignment: tuple[tuple[str, int], ...]
    member: str | None = None
    """This engine's member name when the client id is one of ours."""


@dataclass(frozen=True, slots=True)
class SharePartitionView(JsonView):
    topic: str
    partition: int
    start_offset: int | None
    """The share-partition start offset (ShareGroupCommand's START-OFFSET; it trails the
    acknowledgements)."""
    lag: int | None
    """ShareGroupCommand's LAG (4.4)."""
    in_flight: int
    """Records this engine's members hold un-confirmed (Kafka's tools do not show in-flight records)."""


@dataclass(frozen=True, slots=True)
class ShareGroupView(JsonView):
    group: str
    type: str = "share"
    state: str | None = None
    """Kafka's word (Empty, Stable, Dead); None until ShareGroupCommand answered."""
    coordinator: str | None = None
    members: tuple[ShareToolMemberView, ...] = ()
    partitions: tuple[SharePartitionView, ...] = ()
    config: ShareConfigView | None = None
    read_at: float | None = None
    """When ShareGroupCommand last answered for it."""
    tool_error: str | None = None


@dataclass(frozen=True)
class ShareMembersView(JsonView):
    members: tuple[ShareMemberView, ...] = ()
    groups: tuple[ShareGroupView, ...] = ()
    notes: tuple[str, ...] = ()
    """What the preview client and the admin API cannot do, and what reading the group costs."""
    tool_seconds: float | None = None
    """Wall time of the last ShareGroupCommand round (JVM starts)."""
    tool_available: bool = False
    """Kafka's ShareGroupCommand can be run here (a lab's jars, a plaintext connection)."""
    log_events: int = 0

    def member(self, name: str) -> ShareMemberView | None:
        return next((m for m in self.members if m.name == name), None)

    def group(self, name: str) -> ShareGroupView | None:
        return next((g for g in self.groups if g.group == name), None)

    @property
    def active(self) -> tuple[ShareMemberView, ...]:
        return tuple(m for m in self.members if m.active)

    @property
    def topics(self) -> frozenset[str]:
        return frozenset(t for m in self.members for t in m.topics)

    @property
    def acquired(self) -> int:
        return sum(m.acquired for m in self.members)

    @property
    def in_flight(self) -> int:
        return sum(m.in_flight for m in self.members)

    @property
    def acknowledged(self) -> dict[str, int]:
        """Acknowledgements by type, every member together."""
        return {"accept": sum(m.accepted for m in self.members),
                "release": sum(m.released for m in self.members),
                "reject": sum(m.rejected for m in self.members)}

    @property
    def delivery_counts(self) -> tuple[tuple[int, int], ...]:
        """(delivery count, acquisitions), every member together."""
        total: dict[int, int] = {}
        for m in self.members:
            for count, n in m.delivery_counts:
                total[count] = total.get(count, 0) + n
        return tuple(sorted(total.items()))

    @property
    def redeliveries(self) -> tuple[tuple[str, ShareRecordView], ...]:
        """(member, record) of every recent acquisition with a delivery count above 1, newest last."""
        found = [(m.name, r) for m in self.members for r in m.recent if r.redelivered]
        return tuple(sorted(found, key=lambda x: x[1].ts))
