"""A member's mutable state, kept across incarnations and frozen into a MemberView on demand."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field

from tui.engine.consumer.commands import MemberSpec
from tui.engine.consumer.views import ConsumedRecordView, MemberPartitionView, MemberView
from tui.engine.history import Stall
from tui.engine.latency import LatencySummary
from tui.engine.producer.histogram import LatencyHistogram
from tui.vocab import LIVE_MEMBER_STATES

RECENT = 40
"""Recent deliveries kept per member for the view."""

Recent = tuple[float, str, int, int, str | None, bytes | None, bytes | None, bool]
"""A recent delivery as :class:`ConsumedRecordView`'s fields, made into one only for a view."""


@dataclass
class PartitionState:
    position: int | None = None
    committed: int | None = None
    delivered: int = 0
    high: int | None = None


@dataclass
class MemberState:
    name: str
    spec: MemberSpec
    incarnation: int = 0
    state: str = "joining"
    strategy: str = ""
    pending_strategy: str | None = None
    generation: int = 0
    assignment: set[tuple[str, int]] = field(default_factory=set)
    partitions: dict[tuple[str, int], PartitionState] = field(default_factory=dict)
    delivered: int = 0
    processed: int = 0
    redelivered: int = 0
    commits_ok: int = 0
    commits_failed: int = 0
    last_commit: str | None = None
    last_error: str | None = None
    processing_ms: int = 0
    slow: bool = False
    member_id: str | None = None
    recent: deque[Recent] = field(default_factory=lambda: deque(maxlen=RECENT))
    failed: int = 0
    skipped_by_policy: int = 0
    dead_lettered: int = 0
    dlt_failed: int = 0
    retried: int = 0
    last_failure: str | None = None
    held: dict[tuple[str, int], int] = field(default_factory=dict)
    """Partitions the pause policy holds -> the offset it paused on."""
    restarts: int = 0
    """Automatic restarts in a row after policy crashes."""
    restart_at: float | None = None
    crashed_by_policy: bool = False
    gave_up: bool = False
    """No automatic restart follows this policy crash (the limit was reached, or it was cancelled)."""
    e2e: LatencyHistogram = field(default_factory=LatencyHistogram)
    announced: set[tuple[str, str, str, int]] = field(default_factory=set)
    """(action, error, topic, partition) of the policy actions told on the bus (once per cause, across
    incarnations)."""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def part(self, topic: str, partition: int) -> PartitionState:
        key = (topic, partition)
        found = self.partitions.get(key)
        if found is None:
            found = self.partitions[key] = PartitionState()
        return found

    @property
    def live(self) -> bool:
        """A member process runs, or one is about to start (a crash loop between incarnations)."""
        return (self.state in LIVE_MEMBER_STATES or self.restart_at is not None
                or (self.crashed_by_policy and not self.gave_up))

    def view(self, stuck: Mapping[tuple[str, str, int], Stall] | None = None) -> MemberView:
        """``stuck``: the stall detector's stuck partitions, by (group, topic, partition)."""
        stuck = stuck or {}
        with self.lock:
            spec = self.spec
            parts = []
            for key in sorted(self.assignment):
                ps = self.partitions.get(key, PartitionState())
                lag = (ps.high - ps.position if ps.high is not None and ps.high >= 0
                       and ps.position is not None and ps.position >= 0 else None)
                stall = stuck.get((spec.group, key[0], key[1]))
                parts.append(MemberPartitionView(key[0], key[1], ps.position, ps.committed,
                                                 ps.delivered, ps.high, lag, self.held.get(key),
                                                 None if stall is None else stall.since))
            return MemberView(
                name=self.name, group=self.spec.group, incarnation=self.incarnation,
                state=self.state, strategy=self.strategy, pending_strategy=self.pending_strategy,
                protocol=self.spec.assignment_label, group_instance_id=self.spec.group_instance_id,
                topics=self.spec.topics, assignment=tuple(sorted(self.assignment)),
                partitions=tuple(parts), assignments=self.generation, delivered=self.delivered,
                processed=self.processed, redelivered=self.redelivered, commits_ok=self.commits_ok,
                commits_failed=self.commits_failed, last_commit=self.last_commit,
                last_error=self.last_error, processing_ms=self.processing_ms, slow=self.slow,
                member_id=self.member_id,
                recent=tuple(ConsumedRecordView(*fields) for fields in self.recent),
                error_policy=spec.policy_label, commit_on_revoke=spec.commit_on_revoke,
                value_format=spec.value_format, failures=spec.failures_label, failed=self.failed,
                skipped_by_policy=self.skipped_by_policy, dead_lettered=self.dead_lettered,
                dlt_failed=self.dlt_failed, retried=self.retried, last_failure=self.last_failure,
                restarts=self.restarts, restart_at=self.restart_at,
                restart_limit=spec.max_restarts, crashed_by_policy=self.crashed_by_policy,
                dead_letter_topics=tuple(sorted(spec.dead_letter_topics)),
                e2e=LatencySummary.of(self.e2e))
