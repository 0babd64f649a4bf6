"""Typed workshop scenarios: what a YAML scenario file means once it has been validated.

A scenario names *logical* topics, groups, producers and members; the runner maps them to fresh
real names per run (``<name>-<run id>``) so a scenario can run again on the same cluster. Nodes are
named by number or by role (``leader-of: topic/partition``), resolved when the step runs: roles are
what make faults deterministic, because the leader is wherever Kafka put it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from tui.engine import TopicSpec

# ---- cluster and topics ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ClusterNeeds:
    nodes: int = 1
    """1 or 3 lab nodes."""
    profile: str = "default"
    """Lab profile: default or slow-replication (followers fetch every ~5 s)."""
    kafka: str | None = None
    """The Kafka the scenario needs, e.g. ``>=4.2`` (share groups); None: any."""


# ---- node references ------------------------------------------------------------------------------


@dataclass(frozen=True)
class NodeRef:
    """Which lab node a step acts on: exactly one of ``number``, ``role`` (+ topic/partition), ``ref``."""

    number: int | None = None
    role: str | None = None
    """``leader-of`` or ``follower-of``."""
    topic: str | None = None
    partition: int = 0
    ref: str | None = None
    """A name an earlier node step saved with ``as:``."""

    def describe(self) -> str:
        if self.number is not None:
            return f"node {self.number}"
        if self.role is not None:
            return f"the {self.role.replace('-of', '')} of {self.topic}/{self.partition}"
        return f"node '{self.ref}'"


# ---- steps ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProducerDecl:
    """A producer profile in scenario terms (mapped onto the producers' ProducerProfile)."""

    acks: str = "all"
    idempotence: bool = False
    retries: int | None = None
    max_in_flight: int | None = None
    linger_ms: int | None = None
    batch_size: int | None = None
    compression: str | None = None
    message_timeout_ms: int | None = None
    request_timeout_ms: int | None = None
    resend: int = 0
    """Application-level resends of failed or timed-out records, at most this many per record."""
    extra: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class WorkloadDecl:
    topic: str
    count: int | None = 100
    """None: until a stop-producer step (then the step must be background)."""
    rate: float | None = None
    keys: str = "none"
    """none, fixed:K, cycle:N, random, hot:P."""
    value_size: int = 100
    partition: int | None = None
    value_content: str = "kx"
    """kx, random, text or json (:class:`tui.vocab.ValueContent`)."""
    poison: str | None = None
    """``KIND[:every=N|at=S,...]`` (checked by the loader with the engine's parser)."""


@dataclass(frozen=True)
class Produce:
    name: str
    producer: ProducerDecl
    workload: WorkloadDecl
    wait: bool = True
    """True: the step ends when every record got a delivery report; False: runs in the background."""
    timeout: float = 60.0


@dataclass(frozen=True)
class StopProducer:
    name: str


@dataclass(frozen=True)
class StartMembers:
    """Start ``count`` members of ``group`` named ``<name>1..N`` (or ``name`` when count is 1)."""

    group: str
    topics: tuple[str, ...]
    name: str = "m"
    count: int = 1
    strategy: str = "sync-per-batch"
    assignor: str | None = None
    """range, roundrobin or cooperative-sticky (classic protocol)."""
    protocol: str = "classic"
    """classic or consumer (KIP-848)."""
    auto_offset_reset: str = "earliest"
    isolation_level: str = "read_committed"
    processing_ms: int = 0
    batch_size: int | None = None
    output_topic: str | None = None
    session_timeout_ms: int | None = None
    static: bool = False
    crash_after: int | None = None
    """Each member's first incarnation crashes (no commit, no leave) right after processing this many
    records: set at start, so the crash point does not depend on when a later command arrives."""
    auto_commit_interval_ms: int | None = None
    max_poll_interval_ms: int | None = None
    """Past this long between polls the member is kicked from the group."""
    consumer: Mapping[str, str] = field(default_factory=dict)
    """Raw librdkafka consumer properties (``fetch.min.bytes``, ``fetch.wait.max.ms``...)."""
    on_error: str | None = None
    """Error policy: fail, skip, dead-letter, retry or pause (None: the engine's default, fail)."""
    retries: int | None = None
    retry_backoff_ms: int | None = None
    retry_then: str | None = None
    """skip or dead-letter once the retries are used up."""
    commit_on_revoke: bool = False
    """The rebalance listener commits processed offsets before partitions are revoked (or lost)."""
    value_format: str | None = None
    """What the members expect values to be: kx, json or any (None: kx)."""
    fail_ids: tuple[str, ...] = ()
    """Records the members fail on: ``PRODUCER/SEQ`` (a produce step's name) or a bare sequence number."""
    fail_rate: float | None = None
    fail_transient: int | None = None

    def member_names(self) -> tuple[str, ...]:
        if self.count == 1:
            return (self.name,)
        return tuple(f"{self.name}{i}" for i in range(1, self.count + 1))


@dataclass(frozen=True)
class StartShareMembers:
    """``start-members: {type: share, ...}``: ``count`` share-group members (KIP-932) named like
    :class:`StartMembers`; the group's settings (reset, lock, delivery-count limit) are set on the
    group before they start."""

    group: str
    topics: tuple[str, ...]
    name: str = "s"
    count: int = 1
    ack_mode: str = "explicit"
    """implicit or explicit (per-record accept / release / reject)."""
    fail_ids: tuple[str, ...] = ()
    """Records the members fail on: ``PRODUCER/SEQ`` (a produce step's name) or a bare sequence number."""
    fail_transient: int = 0
    """0: failures are poison records (REJECT); k: transient, released k times, then accepted."""
    processing_ms: int = 0
    crash_after: int | None = None
    auto_offset_reset: str = "earliest"
    """``share.auto.offset.reset`` of the group."""
    lock_ms: int | None = None
    """``share.record.lock.duration.ms`` of the group (None: unchanged)."""
    delivery_limit: int | None = None
    """``share.delivery.count.limit`` of the group (None: unchanged)."""
    max_records: int | None = None

    def member_names(self) -> tuple[str, ...]:
        if self.count == 1:
            return (self.name,)
        return tuple(f"{self.name}{i}" for i in range(1, self.count + 1))


@dataclass(frozen=True)
class MemberAction:
    """crash (optionally after N more records), restart, stop (clean leave) or switch strategy."""

    action: str
    member: str
    after_records: int | None = None
    strategy: str | None = None


@dataclass(frozen=True)
class SwitchPolicy:
    """Switch a member's error policy (and, unless None, its retry settings and rebalance listener)."""

    member: str
    on_error: str
    retries: int | None = None
    retry_backoff_ms: int | None = None
    retry_then: str | None = None
    commit_on_revoke: bool | None = None


@dataclass(frozen=True)
class NodeAction:
    action: str
    """kill, stop, pause, resume, restart or start."""
    node: NodeRef
    save_as: str | None = None


@dataclass(frozen=True)
class WaitFor:
    """Wait until a condition holds (or ``timeout`` passes, which fails the step)."""

    condition: str
    """isr-size, high-watermark, leader, consumed, processed, produced, assigned, node-state,
    member-state or seconds."""
    topic: str | None = None
    partition: int = 0
    group: str | None = None
    producer: str | None = None
    member: str | None = None
    node: NodeRef | None = None
    comparison: Comparison | None = None
    """For isr-size / consumed / assigned: what the measured number must satisfy."""
    negate: bool = False
    """For leader: the leader must NOT be ``node`` (``leader: {..., not: ...}``)."""
    state: str | None = None
    """For node-state: running, paused, dead or stopped; for member-state: the member's state
    (joining, running, paused, kicked, crashed, stopped)."""
    seconds: float = 0.0
    reason: str = ""
    timeout: float = 60.0


@dataclass(frozen=True)
class ResetGroupOffsets:
    """Move a group's committed offsets (``reset-offsets``); Kafka refuses while a member of the group
    runs, so the members stop first."""

    group: str
    topic: str
    to: str = "earliest"
    """earliest, latest, an offset, @TIMESTAMP or shift:±N."""
    partition: int | None = None
    """None: every partition of the topic."""


@dataclass(frozen=True)
class Note:
    """A step that only narrates (the instructor talks; nothing happens)."""


@dataclass(frozen=True)
class Mark:
    """Take the run's measured numbers now and keep them as ``name``: an expectation reads them as
    ``SUBJECT@name`` (e.g. ``lag.workers@slow``), so two moments of one run can be compared."""

    name: str


@dataclass(frozen=True)
class VerdictStep:
    timeout: float = 60.0
    heal: bool = True
    """Restart killed nodes and resume paused ones first, so the final re-read can read everything."""


Action = (Produce | StopProducer | StartMembers | MemberAction | NodeAction | WaitFor | Note
          | VerdictStep | ResetGroupOffsets | StartShareMembers | Mark
          | SwitchPolicy)


@dataclass(frozen=True)
class Ask:
    """A question put to the room before a step runs (predict, then observe): the run pauses for the
    room's answer, and after the verdict the prediction is shown next to what happened."""

    question: str
    choices: tuple[str, ...]
    """2 to 5 answers, numbered from 1 when shown."""
    right: int | None = None
    """Index (from 0) of the right choice; None: no answer is given as right."""
    why: str = ""
    """Why the right choice is right (shown after the verdict)."""
    check: tuple[str, ...] = ()
    """Expectation subjects (keys of ``expect:``) whose results show what happened: the run checks
    the right answer."""


@dataclass(frozen=True)
class Step:
    number: int
    """1-based, as printed and named in error messages."""
    kind: str
    """The YAML key: produce, start-members, kill-node, wait, verdict..."""
    action: Action
    narrate: str = ""
    title: str = ""
    ask: Ask | None = None
    """A question for the room, asked before the step's action runs."""


# ---- expectations ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Comparison:
    """``op`` is one of == != > >= < <= or ``..`` (inclusive range ``low..high``)."""

    op: str
    value: float
    high: float | None = None

    def holds(self, actual: float) -> bool:
        if self.op == "..":
            return self.value <= actual <= (self.high if self.high is not None else self.value)
        return {
            "==": actual == self.value, "!=": actual != self.value, ">": actual > self.value,
            ">=": actual >= self.value, "<": actual < self.value, "<=": actual <= self.value,
        }[self.op]

    def text(self) -> str:
        def num(x: float) -> str:
            return str(int(x)) if float(x).is_integer() else f"{x:g}"

        if self.op == "..":
            return f"{num(self.value)}..{num(self.high if self.high is not None else self.value)}"
        return f"{self.op} {num(self.value)}"


@dataclass(frozen=True)
class Expectation:
    """One line of ``expect:``: ``subject`` (e.g. lost, errors.NOT_ENOUGH_REPLICAS) and a comparison;
    or one item of ``expect.compare``: two numbers of the same run (``subject`` and ``to``) compared by
    their ratio or difference."""

    subject: str
    comparison: Comparison
    group: str | None = None
    """For per-group subjects (revoked-partitions): the logical group, None = all groups."""
    to: str | None = None
    """For a comparison: the subject ``subject`` is compared with."""
    mode: str = "value"
    """value (the subject itself), ratio (subject / to) or difference (subject - to)."""

    @property
    def text(self) -> str:
        """How reports name it: ``lost``, ``latency.p50.b / latency.p50.a``."""
        if self.to is None:
            return self.subject
        return f"{self.subject} {'/' if self.mode == 'ratio' else '-'} {self.to}"


@dataclass(frozen=True)
class Scenario:
    title: str
    goal: str
    steps: tuple[Step, ...]
    expectations: tuple[Expectation, ...]
    duration: float = 60.0
    """Rough run time in seconds (shown to the audience; not enforced)."""
    cluster: ClusterNeeds = ClusterNeeds()
    topics: tuple[TopicSpec, ...] = ()
    """Topics created before the first step, named by their logical names (the runner gives each a
    fresh real name per run)."""
    source: str = ""
    """The file it came from (for messages)."""
    slug: str = ""
    """The file name without extension."""
    tags: tuple[str, ...] = ()
