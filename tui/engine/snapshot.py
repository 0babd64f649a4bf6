"""The immutable snapshot the UI and headless runners render. Built on demand; cheap to build."""

from __future__ import annotations

from dataclasses import dataclass

from tui.engine.checker.verdict import Verdict
from tui.engine.consumer.views import ConsumersView, MemberView
from tui.engine.jsonview import JsonView
from tui.engine.lanes import LaneView
from tui.engine.producer.views import ProducersView
from tui.engine.share.views import ShareMembersView
from tui.engine.watcher.views import ClusterView


@dataclass(frozen=True, slots=True)
class LabNodeView(JsonView):
    """A lab node as the process table sees it (no Kafka round trip)."""

    node_id: int
    pid: int | None
    state: str
    broker_port: int

    @property
    def running(self) -> bool:
        return self.state == "running"


@dataclass(frozen=True, slots=True)
class PartitionMeta(JsonView):
    """One partition as the cluster metadata describes it right now."""

    leader: int
    """-1 when the partition has no leader."""
    replicas: tuple[int, ...]
    isr: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class ConnectionView(JsonView):
    label: str
    bootstrap: str
    is_lab: bool
    run_id: str
    namespace: str | None = None
    """The prefix this explorer's topics, groups and transactional ids live under (``--namespace``;
    one per browser under ``serve``); None: the cluster's plain names."""


@dataclass(frozen=True)
class Snapshot(JsonView):
    """Everything the engine knows, frozen. ``seq`` grows whenever any part changed."""

    seq: int
    ts: float
    connection: ConnectionView
    producers: ProducersView
    consumers: ConsumersView
    cluster: ClusterView | None
    lab: tuple[LabNodeView, ...]
    verdict: Verdict | None
    events_dropped: int = 0
    shares: ShareMembersView = ShareMembersView()
    """Share-group members (KIP-932) and their share groups."""
    lane: LaneView | None = None
    """The record lane the UI asked for (``WatchLane``); None when none is watched."""

    @property
    def topics_in_play(self) -> tuple[str, ...]:
        """Topics this engine's producers wrote to or its members read, sorted."""
        return tuple(sorted(self.producers.topics | self.consumers.topics | self.shares.topics))

    @property
    def lab_down(self) -> tuple[int, ...]:
        """Lab nodes whose process is not running (dead, stopped or paused)."""
        return tuple(n.node_id for n in self.lab if not n.running)

    def node_state(self, node_id: int) -> str:
        """A lab node's state as a person reads it: the process table's state, except ``starting``
        while the process runs but its broker has not registered yet (a node just started or
        restarted is not 'dead', and not yet a broker)."""
        node = next((n for n in self.lab if n.node_id == node_id), None)
        if node is None:
            return "-"
        if node.state != "running" or self.cluster is None:
            return node.state
        broker = self.cluster.broker(node_id)
        if self.cluster.brokers_answering and (broker is None or broker.state == "fenced-or-missing"):
            return "starting"
        return node.state

    def held_by_gone_member(self, member: MemberView) -> tuple[tuple[str, int], ...]:
        """Partitions the group coordinator still gives to ``member`` after it crashed (no
        LeaveGroup): the coordinator reassigns them only when the session times out. Empty for any
        other member (a clean leave hands them over at once), or when the watcher does not see the
        member in its group."""
        if not member.crashed or member.member_id is None or self.cluster is None:
            return ()
        group = self.cluster.group(member.group)
        if group is None:
            return ()
        for seen in group.members:
            if seen.member_id == member.member_id:
                return seen.assignment
        return ()
