"""Commands for the group members (target ``consumers``) and the member specification."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from tui.engine.commands import Command
from tui.engine.member_process.spec import check_crash_after, spec_json
from tui.engine.record_format import valid_name
from tui.vocab import (
    Assignor,
    ErrorPolicy,
    GroupProtocol,
    Isolation,
    MemberValueFormat,
    OffsetReset,
    PolicyAction,
    RemoteAssignor,
    names,
)

ASSIGNORS = names(Assignor)
PROTOCOLS = names(GroupProtocol)
REMOTE_ASSIGNORS = names(RemoteAssignor)
ISOLATION_LEVELS = names(Isolation)
RESETS = names(OffsetReset)
ERROR_POLICIES = names(ErrorPolicy)
VALUE_FORMATS = names(MemberValueFormat)
RETRY_THEN = (PolicyAction.SKIP.value, PolicyAction.DEAD_LETTER.value)
"""What the retry policy does once its retries are used up."""
NO_LISTENER_COMMIT = frozenset({"never", "transactional"})
"""Strategies whose rebalance listener never commits: never commits nothing, transactional commits its
input offsets only inside its transactions."""


def dead_letter_topic(source: str, configured: str | None) -> str:
    """Where a record of ``source`` is dead-lettered: the configured topic, else ``<source>.DLT``."""
    return configured or f"{source}.DLT"


def valid_fail_id(entry: str) -> bool:
    """Whether ``entry`` can name records: a msg_id (``run/producer/incarnation/seq``) or a tail of one
    at a ``/`` (``producer/incarnation/seq``, ``incarnation/seq``, ``seq``) ending in a sequence number."""
    parts = entry.split("/")
    return len(parts) <= 4 and all(parts) and parts[-1].isdigit() and all(
        valid_name(part) for part in parts)


@dataclass(frozen=True)
class MemberSpec:
    """How one group member is configured. Small timeouts by default so demos move quickly."""

    group: str
    topics: tuple[str, ...]
    strategy: str = "sync-per-batch"
    name: str | None = None
    """Member name (``m1``, ``m2``... when None)."""
    protocol: str = "classic"
    """``classic`` (client-side assignor) or ``consumer`` (KIP-848, broker-side assignment)."""
    assignor: str = "range"
    """Classic protocol only: range, roundrobin or cooperative-sticky."""
    remote_assignor: str | None = None
    """Consumer protocol only: ``group.remote.assignor`` (uniform or range); None = broker default."""
    group_instance_id: str | None = None
    """Static membership: a restart with the same id takes the old member's place at once."""
    processing_ms: int = 0
    isolation_level: str = "read_committed"
    auto_offset_reset: str = "earliest"
    batch_size: int = 10
    """``consume(num_messages=batch_size)``."""
    max_poll_interval_ms: int = 10000
    session_timeout_ms: int | None = 6000
    """Classic protocol only (KIP-848 session timeouts are broker-side); None = librdkafka default."""
    auto_commit_interval_ms: int = 1000
    output_topic: str | None = None
    """Where the ``transactional`` strategy writes its copies."""
    crash_after_records: int | None = None
    """Crash the first incarnation right after it processed this many records (None: never)."""
    extra: tuple[tuple[str, str], ...] = field(default_factory=tuple)
    """Extra librdkafka consumer properties (win over everything above)."""
    value_format: str = MemberValueFormat.KX.value
    """What the processing step expects values to be (:class:`tui.vocab.MemberValueFormat`)."""
    error_policy: str = ErrorPolicy.FAIL.value
    """What the member does with a record it fails to process (:class:`tui.vocab.ErrorPolicy`)."""
    retries: int = 3
    """``retry``: attempts after the first one before ``retry_then``."""
    retry_backoff_ms: int = 200
    """``retry``: the wait before each retry (the member does not poll meanwhile)."""
    retry_then: str = PolicyAction.SKIP.value
    """``retry``: skip or dead-letter once the retries are used up."""
    dead_letter_topic: str | None = None
    """Where ``dead-letter`` writes; None: ``<source topic>.DLT`` (created on first use with the
    source's partition count)."""
    commit_on_revoke: bool = False
    """The rebalance listener commits processed offsets before partitions are revoked (or lost)."""
    fail_ids: tuple[str, ...] = ()
    """Injected failures: records with these msg_ids fail (``run/producer/incarnation/seq``, or a tail of
    one at a ``/``: ``producer/incarnation/seq`` for any run, a bare ``seq`` for any producer)."""
    fail_rate: float = 0.0
    """Injected failures: this share of records (0..1, chosen per record from ``fail_seed``) fail."""
    fail_seed: int = 0
    fail_transient: int = 0
    """Injected failures are transient: each failing record fails this many attempts, then succeeds
    (with neither ``fail_ids`` nor ``fail_rate``: every record). 0: they fail every time."""
    max_restarts: int | None = None
    """A member crashed by the ``fail`` policy restarts automatically (a crash loop) at most this many
    times in a row (None: without limit; 0: it stays down)."""
    restart_backoff_ms: int = 1000
    """The wait before the first automatic restart; it doubles with each one (at most 30 s)."""

    def validate(self) -> None:
        """Raise ValueError with one sentence when the spec cannot work."""
        from tui.engine.consumer.strategies import strategy_class

        cls = strategy_class(self.strategy)
        if not self.group:
            raise ValueError("A group member needs a group id.")
        if not self.topics:
            raise ValueError("A group member needs at least one topic.")
        if self.protocol not in PROTOCOLS:
            raise ValueError(f"Unknown group protocol {self.protocol!r}; use classic or consumer.")
        if self.protocol == "classic" and self.assignor not in ASSIGNORS:
            raise ValueError(f"Unknown assignor {self.assignor!r}; use one of {', '.join(ASSIGNORS)}.")
        if self.protocol == "consumer" and self.remote_assignor not in (None, *REMOTE_ASSIGNORS):
            raise ValueError(f"Unknown remote assignor {self.remote_assignor!r}; use uniform or range.")
        if self.isolation_level not in ISOLATION_LEVELS:
            raise ValueError("isolation level must be read_committed or read_uncommitted.")
        if self.auto_offset_reset not in RESETS:
            raise ValueError("auto.offset.reset must be earliest, latest or error.")
        if self.batch_size < 1:
            raise ValueError("batch size must be at least 1.")
        if self.processing_ms < 0:
            raise ValueError("processing time cannot be negative.")
        if cls.needs_output_topic and not self.output_topic:
            raise ValueError(f"The {self.strategy} strategy needs an output topic.")
        check_crash_after(self.crash_after_records)
        if (self.protocol == "classic" and self.session_timeout_ms is not None
                and self.max_poll_interval_ms < self.session_timeout_ms):
            raise ValueError("max.poll.interval.ms must be at least session.timeout.ms.")
        self.validate_processing()

    def validate_processing(self) -> None:
        """The error-handling fields (also checked on their own when they are switched live)."""
        if self.value_format not in VALUE_FORMATS:
            raise ValueError(f"Unknown value format {self.value_format!r}; use one of "
                             f"{', '.join(VALUE_FORMATS)}.")
        if self.error_policy not in ERROR_POLICIES:
            raise ValueError(f"Unknown error policy {self.error_policy!r}; use one of "
                             f"{', '.join(ERROR_POLICIES)}.")
        if not 0 <= self.retries <= 100:
            raise ValueError("retries must be between 0 and 100.")
        if not 0 <= self.retry_backoff_ms <= 600_000:
            raise ValueError("retry backoff must be between 0 and 600000 ms.")
        if self.retry_then not in RETRY_THEN:
            raise ValueError(f"After its retries the retry policy can {' or '.join(RETRY_THEN)}, not "
                             f"{self.retry_then!r}.")
        if self.dead_letter_topic is not None:
            if not valid_name(self.dead_letter_topic):
                raise ValueError(f"Dead-letter topic {self.dead_letter_topic!r} may use only letters, "
                                 "digits, '_', '.', '-'.")
            if self.dead_letter_topic in self.topics:
                raise ValueError("The dead-letter topic cannot be a topic the member reads.")
        if not 0.0 <= self.fail_rate <= 1.0:
            raise ValueError("The failure rate must be between 0 and 1.")
        if not 0 <= self.fail_transient <= 1000:
            raise ValueError("Transient failures must fail between 0 and 1000 attempts.")
        for entry in self.fail_ids:
            if not valid_fail_id(entry):
                raise ValueError(f"{entry!r} names no records: give a msg_id (run/producer/incarnation/"
                                 "seq) or its end, e.g. producer/0/4 or 4.")
        if self.max_restarts is not None and self.max_restarts < 0:
            raise ValueError("max restarts cannot be negative.")
        if not 0 <= self.restart_backoff_ms <= 600_000:
            raise ValueError("restart backoff must be between 0 and 600000 ms.")

    @property
    def listener_commits(self) -> bool:
        """Whether the rebalance listener commits processed offsets (commit-on-revoke and a strategy
        that commits outside transactions)."""
        return self.commit_on_revoke and self.strategy not in NO_LISTENER_COMMIT

    @property
    def dead_letter_topics(self) -> frozenset[str]:
        """The dead-letter topics this member may write (empty unless its policy dead-letters)."""
        dead_letters = self.error_policy == ErrorPolicy.DEAD_LETTER or (
            self.error_policy == ErrorPolicy.RETRY and self.retry_then == PolicyAction.DEAD_LETTER)
        if not dead_letters:
            return frozenset()
        return frozenset(dead_letter_topic(t, self.dead_letter_topic) for t in self.topics
                         if not t.startswith("^"))

    @property
    def policy_label(self) -> str:
        """'fail', 'dead-letter → orders.DLT', 'retry 3× 200 ms, then skip'..."""
        if self.error_policy == ErrorPolicy.RETRY:
            label = f"retry {self.retries}× {self.retry_backoff_ms} ms, then {self.retry_then}"
            return label + (f" → {self.dead_letter_topic}" if self.dead_letter_topic
                            and self.retry_then == PolicyAction.DEAD_LETTER else "")
        if self.error_policy == ErrorPolicy.DEAD_LETTER and self.dead_letter_topic:
            return f"dead-letter → {self.dead_letter_topic}"
        return self.error_policy

    @property
    def failures_label(self) -> str | None:
        """The injected failures in a few words, None when there are none."""
        what = []
        if self.fail_ids:
            what.append(f"{len(self.fail_ids)} msg id(s)")
        if self.fail_rate:
            what.append(f"{self.fail_rate:.0%} of records")
        if self.fail_transient:
            what.append(f"transient ×{self.fail_transient}")
        return ", ".join(what) or None

    @property
    def cooperative(self) -> bool:
        """Incremental rebalancing: cooperative-sticky or the consumer protocol."""
        return self.protocol == "consumer" or self.assignor == "cooperative-sticky"

    @property
    def assignment_label(self) -> str:
        if self.protocol == "consumer":
            return f"consumer/{self.remote_assignor or 'default'}"
        return f"classic/{self.assignor}"

    def to_json(self) -> dict[str, Any]:
        return spec_json(self)


