"""The recorded facts the checker judges: produce ledger rows, consumption-log events, auditor reads.

These are plain frozen values, built by the producers (``ProducedRecord``), the group members
(``ConsumerEvent``, ``Transaction``), the final drain (``AuditLog``, with ``DltOrigin`` for dead-letter
records), the watcher (``Fault``, ``LeaderChange``) and the engine's stall detector (``Stall``), and read
by ``tui.engine.checker``. The checker is a pure function of a
:class:`History`; tests build histories by hand (``tui.engine.checker.builder``).

Vocabulary follows delivery-semantics.md: outcomes are three-valued as in Jepsen (OK, definite
failure, indefinite), plus OK_NO_OFFSET (acks=0) and UNKNOWN (no delivery report ever arrived).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import Enum

from tui.engine.record_format import (
    HEADER_DLT_ERROR,
    HEADER_DLT_GROUP,
    HEADER_DLT_MEMBER,
    HEADER_DLT_MESSAGE,
    HEADER_DLT_OFFSET,
    HEADER_DLT_PARTITION,
    HEADER_DLT_TOPIC,
)


class Outcome(str, Enum):
    OK = "ok"
    """Acknowledged with an offset."""
    OK_NO_OFFSET = "ok-no-offset"
    """Acknowledged without an offset (acks=0, or a DUPLICATE_SEQUENCE ack)."""
    FAIL_DEFINITE = "fail-definite"
    """Definitely not written (e.g. NOT_ENOUGH_REPLICAS, queue timeout, purged from queue)."""
    FAIL_INDEFINITE = "fail-indefinite"
    """Maybe written (e.g. message timed out in flight, request timeout, NOT_LEADER)."""
    UNKNOWN = "unknown"
    """No delivery report: the producer was closed, purged or crashed first."""


class TxnOutcome(str, Enum):
    COMMITTED = "committed"
    """``commit_transaction()`` returned."""
    ABORTED = "aborted"
    """``abort_transaction()`` returned."""
    UNKNOWN = "unknown"
    """Commit was requested but its result is not known (it raised, or the member died meanwhile)."""
    OPEN = "open"
    """Never asked to commit: the member crashed (or the run ended) inside it. Kafka aborts it (at the
    next ``init_transactions`` of the same transactional.id, or after transaction.timeout.ms), so none
    of its records may ever be visible under read_committed."""


@dataclass(frozen=True, slots=True)
class ProducerSettings:
    """What the checker needs to know about a producer profile to tell 'expected' from 'violation'."""

    name: str
    acks: str
    """'0', '1' or 'all'."""
    idempotent: bool
    retries: int
    max_in_flight: int
    transactional: bool = False
    resend: bool = False
    """The application re-sends records whose delivery failed or timed out (a delivery-callback policy:
    each resend is a new produce() with its own msg_id and :attr:`ProducedRecord.resend_of`)."""


@dataclass(frozen=True, slots=True)
class ProducedRecord:
    """One ``produce()`` call and what became of it."""

    msg_id: str
    producer: str
    incarnation: int
    seq: int
    """Send order within (producer, incarnation)."""
    topic: str
    partition: int | None
    """From the delivery report, or the explicit partition; None if never known."""
    key: bytes | None
    t_send: float
    outcome: Outcome
    offset: int | None = None
    t_ack: float | None = None
    error: str | None = None
    """librdkafka error name, e.g. ``NOT_ENOUGH_REPLICAS`` or ``_MSG_TIMED_OUT``."""
    txn_id: str | None = None
    """Transaction this record was produced in (the copier's transactional sends)."""
    txn_outcome: TxnOutcome | None = None
    resend_of: str | None = None
    """Set on an application-level resend: the msg_id of the record it re-sends (whose delivery failed
    or timed out). The resend is a new produce() call with its own msg_id (the producer's next seq) and
    carries the ``kx-resend-of`` header; a resend of a resend points at the one before it."""


class ConsumerEventKind(str, Enum):
    ASSIGN = "assign"
    REVOKE = "revoke"
    LOST = "lost"
    SEEK = "seek"
    DELIVER = "deliver"
    PROCESSED = "processed"
    COMMIT_REQ = "commit-req"
    COMMIT_RESULT = "commit-result"
    CRASH = "crash"
    LEAVE = "leave"
    """A clean close (commit and leave, if the strategy commits on close)."""
    RESTART = "restart"
    KICKED = "kicked"
    """Left the group for exceeding max.poll.interval.ms."""
    STRATEGY = "strategy"
    FAILED = "failed"
    """Processing one record failed (deserialization, validation or an injected failure)."""
    POLICY = "policy"
    """What the member's error policy did about a failed record."""
    DLT_SENT = "dlt-sent"
    """The dead-letter produce of a failed record was acknowledged (or failed)."""
    ACQUIRED = "acquired"
    """Share groups: a record returned by ``poll`` (acquired under a lock), with its delivery count."""
    ACK = "ack"
    """Share groups: the member acknowledged one record (ACCEPT / RELEASE / REJECT)."""
    ACK_COMMIT = "ack-commit"
    RESET = "reset"
    """An admin reset set the group's committed offset of one partition (``offset`` = the new committed
    offset, ``detail`` = how, e.g. "to earliest"); no member made it. Gathered from the engine's record,
    not from a member."""
    """Share groups: the broker's answer to a batch of acknowledgements (commit or its callback)."""


@dataclass(frozen=True, slots=True)
class DltTarget:
    """Where a dead-letter copy was written (partition and offset from its delivery report)."""

    topic: str
    partition: int | None = None
    offset: int | None = None


@dataclass(frozen=True, slots=True)
class ConsumerEvent:
    """One entry of the consumption log. Which fields are set depends on ``kind``.

    * ASSIGN / REVOKE / LOST: ``partitions`` (and ``offsets``: committed offset per partition at
      assignment, when known), ``generation``; REVOKE / LOST also ``commit_on_revoke``.
    * DELIVER / PROCESSED: ``partition``, ``offset``, ``msg_id`` (None for foreign records).
    * SEEK: ``partition``, ``offset``.
    * COMMIT_REQ / COMMIT_RESULT: ``offsets`` (partition -> next offset to read), ``mode``
      (sync / async / auto / txn / store), ``ok`` and ``error`` for results; ``detail`` is
      ``on-revoke`` / ``on-lost`` for the rebalance listener's commit.
    * CRASH: ``detail`` names the injection point ("after processing 3 of 10 in a batch").
    * STRATEGY: ``detail`` is the new strategy name.
    * FAILED: ``partition``, ``offset``, ``msg_id``; ``error`` the :class:`tui.vocab.FailureKind`,
      ``detail`` the error message (at most 256 characters), ``attempt`` (1 = first try; each retry of
      the retry policy adds one; share members: the delivery count).
    * POLICY: ``partition``, ``offset``, ``msg_id`` of the failed record, ``action`` a
      :class:`tui.vocab.PolicyAction`, ``attempt`` (as in the FAILED before it); ``detail`` the target:
      the DLT topic (dead-letter), ``backoff <ms> ms`` (retry), ``by user`` / ``by scenario`` (resume).
    * DLT_SENT: ``partition``, ``offset``, ``msg_id`` of the *source* record, ``dlt`` where the copy went,
      ``ok`` and ``error`` (librdkafka error name when the DLT send failed).
    * ACQUIRED (share): ``partition``, ``offset``, ``msg_id``, ``attempt`` = ``delivery_count()``.
    * ACK (share): ``partition``, ``offset``, ``msg_id``, ``action`` a :class:`tui.vocab.AckType`,
      ``attempt`` = the delivery count, ``mode`` a :class:`tui.vocab.AckMode`.
    * ACK_COMMIT (share): ``offsets`` = (partition, offset) of each acknowledged record the answer
      covers, ``ok``, ``error``.
    """

    seq: int
    """Global order of the log (all members); the checker sorts by it."""
    ts: float
    member: str
    incarnation: int
    """0 for a member's first client, +1 after each restart."""
    group: str
    topic: str
    kind: ConsumerEventKind
    partition: int | None = None
    offset: int | None = None
    msg_id: str | None = None
    partitions: tuple[int, ...] = ()
    offsets: tuple[tuple[int, int], ...] = ()
    generation: int | None = None
    mode: str | None = None
    ok: bool | None = None
    error: str | None = None
    detail: str | None = None
    strategy: str | None = None
    """The member's commit strategy at the time of the event."""
    attempt: int | None = None
    """FAILED / POLICY: attempt number; ACQUIRED / ACK / share FAILED: the broker's delivery count."""
    action: str | None = None
    """POLICY: a :class:`tui.vocab.PolicyAction`; ACK: a :class:`tui.vocab.AckType`."""
    dlt: DltTarget | None = None
    """DLT_SENT: where the dead-letter copy went."""
    commit_on_revoke: bool | None = None
    """REVOKE / LOST: whether the member's rebalance listener commits processed offsets before giving
    partitions up (None: not recorded)."""

    @property
    def delivery_count(self) -> int | None:
        """Share groups: the record's delivery count (1 on first delivery)."""
        return self.attempt


@dataclass(frozen=True, slots=True)
class AuditPartition:
    """The final drain's view of one partition: every record from the log start to the high mark."""

    topic: str
    partition: int
    low: int
    high: int
    """High watermark at the end of the drain."""
    lso: int | None
    records: tuple[tuple[int, str | None], ...]
    """(offset, msg_id) read with read_uncommitted, in offset order (msg_id None: foreign)."""
    committed_visible: frozenset[int] | None = None
    """Offsets also returned under read_committed; None when only read_uncommitted was read."""
    complete: bool = True
    """False when the drain could not reach ``high`` before its deadline (partition offline)."""
    txn_tags: tuple[tuple[int, str], ...] = ()
    """(offset, value of the record's ``kx-txn`` header) for every record that carries one: the
    transaction (:attr:`Transaction.txn_id`) that wrote this copy. Empty when no record has the header."""
    dlt_origins: tuple[DltOrigin, ...] = ()
    """One per record carrying dead-letter headers (:meth:`DltOrigin.from_headers` not None), in offset
    order: where each dead-letter copy came from. Empty when no record has them."""


@dataclass(frozen=True, slots=True)
class DltOrigin:
    """The origin headers of one dead-letter record, as the final drain read them."""

    offset: int
    """Offset of the dead-letter copy (in the DLT partition of its :class:`AuditPartition`)."""
    topic: str | None
    """Source topic; None when the ``kx-dlt-topic`` header is missing."""
    partition: int | None
    """Source partition; None when missing or not a decimal number."""
    source_offset: int | None
    """Source offset; None when missing or not a decimal number."""
    group: str | None = None
    member: str | None = None
    incarnation: int | None = None
    error: str | None = None
    """The failure kind (``kx-dlt-error``)."""

    @classmethod
    def from_headers(cls, offset: int, headers: Iterable[tuple[str, bytes | None]] | None) -> DltOrigin | None:
        """The origin of the record at ``offset`` from its headers (as confluent-kafka returns them);
        None when it carries no ``kx-dlt-*`` header at all (not a dead-letter record)."""
        found: dict[str, str] = {}
        for key, raw in headers or ():
            if key.startswith("kx-dlt-") and isinstance(raw, bytes):
                found.setdefault(key, raw.decode("utf-8", "replace"))
        if not found:
            return None
        member, incarnation = found.get(HEADER_DLT_MEMBER), None
        if member is not None and "/" in member:
            name, _slash, inc = member.rpartition("/")
            if inc.isdigit():
                member, incarnation = name, int(inc)
        return cls(offset=offset, topic=found.get(HEADER_DLT_TOPIC),
                   partition=_decimal(found.get(HEADER_DLT_PARTITION)),
                   source_offset=_decimal(found.get(HEADER_DLT_OFFSET)), group=found.get(HEADER_DLT_GROUP),
                   member=member, incarnation=incarnation, error=found.get(HEADER_DLT_ERROR))


def _decimal(text: str | None) -> int | None:
    return int(text) if text is not None and text.isdigit() else None


def dlt_headers(topic: str, partition: int, offset: int, group: str, member: str, incarnation: int,
                error: str, message: str) -> list[tuple[str, bytes]]:
    """The headers a dead-letter copy adds to the source record's own (the one writer of the format
    :meth:`DltOrigin.from_headers` reads)."""
    return [(HEADER_DLT_TOPIC, topic.encode()), (HEADER_DLT_PARTITION, str(partition).encode()),
            (HEADER_DLT_OFFSET, str(offset).encode()), (HEADER_DLT_GROUP, group.encode()),
            (HEADER_DLT_MEMBER, f"{member}/{incarnation}".encode()), (HEADER_DLT_ERROR, error.encode()),
            (HEADER_DLT_MESSAGE, message.encode("utf-8", "replace")[:256])]


@dataclass(frozen=True, slots=True)
class AuditLog:
    partitions: tuple[AuditPartition, ...]
    taken_at: float = 0.0


@dataclass(frozen=True, slots=True)
class GroupCommit:
    """An authoritative committed offset read from the broker (``committed()`` / admin)."""

    group: str
    topic: str
    partition: int
    offset: int | None
    """Next offset to read; None when the group has no commit for the partition."""


@dataclass(frozen=True, slots=True)
class Fault:
    """A node fault during the run (kill, stop or pause), wherever it was injected from."""

    ts: float
    node: int
    action: str
    """A :class:`tui.vocab.NodeAction` that takes a broker away: kill, stop or pause."""
    partitions: frozenset[tuple[str, int]] | None = None
    """(topic, partition) with a replica on the node when it was broken; None when unknown (then the
    fault may have touched any partition)."""
    origin: str = "engine"
    """Who broke it: ``engine`` (TUI, CLI or scenario through the engine) or ``outside`` (seen by the
    watcher: a broker went away that nobody here broke)."""

    def touches(self, topic: str, partition: int | None) -> bool:
        """Whether this fault may have affected the partition."""
        if self.partitions is None or partition is None:
            return True
        return (topic, partition) in self.partitions

    def text(self) -> str:
        import time

        past = {"kill": "killed", "stop": "stopped", "pause": "paused"}.get(self.action, self.action)
        who = "" if self.origin == "engine" else " (outside this app)"
        return f"{past} node {self.node}{who} at {time.strftime('%H:%M:%S', time.localtime(self.ts))}"


@dataclass(frozen=True, slots=True)
class LeaderChange:
    """The watcher saw a partition's leader move (any cause: a fault, a controlled shutdown, a
    preferred-leader election, a node killed from another shell)."""

    ts: float
    topic: str
    partition: int
    old: int | None
    new: int | None
    """None (or -1 in Kafka terms): no leader."""

    def text(self) -> str:
        """'the leader of t/0 moved from node 2 to node 3 at 10:42:01' and the like."""
        import time

        at = time.strftime('%H:%M:%S', time.localtime(self.ts))
        what = f"the leader of {self.topic}/{self.partition}"
        if self.old is None or self.old < 0:
            return f"{what} became node {self.new} at {at}"
        if self.new is None or self.new < 0:
            return f"{what} (node {self.old}) went away at {at}, leaving it leaderless"
        return f"{what} moved from node {self.old} to node {self.new} at {at}"


@dataclass(frozen=True, slots=True)
class Transaction:
    """One transaction a group member ran (the ``transactional`` strategy's consume-copy-commit).

    Each copy it writes to ``output_topic`` carries the input record's ``kx-id`` (so its msg_id is the
    input's) plus a ``kx-txn`` header holding ``txn_id``; the final re-read returns that header in
    :attr:`AuditPartition.txn_tags`, so every copy in the output can be attributed to its transaction.
    """

    txn_id: str
    """Unique in the run: ``<transactional.id>/<incarnation>/<n>`` (n counts this incarnation's
    ``begin_transaction`` calls from 0)."""
    member: str
    incarnation: int
    group: str
    output_topic: str
    outcome: TxnOutcome
    copies: tuple[str, ...] | None = None
    """msg_id of each copy produced in it, in produce order; None when the member died before saying
    (then only the tagged copies in the output are known)."""
    ts_begin: float = 0.0
    ts_end: float | None = None
    error: str | None = None
    """Why a commit failed or the outcome is unknown (librdkafka error name)."""


@dataclass(frozen=True, slots=True)
class Stall:
    """The engine's stall detector saw a group make no progress on a partition with lag.

    Sampled from the live views (about once a second): progress is the group's committed offset or
    its highest processed offset on the partition moving; lag is the high watermark minus the committed
    offset. A stall starts at the last sample where progress moved and is kept once it lasted
    :attr:`History.stall_threshold` seconds while a member of the group was alive (running, restarting
    or paused)."""

    group: str
    topic: str
    partition: int
    offset: int
    """The group's committed offset during the stall (-1: none); the failing record may lie beyond it."""
    since: float
    """When progress last moved before the stall."""
    until: float
    """The last sample of the stall: when progress moved again, or the last sample before gathering."""
    ongoing: bool
    """Still stuck when the evidence was gathered."""
    lag: int
    """Records between ``offset`` and the high watermark at the last sample."""


@dataclass(frozen=True, slots=True)
class ShareGroup:
    """A share group (KIP-932) whose members ran in this run, with the settings that judge it."""

    group: str
    topics: tuple[str, ...]
    delivery_count_limit: int = 5
    """``share.delivery.count.limit`` (group.share.delivery.count.limit): archived after this many."""
    lock_duration_ms: int = 30_000
    """``share.record.lock.duration.ms``: an unacknowledged record comes back after it."""
    ack_mode: str = "implicit"
    """A :class:`tui.vocab.AckMode`."""
    auto_offset_reset: str = "latest"
    """``share.auto.offset.reset`` (a new share group starts at the end unless it is ``earliest``)."""


@dataclass(frozen=True)
class History:
    """Everything the checker judges, gathered after the faults healed."""

    produced: tuple[ProducedRecord, ...] = ()
    producers: tuple[ProducerSettings, ...] = ()
    consumption: tuple[ConsumerEvent, ...] = ()
    audit: AuditLog | None = None
    final_commits: tuple[GroupCommit, ...] = ()
    isolation: dict[str, str] = field(default_factory=dict)
    """Isolation level per group ('read_committed' / 'read_uncommitted')."""
    group_started_at: dict[str, float] = field(default_factory=dict)
    """When each group first got an assignment (share groups: when their first member subscribed), to
    label latest-reset skips."""
    reset_policy: dict[str, str] = field(default_factory=dict)
    """auto.offset.reset per group."""
    unclean_topics: frozenset[str] = frozenset()
    """Audited topics that allow unclean leader election (judged per topic)."""
    faults: tuple[Fault, ...] = ()
    """Node faults during the run, each with the partitions it touched."""
    leader_changes: tuple[LeaderChange, ...] = ()
    """Leader moves the watcher saw during the run (acks=1 loses data on any of them)."""
    notes: tuple[str, ...] = ()
    """What limits the evidence (e.g. the consumption log reached its cap); notes excuse nothing."""
    min_insync: dict[str, int] = field(default_factory=dict)
    """min.insync.replicas per audited topic, when known."""
    transactions: tuple[Transaction, ...] = ()
    """Every transaction a group member ran (the copies of the transactional strategy)."""
    dead_letter_topics: frozenset[str] = frozenset()
    """Dead-letter topics of members with the dead-letter policy (or retry then dead-letter), audited
    by the final drain like any other topic."""
    stalls: tuple[Stall, ...] = ()
    """Partitions the engine saw stuck during the run (its stall detector)."""
    stall_threshold: float = 10.0
    """Seconds without progress (with lag) after which a partition counts as stuck."""
    share_groups: tuple[ShareGroup, ...] = ()
    """Share groups in this run; their members' events are judged by the share-group rules only."""

    def faults_on(self, topic: str, partition: int | None) -> tuple[Fault, ...]:
        """The faults that may have touched this partition."""
        return tuple(f for f in self.faults if f.touches(topic, partition))

    def leader_moved(self, topic: str, partition: int | None) -> bool:
        """Whether the watcher saw this partition's leader change during the run."""
        return bool(self.leader_changes_on(topic, partition))

    def leader_changes_on(self, topic: str, partition: int | None) -> tuple[LeaderChange, ...]:
        """The leader moves the watcher saw on this partition (any partition of ``topic`` for None)."""
        return tuple(c for c in self.leader_changes
                     if c.topic == topic and (partition is None or c.partition == partition))
