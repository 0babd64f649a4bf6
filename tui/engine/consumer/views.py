"""Frozen views of the group members for snapshots. The UI renders these; it derives nothing itself."""

from __future__ import annotations

from dataclasses import dataclass

from tui.engine.jsonview import JsonView
from tui.engine.latency import LatencySummary
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
    """High watermark from the member's last fetch (never below the position); None when unknown."""
    lag: int | None = None
    """high - position, when both are known."""
    held_at: int | None = None
    """The offset of the failed record the ``pause`` error policy paused this partition on (it is
    fetched again once the partition is resumed); None when not held."""
    stuck_since: float | None = None
    """When the group's progress on this partition last moved, while the stall detector calls it
    stuck (epoch seconds); None when it is not stuck."""


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
    assignments: int
    """Non-empty assignments this incarnation received (our own counter: librdkafka does not give the
    group generation to Python, so this is not it)."""
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
    error_policy: str = "fail"
    """The error policy in force, in a few words ('fail', 'retry 3× 200 ms, then dead-letter')."""
    commit_on_revoke: bool = False
    """The rebalance listener commits processed offsets before partitions are revoked or lost."""
    value_format: str = "kx"
    """What the processing step expects values to be (kx, json, any)."""
    failures: str | None = None
    """Injected failures in a few words ('2 msg id(s), transient ×2'); None when there are none."""
    failed: int = 0
    """Failed processing attempts (every retry counts)."""
    skipped_by_policy: int = 0
    dead_lettered: int = 0
    """Records whose dead-letter copy was acknowledged."""
    dlt_failed: int = 0
    """Dead-letter sends that failed."""
    retried: int = 0
    last_failure: str | None = None
    """The last failure, e.g. 'invalid-json at orders/0@41: Expecting value ...'."""
    restarts: int = 0
    """Automatic restarts after the ``fail`` policy crashed the member (a crash loop)."""
    restart_at: float | None = None
    """When the next automatic restart is due (epoch seconds); None when none is pending."""
    restart_limit: int | None = None
    """Automatic restarts allowed in a row (None: no limit)."""
    crashed_by_policy: bool = False
    """Its last incarnation was crashed by the ``fail`` error policy: the engine restarts it by itself
    (see :attr:`restart_at`), or it reached :attr:`restart_limit` and stays down."""
    dead_letter_topics: tuple[str, ...] = ()
    """Where this member dead-letters (its policy in force), sorted."""
    e2e: LatencySummary = LatencySummary()
    """Produce (record timestamp) to first delivery to this member, seconds."""

    @property
    def restarting(self) -> bool:
        """Crashed by its error policy, with an automatic restart pending."""
        return self.restart_at is not None

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


@dataclass(frozen=True, slots=True)
class StuckPartitionView(JsonView):
    """A group partition the stall detector calls stuck: lag, and no progress for the threshold."""

    group: str
    topic: str
    partition: int
    offset: int
    """The group's committed offset (-1: none); the failing record may lie beyond it."""
    since: float
    """When progress last moved (epoch seconds)."""
    lag: int
    owner: str | None = None
    """The member that holds the partition now (None: nobody, e.g. its member is restarting)."""


@dataclass(frozen=True, slots=True)
class GroupLatencyView(JsonView):
    group: str
    e2e: LatencySummary
    """Produce (record timestamp) to first delivery to any member of the group, seconds."""


@dataclass(frozen=True)
class ConsumersView(JsonView):
    members: tuple[MemberView, ...] = ()
    log_events: int = 0
    """Events in the consumption log so far."""
    log_dropped: int = 0
    """Events not recorded because the log reached its cap (then the verdict is incomplete)."""
    stuck: tuple[StuckPartitionView, ...] = ()
    """Partitions stuck right now, by group, topic and partition."""
    stall_threshold: float = 10.0
    """Seconds without progress (with lag) after which a partition counts as stuck."""
    group_e2e: tuple[GroupLatencyView, ...] = ()
    """End-to-end latency per group, by group name."""

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