@dataclass(frozen=True)
class AddMember(Command):
    """Start a member; returns its name."""

    target: ClassVar[str] = "consumers"
    spec: MemberSpec


@dataclass(frozen=True)
class RemoveMember(Command):
    """Clean leave: the strategy's commit-on-close, then ``Consumer.close()`` (commit + LeaveGroup)."""

    target: ClassVar[str] = "consumers"
    name: str


@dataclass(frozen=True)
class CrashMember(Command):
    """Hard crash: no commit, no leave. ``after_records``: crash right after processing that many more
    records (None: SIGKILL now)."""

    target: ClassVar[str] = "consumers"
    name: str
    after_records: int | None = None


@dataclass(frozen=True)
class RestartMember(Command):
    """A new incarnation with the same name (and group.instance.id if static). A running member
    leaves cleanly first."""

    target: ClassVar[str] = "consumers"
    name: str


@dataclass(frozen=True)
class SetStrategy(Command):
    """Switch the commit strategy; it takes effect at the member's next batch."""

    target: ClassVar[str] = "consumers"
    name: str
    strategy: str


@dataclass(frozen=True)
class PauseMember(Command):
    target: ClassVar[str] = "consumers"
    name: str


@dataclass(frozen=True)
class ResumeMember(Command):
    target: ClassVar[str] = "consumers"
    name: str


