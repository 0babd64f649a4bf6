"""A scripted stand-in for the engine + lab, for runner, report and screen tests (no Kafka).

It keeps a tiny cluster model: node states, and per partition a leader, replicas and ISR that react
to kill/pause/resume like KRaft would (instantly): a broken leader hands over to the next in-sync
replica, a broken follower leaves the ISR, a healed node rejoins it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tui.engine import PartitionMeta, TopicSpec
from tui.scenario.driver import RunMetrics, VerdictFacts
from tui.scenario.model import Produce, StartMembers, StartShareMembers


class FakeDriver:
    def __init__(self, nodes: int = 3, counts: Mapping[str, int] | None = None,
                 errors: Mapping[str, int] | None = None, consumed_per_poll: int = 50,
                 profile: str | None = "default", kafka: str | None = None) -> None:
        self.nodes = {n: "running" for n in range(1, nodes + 1)}
        self.parts: dict[tuple[str, int], PartitionMeta] = {}
        self.calls: list[tuple[Any, ...]] = []
        self.counts = dict(counts or {})
        self.errors = dict(errors or {})
        self.consumed_per_poll = consumed_per_poll
        self._consumed: dict[str, int] = {}
        self.members: dict[str, str] = {}
        self.producers: dict[str, Produce] = {}
        self.profile = profile
        self.kafka = kafka
        """The lab's Kafka version (None: unknown, like a cluster the app did not start)."""
        self.closed = False
        self.namespace: str | None = None
        self.events: list[tuple[str, str]] = []

    # lab
    def node_ids(self) -> list[int]:
        return sorted(self.nodes)

    def cluster_profile(self) -> str | None:
        return self.profile

    def kafka_version(self) -> str | None:
        return self.kafka

    def node_state(self, node: int) -> str:
        return self.nodes[node]

    def node_action(self, node: int, action: str) -> None:
        self.calls.append(("node", node, action))
        new = {"kill": "dead", "stop": "stopped", "pause": "paused", "resume": "running",
               "restart": "running", "start": "running"}[action]
        self.nodes[node] = new
        for key, st in list(self.parts.items()):
            if node not in st.replicas:
                continue
            if new == "running":
                isr = tuple(sorted(set(st.isr) | {node}))
                leader = st.leader if st.leader >= 0 else node
                self.parts[key] = PartitionMeta(leader, st.replicas, isr)
            else:
                isr = tuple(n for n in st.isr if n != node)
                leader = st.leader
                if leader == node:
                    leader = isr[0] if isr else -1
                self.parts[key] = PartitionMeta(leader, st.replicas, isr or (node,))

    # topics
    def resource_name(self, name: str) -> str:
        return f"{self.namespace}.{name}" if self.namespace else name

    def create_topic(self, spec: TopicSpec) -> None:
        self.calls.append(("topic", spec.name))
        ids = sorted(self.nodes)
        for p in range(spec.partitions):
            if spec.replica_assignment:
                replicas = spec.replica_assignment[p]
            else:
                replicas = tuple((ids[(p + i) % len(ids)]) for i in range(spec.replication_factor))
            self.parts[(spec.name, p)] = PartitionMeta(replicas[0], tuple(replicas), tuple(replicas))

    def partition_state(self, topic: str, partition: int) -> PartitionMeta | None:
        return self.parts.get((topic, partition))

    def high_watermark(self, topic: str, partition: int) -> int | None:
        return sum(p.workload.count or 0 for p in self.producers.values())

    # producers
    def start_producer(self, step: Produce, name: str, topic: str) -> str:
        self.calls.append(("produce", name, topic))
        self.producers[name] = step
        return name

    def producer_done(self, name: str, timeout: float) -> bool:
        return True

    def stop_producer(self, name: str) -> None:
        self.calls.append(("stop-producer", name))

    # members
    def add_member(self, spec: StartMembers, member: str, group: str, topics: tuple[str, ...],
                   output_topic: str | None) -> str:
        self.calls.append(("member", member, group, topics))
        self.members[member] = group
        return member

    def add_share_member(self, spec: StartShareMembers, member: str, group: str,
                         topics: tuple[str, ...], fail_ids: tuple[str, ...]) -> str:
        self.calls.append(("share-member", member, group, topics, fail_ids))
        self.members[member] = group
        return member

    def set_share_config(self, group: str, auto_offset_reset: str, lock_ms: int | None,
                         delivery_limit: int | None) -> None:
        self.calls.append(("share-config", group, auto_offset_reset, lock_ms, delivery_limit))

    def member_action(self, name: str, action: str, after_records: int | None = None,
                      strategy: str | None = None) -> None:
        self.calls.append(("member-action", name, action, after_records, strategy))

    def set_policy(self, name: str, step: Any) -> None:
        self.calls.append(("policy", name, step.on_error, step.commit_on_revoke))

    def stuck_partitions(self, group: str) -> int:
        return 1  # as if each group had one poison record in a crash loop

    def member_state(self, name: str) -> str:
        crashed = any(c[:3] == ("member-action", name, "crash") for c in self.calls)
        return "crashed" if crashed else "running"

    def consumed(self, group: str) -> int:
        self._consumed[group] = self._consumed.get(group, 0) + self.consumed_per_poll
        return self._consumed[group]

    def processed(self, group: str) -> int:
        return self.consumed(group)

    def activity(self) -> int:
        return len(self.calls)

    def reset_offsets(self, group: str, topic: str, to: str,
                      partition: int | None) -> tuple[tuple[int, int | None, int], ...]:
        self.calls.append(("reset", group, topic, to, partition))
        return ((0 if partition is None else partition, self._consumed.get(group), 0),)

    def assigned_members(self, group: str) -> int:
        return sum(1 for g in self.members.values() if g == group)

    # results
    def metrics(self, topics: tuple[str, ...], groups: tuple[str, ...]) -> RunMetrics:
        produced = sum(p.workload.count or 0 for p in self.producers.values())
        return RunMetrics(produced=produced, acked=produced - sum(self.errors.values()),
                          failed_definite=sum(self.errors.values()), errors=self.errors,
                          partition_counts={t: {0: 80, 1: 10, 2: 10} for t in topics},
                          revoked_partitions=dict.fromkeys(groups, 2),
                          consumed={g: self._consumed.get(g, 0) for g in groups},
                          processed={g: self._consumed.get(g, 0) for g in groups})

    def verdict(self, topics: tuple[str, ...], groups: tuple[str, ...], timeout: float) -> VerdictFacts:
        self.calls.append(("verdict", topics, groups))
        counts = {"lost": 0, "redelivered": 0, "skipped": 0, **self.counts}
        expl = tuple((k, "expected", f"{v} record(s) {k} because the leader was killed.")
                     for k, v in counts.items() if v)
        return VerdictFacts(counts=counts, explanations=expl, summary={"produced": 1})

    def publish(self, kind: str, text: str, severity: str = "info", **data: Any) -> None:
        self.events.append((kind, text))

    def close(self) -> None:
        self.closed = True
