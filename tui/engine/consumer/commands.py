"""Commands for the group members (target ``consumers``) and the member specification."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from tui.engine.commands import Command
from tui.vocab import Assignor, GroupProtocol, Isolation, OffsetReset, RemoteAssignor, names

ASSIGNORS = names(Assignor)
PROTOCOLS = names(GroupProtocol)
REMOTE_ASSIGNORS = names(RemoteAssignor)
ISOLATION_LEVELS = names(Isolation)
RESETS = names(OffsetReset)


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
        if self.crash_after_records is not None and self.crash_after_records < 1:
            raise ValueError("crash-after must be at least 1 record.")
        if (self.protocol == "classic" and self.session_timeout_ms is not None
                and self.max_poll_interval_ms < self.session_timeout_ms):
            raise ValueError("max.poll.interval.ms must be at least session.timeout.ms.")

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
        from dataclasses import asdict

        data = asdict(self)
        data["topics"] = list(self.topics)
        data["extra"] = dict(self.extra)
        return data


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
