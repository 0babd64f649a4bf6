"""Frozen views of the group members for snapshots. The UI renders these; it derives nothing itself."""

from __future__ import annotations

from dataclasses import dataclass

from tui.engine.jsonview import JsonView
from tui.vocab import MemberState, names

MEMBER_STATES = names(MemberState)
_ACTIVE_STATES = frozenset({MemberState.JOINING, MemberState.RUNNING, MemberState.PAUSED})


@dataclass(frozen=True, slots=True)
class MemberPartitionView(JsonView):
    """One assigned partition as the member sees it."""

    topic: str
    partition: int
    position: int | None = None
    """Next offset the member will read (consumer.position); None before the first fetch."""
    committed: int | None = None
    """Last offset this member committed successfully (next offset to read), or the group's committed
    offset at assignment; None when unknown."""
    delivered: int = 0
    """Records of this partition returned to this member (all incarnations)."""
    high: int | None = None
    """High watermark from the member's last fetch; None when unknown."""
    lag: int | None = None
    """high - position, when both are known."""


@dataclass(frozen=True, slots=True)
class ConsumedRecordView(JsonView):
    """One recently delivered record. ``key``/``value`` are raw untrusted bytes capped at 256 bytes:
    escaping them before display is the UI's job."""

    ts: float
    topic: str
    partition: int
    offset: int
    msg_id: str | None
    key: bytes | None
    value: bytes | None
    redelivered: bool
    """The group had already been delivered this offset (or a later one) of this partition."""


@dataclass(frozen=True, slots=True)
class MemberView(JsonView):
    """A group member (all its incarnations)."""

    name: str
    group: str
    incarnation: int
    """0 for the first client, +1 after each restart."""
    state: str
    """joining / running / paused / kicked / crashed / stopped."""
    strategy: str
    pending_strategy: str | None
    """A strategy switch waiting for the next batch."""
    protocol: str
    """'classic/range', 'classic/cooperative-sticky', 'consumer/uniform'..."""
    group_instance_id: str | None
    topics: tuple[str, ...]
    assignment: tuple[tuple[str, int], ...]
    """(topic, partition) currently assigned, sorted."""
    partitions: tuple[MemberPartitionView, ...]
    generation: int
    """Assignment epoch: the member incarnation's count of non-empty assignments (our own counter;
    librdkafka does not expose the group generation to Python)."""
    delivered: int
    processed: int
    redelivered: int
    """Deliveries of offsets the group had already been delivered (so far, all incarnations)."""
    commits_ok: int
    commits_failed: int
    last_commit: str | None
    """One line about the last commit result, e.g. 'sync ok: orders[0]@120'."""
    last_error: str | None
    processing_ms: int
    slow: bool
    member_id: str | None
    """The coordinator's member id of the current incarnation, when known."""
    recent: tuple[ConsumedRecordView, ...] = ()
    """The last deliveries, oldest first (bounded)."""

    @property
    def active(self) -> bool:
        """Taking part in its group: joining, running or paused (a kicked member is rejoining, a
        crashed or stopped one is gone)."""
        return self.state in _ACTIVE_STATES

    @property
    def crashed(self) -> bool:
        """Its process ended without leaving the group (the coordinator learns it only when the
        session times out)."""
        return self.state == MemberState.CRASHED


@dataclass(frozen=True)
class ConsumersView(JsonView):
    members: tuple[MemberView, ...] = ()
    log_events: int = 0
    """Events in the consumption log so far."""
    log_dropped: int = 0
    """Events not recorded because the log reached its cap (then the verdict is incomplete)."""

    def member(self, name: str) -> MemberView | None:
        for member in self.members:
            if member.name == name:
                return member
        return None

    @property
    def active(self) -> tuple[MemberView, ...]:
        return tuple(m for m in self.members if m.active)

    @property
    def topics(self) -> frozenset[str]:
        """Every topic a member subscribes to."""
        return frozenset(t for m in self.members for t in m.topics)