@dataclass(frozen=True)
class SetProcessingTime(Command):
    target: ClassVar[str] = "consumers"
    name: str
    ms: int


@dataclass(frozen=True)
class SetSlow(Command):
    """While on, each batch takes longer than max.poll.interval.ms, so the member is kicked out."""

    target: ClassVar[str] = "consumers"
    name: str
    on: bool


@dataclass(frozen=True)
class SetErrorPolicy(Command):
    """Switch the error policy (at the member's next failed record; a crashed member's next
    incarnation starts with it). None keeps a setting as it is."""

    target: ClassVar[str] = "consumers"
    name: str
    policy: str
    retries: int | None = None
    retry_backoff_ms: int | None = None
    retry_then: str | None = None
    dead_letter_topic: str | None = None


@dataclass(frozen=True)
class SetFailures(Command):
    """Replace the member's injected failures (and, unless None, its expected value format)."""

    target: ClassVar[str] = "consumers"
    name: str
    fail_ids: tuple[str, ...] = ()
    fail_rate: float = 0.0
    fail_transient: int = 0
    value_format: str | None = None


@dataclass(frozen=True)
class SetCommitOnRevoke(Command):
    """Switch the rebalance listener's commit of processed offsets on revoke (and lost)."""

    target: ClassVar[str] = "consumers"
    name: str
    on: bool


@dataclass(frozen=True)
class ResumePartition(Command):
    """Resume partitions the ``pause`` policy paused (all of the member's when topic is None); the
    record it paused on is fetched again. ``by`` names who asked (user, scenario)."""

    target: ClassVar[str] = "consumers"
    name: str
    topic: str | None = None
    partition: int | None = None
    by: str = "user"
