"""The explorer's vocabulary: every closed set of names, defined once.

Loaders, argparse choices, forms, the engine and the README tables take their names from here, so a
new commit strategy, node action or anomaly kind is added in one place. This module is on the ground
floor: it imports nothing of the project and nothing of librdkafka.

Every set is a ``StrEnum``: a member *is* its string (``Strategy.AUTO == "auto"``), so values read
from YAML, JSON or the command line compare and serialise as plain text.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TypeVar

E = TypeVar("E", bound=StrEnum)


def names(enum: type[StrEnum]) -> tuple[str, ...]:
    """The values of ``enum`` in declaration order (for argparse ``choices`` and messages)."""
    return tuple(member.value for member in enum)


def parse(enum: type[E], value: object, what: str) -> E:
    """``value`` as a member of ``enum``; ValueError with one sentence naming the valid values."""
    try:
        return enum(str(value).strip())
    except ValueError:
        raise ValueError(f"Unknown {what} {value!r}; use one of {', '.join(names(enum))}.") from None


# ---- producers --------------------------------------------------------------------------------

class Acks(StrEnum):
    NONE = "0"
    """Fire and forget: no acknowledgement, no offset in the delivery report."""
    LEADER = "1"
    """The leader appended it; followers may not have it yet."""
    ALL = "all"
    """Every in-sync replica has it (and the in-sync set is at least min.insync.replicas)."""


class Compression(StrEnum):
    NONE = "none"
    GZIP = "gzip"
    SNAPPY = "snappy"
    LZ4 = "lz4"
    ZSTD = "zstd"


class Partitioner(StrEnum):
    MURMUR2_RANDOM = "murmur2_random"
    """Where the Java client puts keyed records (random for null keys)."""
    MURMUR2 = "murmur2"
    CONSISTENT_RANDOM = "consistent_random"
    CONSISTENT = "consistent"
    RANDOM = "random"
    FNV1A = "fnv1a"
    FNV1A_RANDOM = "fnv1a_random"


class KeyModeKind(StrEnum):
    """How a producer picks keys; ``fixed``, ``cycle`` and ``hot`` take an argument after ``:``."""

    NONE = "none"
    FIXED = "fixed"
    CYCLE = "cycle"
    RANDOM = "random"
    HOT = "hot"


# ---- group members ----------------------------------------------------------------------------

class Strategy(StrEnum):
    """Commit strategies; each has a module of the same name (``-`` as ``_``) in
    ``tui.engine.consumer.strategies``."""

    AUTO = "auto"
    AUTO_STORED = "auto-stored"
    SYNC_PER_MESSAGE = "sync-per-message"
    SYNC_PER_BATCH = "sync-per-batch"
    ASYNC_PER_BATCH = "async-per-batch"
    COMMIT_BEFORE = "commit-before"
    NEVER = "never"
    TRANSACTIONAL = "transactional"


AT_MOST_ONCE_STRATEGIES: frozenset[Strategy] = frozenset({Strategy.AUTO, Strategy.COMMIT_BEFORE})
"""Strategies under which committed-but-unprocessed records are the documented outcome of a crash."""


class GroupProtocol(StrEnum):
    CLASSIC = "classic"
    """Client-side assignment (JoinGroup/SyncGroup)."""
    CONSUMER = "consumer"
    """KIP-848: the broker assigns, incrementally."""


class Assignor(StrEnum):
    """Classic-protocol ``partition.assignment.strategy``."""

    RANGE = "range"
    ROUNDROBIN = "roundrobin"
    COOPERATIVE_STICKY = "cooperative-sticky"


class RemoteAssignor(StrEnum):
    """KIP-848 ``group.remote.assignor``."""

    UNIFORM = "uniform"
    RANGE = "range"


class Isolation(StrEnum):
    READ_COMMITTED = "read_committed"
    READ_UNCOMMITTED = "read_uncommitted"


class OffsetReset(StrEnum):
    EARLIEST = "earliest"
    LATEST = "latest"
    ERROR = "error"


class MemberState(StrEnum):
    JOINING = "joining"
    RUNNING = "running"
    PAUSED = "paused"
    KICKED = "kicked"
    CRASHED = "crashed"
    STOPPED = "stopped"


LIVE_MEMBER_STATES: frozenset[MemberState] = frozenset(
    {MemberState.JOINING, MemberState.RUNNING, MemberState.PAUSED, MemberState.KICKED})
"""States in which a member process exists (a kicked member is still running and rejoins)."""


class CommitMode(StrEnum):
    """How a commit (or offset store) was made, as the consumption log records it."""

    SYNC = "sync"
    ASYNC = "async"
    AUTO = "auto"
    """The auto-commit timer, or the commit librdkafka makes on close or revoke."""
    STORE = "store"
    """``store_offsets``: committed later by the timer."""
    TXN = "txn"
    """``send_offsets_to_transaction`` + commit of the transaction."""


# ---- error handling and share groups ---------------------------------------------------------

class ErrorPolicy(StrEnum):
    """What a group member does with a record it fails to process (switchable live); what each
    does to offsets is :data:`ERROR_POLICY_TEXT`."""

    FAIL = "fail"
    SKIP = "skip"
    DEAD_LETTER = "dead-letter"
    RETRY = "retry"
    PAUSE = "pause"


ERROR_POLICY_TEXT: dict[ErrorPolicy, str] = {
    ErrorPolicy.FAIL: "crash on the record; the restarted member meets it again: a crash loop, the "
                      "partition is stuck while the rest of the group moves on",
    ErrorPolicy.SKIP: "log it and move on: the strategy commits past it as if it were processed",
    ErrorPolicy.DEAD_LETTER: "copy it to the dead-letter topic with its origin headers, and only then "
                             "commit past it (a crash in between puts it there twice)",
    ErrorPolicy.RETRY: "retry in place with backoff, then dead-letter or skip; long backoffs can push "
                       "the member past max.poll.interval.ms",
    ErrorPolicy.PAUSE: "seek back to it and pause that partition; the rest keeps flowing until it is "
                       "resumed",
}
"""One line per error policy: what it does, and what it does to offsets (forms, help, README)."""


class PolicyAction(StrEnum):
    """What an error policy did to one failed record (the consumption log's POLICY events)."""

    FAIL = "fail"
    """The member crashes (a CRASH event follows)."""
    SKIP = "skip"
    DEAD_LETTER = "dead-letter"
    RETRY = "retry"
    """One more attempt after a backoff."""
    PAUSE = "pause"
    RESUME = "resume"
    """The paused partition was resumed (from the TUI or a scenario)."""


class MemberValueFormat(StrEnum):
    """What a group member's processing step expects record values to be (``value_format``)."""

    KX = "kx"
    """kafka-explorer's own records: any value passes except a null one (tombstone)."""
    JSON = "json"
    """A JSON object with ``msg_id``, ``seq`` and ``payload``; anything else fails."""
    ANY = "any"
    """No validation: every value passes, null included."""


class PoisonKind(StrEnum):
    """Bad records the producer can inject (``produce --poison``)."""

    INVALID_JSON = "invalid-json"
    MISSING_FIELD = "missing-field"
    """Valid JSON that breaks the expected shape."""
    TOMBSTONE = "tombstone"
    """A null value."""
    OVERSIZED = "oversized"
    """Larger than the topic's max.message.bytes: the producer's own error, never written."""


class ValueContent(StrEnum):
    """What a produced record's value holds (``produce --value-content``): it decides what compression
    can do. The msg_id stays recoverable in every mode (value prefix, else the ``kx-id`` header)."""

    KX = "kx"
    """``kx|<msg_id>|`` padded with dots: compresses absurdly well."""
    RANDOM = "random"
    """``kx|<msg_id>|`` then random bytes: incompressible."""
    TEXT = "text"
    """``kx|<msg_id>|`` then English-like words: compresses like prose (3-5x)."""
    JSON = "json"
    """``{"msg_id": ..., "seq": ..., "payload": ...}``: repeated field names (the header carries the id)."""


class FailureKind(StrEnum):
    """Why a member failed to process a record (the 'exception class' of FAILED and of the DLT)."""

    INVALID_JSON = "invalid-json"
    MISSING_FIELD = "missing-field"
    TOMBSTONE = "tombstone"
    INJECTED = "injected"
    """An injected failure (given msg ids, or with a probability)."""
    TRANSIENT = "transient"
    """An injected failure that succeeds after k attempts."""


class AckType(StrEnum):
    """A share-group member's acknowledgement of one record (KIP-932)."""

    ACCEPT = "accept"
    """Processed: the record is done."""
    RELEASE = "release"
    """Give it back: redelivered with delivery count + 1, archived at the delivery-count limit."""
    REJECT = "reject"
    """Unprocessable: archived, never delivered again."""


class AckMode(StrEnum):
    """``share.acknowledgement.mode``."""

    IMPLICIT = "implicit"
    """Every record of a poll is accepted by the next poll or commit."""
    EXPLICIT = "explicit"


# ---- the lab ----------------------------------------------------------------------------------

class NodeAction(StrEnum):
    KILL = "kill"
    """SIGKILL: a crash (the page cache survives, as it does when a JVM dies)."""
    STOP = "stop"
    """SIGTERM (controlled shutdown), SIGKILL after a grace period."""
    PAUSE = "pause"
    """SIGSTOP: alive but silent; fenced once its session expires."""
    RESUME = "resume"
    RESTART = "restart"
    START = "start"


FAULT_ACTIONS: frozenset[NodeAction] = frozenset({NodeAction.KILL, NodeAction.STOP, NodeAction.PAUSE})
"""Node actions that take a broker away (the checker is told about each)."""


class NodeState(StrEnum):
    RUNNING = "running"
    PAUSED = "paused"
    DEAD = "dead"
    STOPPED = "stopped"


class LabProfile(StrEnum):
    DEFAULT = "default"
    SLOW_REPLICATION = "slow-replication"
    """Followers fetch only every ~5 s while staying in the ISR."""


class SecurityMode(StrEnum):
    PLAINTEXT = "plaintext"
    SASL_SCRAM = "sasl-scram"
    SSL = "ssl"


class KafkaVersion(StrEnum):
    """Apache Kafka releases the lab runs (jars fetched from Maven Central per version)."""

    V4_1_1 = "4.1.1"
    V4_1_2 = "4.1.2"
    V4_2_2 = "4.2.2"
    """Share groups (KIP-932) generally available from 4.2."""
    V4_3_1 = "4.3.1"
    V4_4_0 = "4.4.0"


DEFAULT_KAFKA_VERSION = KafkaVersion.V4_4_0
"""The Kafka a new lab runs when none is asked for: switching the default is this one line."""


class OrphanPolicy(StrEnum):
    """What a lab session does with a lab whose owner died and left it running."""

    STOP = "stop"
    ADOPT = "adopt"
    """Use it and own it from now on (it stops when this owner ends)."""
    REFUSE = "refuse"
    """Raise one sentence naming the commands that stop or keep it."""


class LabOwnerState(StrEnum):
    """Who keeps a lab running (``lab status``)."""

    NONE = "none"
    """Started by ``lab up``: runs until ``lab down``."""
    OWNED = "owned"
    """Started by a live program (TUI, run, tests, a benchmark): stops when it ends."""
    STOPPING = "stopping"
    """Its owner is gone and its supervisor is stopping it."""
    ORPHANED = "orphaned"
    """Its owner and supervisor are gone but nodes still run."""


# ---- the verdict ------------------------------------------------------------------------------

class Judgement(StrEnum):
    VIOLATION = "violation"
    """A broken promise: the configuration in force should have prevented it."""
    EXPECTED = "expected"
    """Allowed by the configuration in force (with the reason)."""
    LIVENESS = "liveness"
    """Not (yet) observed; may be a delay rather than a loss."""


class AnomalyKind(StrEnum):
    """Every finding the checker can report, in report order (delivery-semantics.md §3)."""

    UNCONSUMED = "unconsumed"
    """Liveness: in the log, but no member of the group received it before the run ended."""
    STUCK = "stuck"
    """A live group made no progress on a partition with lag for longer than the stall threshold."""
    LOST = "lost"
    UNSEEN = "unseen"
    INCONSISTENT_OFFSET = "inconsistent-offset"
    LOG_DUPLICATE = "log-duplicate"
    RESEND_DUPLICATE = "resend-duplicate"
    """The application re-sent a record (a new produce() with a new msg_id) and both copies were written."""
    REDELIVERED = "redelivered"
    PROCESSED_TWICE = "processed-twice"
    DELIVERED_AGAIN = "delivered-again"
    """Share groups: a record acquired again (by delivery count)."""
    SKIPPED = "skipped"
    SKIPPED_BY_POLICY = "skipped-by-policy"
    DEAD_LETTERED = "dead-lettered"
    DLT_DUPLICATE = "dlt-duplicate"
    REJECTED = "rejected"
    """Share groups: archived by a REJECT acknowledgement."""
    ARCHIVED = "archived"
    """Share groups: archived after the delivery-count limit."""
    POLL_SKIP = "poll-skip"
    NONMONOTONIC_POLL = "nonmonotonic-poll"
    PRODUCER_REORDER = "producer-reorder"
    PRODUCER_GAP = "producer-gap"
    ABORTED_VISIBLE = "aborted-visible"
    TORN_TRANSACTION = "torn-transaction"
    COMMIT_ANOMALY = "commit-anomaly"


ANOMALY_TITLES: dict[AnomalyKind, str] = {
    AnomalyKind.UNCONSUMED: "In the log but never delivered to the group (A16)",
    AnomalyKind.STUCK: "No progress on a partition with lag (stuck consumer)",
    AnomalyKind.LOST: "Lost acknowledged write (A1)",
    AnomalyKind.UNSEEN: "Acknowledged but not (yet) readable (A2)",
    AnomalyKind.INCONSISTENT_OFFSET: "Two records at one offset (A3)",
    AnomalyKind.LOG_DUPLICATE: "Same record stored at two offsets (A4)",
    AnomalyKind.RESEND_DUPLICATE: "Re-sent by the application and written twice",
    AnomalyKind.REDELIVERED: "Same offset delivered again (A5)",
    AnomalyKind.PROCESSED_TWICE: "Same offset processed again (A5, duplicate processing)",
    AnomalyKind.DELIVERED_AGAIN: "Share group: acquired again (delivery count > 1)",
    AnomalyKind.SKIPPED: "Committed past but never processed (A6)",
    AnomalyKind.SKIPPED_BY_POLICY: "Failed and skipped by the error policy",
    AnomalyKind.DEAD_LETTERED: "Failed and sent to the dead-letter topic",
    AnomalyKind.DLT_DUPLICATE: "In the dead-letter topic more than once",
    AnomalyKind.REJECTED: "Share group: rejected and archived",
    AnomalyKind.ARCHIVED: "Share group: archived at the delivery-count limit",
    AnomalyKind.POLL_SKIP: "Records passed over within an assignment (A7)",
    AnomalyKind.NONMONOTONIC_POLL: "Delivery went backwards within an assignment (A8)",
    AnomalyKind.PRODUCER_REORDER: "Stored out of send order (A9)",
    AnomalyKind.PRODUCER_GAP: "Hole in a producer's stored sequence (A10)",
    AnomalyKind.ABORTED_VISIBLE: "Failed or aborted write visible (A11)",
    AnomalyKind.TORN_TRANSACTION: "Transaction only partly visible (A12)",
    AnomalyKind.COMMIT_ANOMALY: "Suspicious offset commit (A14)",
}
"""One-line human titles for the TUI and reports (every kind has one; a test checks it)."""


class RecordFate(StrEnum):
    """What became of one record at one offset, as the record lane draws it (for one group).

    Live fates come from the consumption log; final fates add what the verdict found. A cell that
    stands for several records shows the most notable of their fates (lost first, processed last)."""

    PENDING = "pending"
    """In the log, not yet delivered to the group (not yet consumed)."""
    DELIVERED = "delivered"
    """Returned to a member, not (yet) processed."""
    PROCESSED = "processed"
    PROCESSED_TWICE = "processed-twice"
    """Processed more than once (an at-least-once duplicate)."""
    SKIPPED = "skipped"
    """Committed past but never processed, or skipped by the error policy."""
    LOST = "lost"
    """Acknowledged at this offset, missing from the final re-read."""
    DEAD_LETTERED = "dead-lettered"
    """Failed and sent to the dead-letter topic."""
    ABORTED = "aborted"
    """Written by a transaction that aborted (never visible under read_committed)."""
    GAP = "gap"
    """No record at this offset (a transaction marker, or a record removed): final lanes only."""


# ---- browse and fix ---------------------------------------------------------------------------

class StartKind(StrEnum):
    """Where the record browser starts reading each partition (``--from``)."""

    BEGINNING = "beginning"
    END = "end"
    """Only records produced from now on (with follow)."""
    OFFSET = "offset"
    """``--from 42``: this offset in every partition read."""
    TIMESTAMP = "timestamp"
    """``--from @1733040000000`` or ``@2024-12-01T08:00:00Z``: the first record at or after it."""
    LAST = "last"
    """``--from -10``: the last 10 records of each partition."""


class ValueFormat(StrEnum):
    """How the browser decoded a record value."""

    KX = "kx"
    """kafka-explorer's own test record (``kx|<msg_id>|...``)."""
    JSON = "json"
    TEXT = "text"
    """Valid UTF-8 that is not a JSON object or array."""
    BINARY = "binary"
    """Anything else: shown as a hex dump."""
    EMPTY = "empty"
    """No value (a tombstone) or zero bytes."""


class TimestampType(StrEnum):
    """A record's timestamp type, named as Kafka's tools print it."""

    CREATE_TIME = "CreateTime"
    LOG_APPEND_TIME = "LogAppendTime"
    NOT_AVAILABLE = "NoTimestamp"


class BrowseState(StrEnum):
    OPENING = "opening"
    """Asking for metadata and start offsets."""
    READING = "reading"
    FOLLOWING = "following"
    """Caught up with every partition; waiting for new records (live tail)."""
    DONE = "done"
    """Read up to the end seen at the start (or the record count was reached)."""
    FAILED = "failed"
    CLOSED = "closed"


class ResetKind(StrEnum):
    """Where ``group reset --to`` moves a group's committed offsets."""

    EARLIEST = "earliest"
    LATEST = "latest"
    OFFSET = "offset"
    TIMESTAMP = "timestamp"
    """``@<ms or ISO time>``: the first offset at or after it (the end when there is none)."""
    SHIFT = "shift"
    """``shift:-N`` / ``shift:+N``: relative to the committed offset."""
