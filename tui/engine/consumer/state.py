"""A member's mutable state, kept across incarnations and frozen into a MemberView on demand."""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, field

from tui.engine.consumer.commands import MemberSpec
from tui.engine.consumer.views import ConsumedRecordView, MemberPartitionView, MemberView

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
    lock: threading.Lock = field(default_factory=threading.Lock)

    def part(self, topic: str, partition: int) -> PartitionState:
        key = (topic, partition)
        found = self.partitions.get(key)
        if found is None:
            found = self.partitions[key] = PartitionState()
        return found

    def view(self) -> MemberView:
        with self.lock:
            parts = []
            for key in sorted(self.assignment):
                ps = self.partitions.get(key, PartitionState())
                lag = (ps.high - ps.position if ps.high is not None and ps.high >= 0
                       and ps.position is not None and ps.position >= 0 else None)
                parts.append(MemberPartitionView(key[0], key[1], ps.position, ps.committed, ps.delivered,
                                           ps.high, lag))
            return MemberView(
                name=self.name, group=self.spec.group, incarnation=self.incarnation,
                state=self.state, strategy=self.strategy, pending_strategy=self.pending_strategy,
                protocol=self.spec.assignment_label, group_instance_id=self.spec.group_instance_id,
                topics=self.spec.topics, assignment=tuple(sorted(self.assignment)),
                partitions=tuple(parts), generation=self.generation, delivered=self.delivered,
                processed=self.processed, redelivered=self.redelivered, commits_ok=self.commits_ok,
                commits_failed=self.commits_failed, last_commit=self.last_commit,
                last_error=self.last_error, processing_ms=self.processing_ms, slow=self.slow,
                member_id=self.member_id,
                recent=tuple(ConsumedRecordView(*fields) for fields in self.recent))
