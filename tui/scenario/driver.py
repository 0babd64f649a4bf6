"""What the scenario runner needs from the engine and the lab, as one small interface.

:class:`Driver` is everything a step can do or ask; :mod:`tui.scenario.engine_driver` implements it on
the real :class:`~tui.engine.Engine` (node faults included), and tests pass a fake. All
methods block (the runner calls them from its own thread, never from the UI thread) and raise
``ValueError`` with one user sentence when something cannot be done.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from tui.engine import PartitionMeta, TopicSpec
from tui.scenario.model import Produce, StartMembers, StartShareMembers, SwitchPolicy


@dataclass(frozen=True)
class VerdictFacts:
    """The verdict reduced to what expectations and reports need."""

    counts: Mapping[str, int]
    """Records per anomaly kind (every kind, zeros included)."""
    explanations: tuple[tuple[str, str, str], ...] = ()
    """(kind, judgement, explanation) of each anomaly, capped for reports."""
    summary: Mapping[str, Any] = field(default_factory=dict)
    raw: Mapping[str, Any] = field(default_factory=dict)
    """``Verdict.to_json()`` for the JSON report."""


@dataclass(frozen=True)
class RunMetrics:
    """Numbers the runner measures itself (producer ledgers, consumption log)."""

    produced: int = 0
    acked: int = 0
    failed_definite: int = 0
    failed_indefinite: int = 0
    errors: Mapping[str, int] = field(default_factory=dict)
    """Producer delivery errors by librdkafka name, summed over every producer of the run."""
    partition_counts: Mapping[str, Mapping[int, int]] = field(default_factory=dict)
    """Acked records per partition, per real topic name."""
    revoked_partitions: Mapping[str, int] = field(default_factory=dict)
    """Partitions revoked from members (REVOKE events, summed), per real group id."""
    consumed: Mapping[str, int] = field(default_factory=dict)
    """Distinct records delivered to each group's members, per real group id."""
    processed: Mapping[str, int] = field(default_factory=dict)
    """Records processed by each group's members (repeats included), per real group id."""
    share_members_acquiring: int = 0
    """Share members of the run that acquired at least one record."""
    max_delivery_count: int = 0
    """The highest delivery count a share member of the run acquired a record with (0: none)."""
    sent_no_ack: int = 0
    """acks=0 records reported sent (never acknowledged), summed over every producer of the run."""
    producer_figures: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    """Real producer name -> measured figure (``latency.p50`` in ms, ``throughput``,
    ``records-per-batch``, ``batch-fill``, ``compression-ratio``, ``wire-bytes``, ``record-bytes``...;
    see :data:`tui.scenario.expect.MEASURED`); a figure not measured is absent."""
    group_figures: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    """Real group id -> measured figure (``e2e.p50`` in ms, ``lag``)."""
    topic_figures: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    """Real topic name -> measured figure (``disk-bytes``)."""


class Driver(Protocol):
    def node_ids(self) -> list[int]: ...

    def node_state(self, node: int) -> str:
        """running, paused, dead or stopped."""
        ...

    def node_action(self, node: int, action: str) -> None:
        """kill, stop, pause, resume, restart (waits until ready) or start."""
        ...

    def resource_name(self, name: str) -> str:
        """A topic or group name as the engine names it (inside its namespace, if it has one)."""
        ...

    def create_topic(self, spec: TopicSpec) -> None:
        """Create the topic as specified (its real name, configs included)."""
        ...

    def partition_state(self, topic: str, partition: int) -> PartitionMeta | None:
        """None when the cluster cannot be asked right now (or the partition does not exist)."""
        ...

    def high_watermark(self, topic: str, partition: int) -> int | None:
        """The partition's high watermark (what consumers can read up to); None when unknown."""
        ...

    def start_producer(self, step: Produce, name: str, topic: str) -> str:
        """Start a producer runner; returns its engine name."""
        ...

    def producer_done(self, name: str, timeout: float) -> bool: ...

    def stop_producer(self, name: str) -> None: ...

    def add_member(self, spec: StartMembers, member: str, group: str, topics: tuple[str, ...],
                   output_topic: str | None) -> str:
        """Start one group member; returns its engine name."""
        ...

    def add_share_member(self, spec: StartShareMembers, member: str, group: str,
                         topics: tuple[str, ...], fail_ids: tuple[str, ...]) -> str:
        """Start one share-group member (``fail_ids``: msg-id tails it fails on); returns its name."""
        ...

    def set_share_config(self, group: str, auto_offset_reset: str, lock_ms: int | None,
                         delivery_limit: int | None) -> None:
        """Set a share group's settings on the broker (refusal: ValueError, one sentence)."""
        ...

    def member_action(self, name: str, action: str, after_records: int | None = None,
                      strategy: str | None = None) -> None:
        """crash, restart, stop or switch."""
        ...

    def set_policy(self, name: str, step: SwitchPolicy) -> None:
        """Switch a group member's error policy (and, when the step says, its rebalance listener)."""
        ...

    def stuck_partitions(self, group: str) -> int:
        """Partitions of the group the engine's stall detector calls stuck right now."""
        ...

    def member_state(self, name: str) -> str:
        """joining, running, paused, kicked, crashed or stopped."""
        ...

    def consumed(self, group: str) -> int:
        """Distinct records delivered to the group's members so far."""
        ...

    def processed(self, group: str) -> int:
        """Records processed by the group's members so far, repeats included."""
        ...

    def activity(self) -> int:
        """A number that grows whenever any member of this run delivers, processes or commits
        (the runner waits for it to stand still before judging)."""
        ...

    def reset_offsets(self, group: str, topic: str, to: str,
                      partition: int | None) -> tuple[tuple[int, int | None, int], ...]:
        """Set the group's committed offsets on ``topic`` (one partition, or all) to ``to``; returns
        (partition, committed before, committed now) per partition. Refused (ValueError) while the
        group has active members."""
        ...

    def assigned_members(self, group: str) -> int:
        """Members of the group that currently hold at least one partition."""
        ...

    def metrics(self, topics: tuple[str, ...], groups: tuple[str, ...]) -> RunMetrics: ...

    def verdict(self, topics: tuple[str, ...], groups: tuple[str, ...], timeout: float) -> VerdictFacts:
        """Judge this run only: its topics, groups, and the producers and members it started (the
        engine knows the faults it injected and reads each topic's guarantees itself)."""
        ...

    def publish(self, kind: str, text: str, severity: str = "info", **data: Any) -> None:
        """An event on the engine's bus (the timeline shows scenario progress)."""
        ...

    def close(self) -> None:
        """Stop what the scenario started (producers, members); keep the engine itself."""
        ...
