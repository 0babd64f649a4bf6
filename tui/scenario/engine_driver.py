"""The scenario :class:`~tui.scenario.driver.Driver` on the real engine.

Everything goes through the engine's public surface: producers, members and node faults are engine
commands (so the TUI sees them like any other, and the engine records every fault it injects with
the partitions the node hosted), partition leaders and ISRs are asked fresh through the engine's
metadata door (role resolution must not act on a watcher snapshot that is a second old), and the
verdict is the engine's one verdict path, scoped to this run's producers, members, groups and topics.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

from tui.engine import (
    AddMember,
    AddShareMember,
    CrashMember,
    CrashShareMember,
    CreateTopic,
    Engine,
    LabAction,
    LaneView,
    MemberSpec,
    MemberView,
    PartitionMeta,
    ProducerProfile,
    RemoveMember,
    RemoveShareMember,
    ResetOffsets,
    RestartMember,
    RestartShareMember,
    RunScope,
    SetCommitOnRevoke,
    SetErrorPolicy,
    SetShareGroupConfig,
    SetStrategy,
    ShareMemberSpec,
    ShareMemberView,
    StartProducer,
    StopProducer,
    TopicSpec,
    Workload,
    parse_key_mode,
    parse_poison,
)
from tui.scenario.driver import RunMetrics, VerdictFacts
from tui.scenario.model import Produce, StartMembers, StartShareMembers, SwitchPolicy
from tui.vocab import GroupProtocol, MemberState, NodeAction

if TYPE_CHECKING:
    from tui.engine import RunnerView, Snapshot
    from tui.lab import LabCluster

LOG = logging.getLogger("kafka_explorer.scenario")
MAX_EXPLANATIONS = 200
NODE_ACTION_TIMEOUT_S = 180.0
"""A restart waits until the node is ready (and a 3-node lab on a loaded machine takes its time)."""


class EngineDriver:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._producers: list[str] = []
        self._members: list[str] = []
        self._shares: list[str] = []
        """Share members this run started (also listed in ``_members``, for the verdict's scope)."""
        self._started = time.time()
        self._revokes = engine.subscribe(maxlen=10_000, kinds=("member.revoked",))
        self._revoked: dict[str, int] = {}

    # ---- lab ---------------------------------------------------------------------------------

    def node_ids(self) -> list[int]:
        return [n.node_id for n in self.engine.lab_nodes()]

    def cluster_profile(self) -> str | None:
        return self.engine.lab_profile

    def kafka_version(self) -> str | None:
        return self.engine.lab_kafka_version

    def node_state(self, node: int) -> str:
        for view in self.engine.lab_nodes():
            if view.node_id == node:
                return view.state
        raise ValueError("This step breaks lab nodes; connect to the local lab cluster to run it."
                         if not self.engine.is_lab else f"The lab has no node {node}.")

    def node_action(self, node: int, action: str) -> None:
        if not self.engine.is_lab:
            raise ValueError("This step breaks lab nodes; connect to the local lab cluster to run it.")
        self.publish(f"lab.{action}", f"scenario: {action} node {node}", "notice", node=node)
        self.engine.call(LabAction(node, NodeAction(action)), timeout=NODE_ACTION_TIMEOUT_S)

    # ---- topics and metadata -----------------------------------------------------------------

    def resource_name(self, name: str) -> str:
        return self.engine.in_namespace(name)

    def create_topic(self, spec: TopicSpec) -> None:
        self.engine.call(CreateTopic(spec, exists_ok=False, timeout=10.0), timeout=20.0)

    def partition_state(self, topic: str, partition: int) -> PartitionMeta | None:
        return self.engine.partition_meta(topic, partition)

    def high_watermark(self, topic: str, partition: int) -> int | None:
        return self.engine.high_watermark(topic, partition)

    # ---- producers ---------------------------------------------------------------------------

    def start_producer(self, step: Produce, name: str, topic: str) -> str:
        p = step.producer
        fields: dict[str, Any] = {"acks": p.acks, "idempotence": p.idempotence}
        for key, value in (("retries", p.retries), ("max_in_flight", p.max_in_flight),
                           ("linger_ms", p.linger_ms), ("batch_size", p.batch_size),
                           ("compression", p.compression),
                           ("message_timeout_ms", p.message_timeout_ms)):
            if value is not None:
                fields[key] = value
        extra = dict(p.extra)
        if p.request_timeout_ms is not None:
            extra["request.timeout.ms"] = str(p.request_timeout_ms)
        profile = ProducerProfile(name=name, extra=extra, resend=p.resend, **fields)
        w = step.workload
        workload = Workload(topic=topic, count=w.count, rate=w.rate, key_mode=parse_key_mode(w.keys),
                            value_size=w.value_size, partition=w.partition,
                            value_content=w.value_content,
                            poison=parse_poison(w.poison) if w.poison else None)
        result = self.engine.call(StartProducer(profile, workload), timeout=30.0)
        real = str(result or name)
        self._producers.append(real)
        return real

    def producer_done(self, name: str, timeout: float) -> bool:
        return self.engine.wait_producer(name, timeout)

    def stop_producer(self, name: str) -> None:
        view = self.engine.snapshot().producers.get(name)
        if view is not None and not view.active:
            return
        self.engine.call(StopProducer(name), timeout=30.0)

    # ---- members -----------------------------------------------------------------------------

    def add_member(self, spec: StartMembers, member: str, group: str, topics: tuple[str, ...],
                   output_topic: str | None) -> str:
        kwargs: dict[str, Any] = {
            "group": group, "topics": topics, "strategy": spec.strategy, "name": member,
            "protocol": spec.protocol, "processing_ms": spec.processing_ms,
            "isolation_level": spec.isolation_level, "auto_offset_reset": spec.auto_offset_reset,
            "output_topic": output_topic,
            "group_instance_id": member if spec.static else None,
        }
        if spec.assignor is not None:
            kwargs["assignor"] = spec.assignor
        if spec.batch_size is not None:
            kwargs["batch_size"] = spec.batch_size
        if spec.crash_after is not None:
            kwargs["crash_after_records"] = spec.crash_after
        if spec.auto_commit_interval_ms is not None:
            kwargs["auto_commit_interval_ms"] = spec.auto_commit_interval_ms
        if spec.max_poll_interval_ms is not None:
            kwargs["max_poll_interval_ms"] = spec.max_poll_interval_ms
        if spec.consumer:
            kwargs["extra"] = tuple(sorted(spec.consumer.items()))
        kwargs.update(_error_handling(spec))
        if spec.protocol == GroupProtocol.CONSUMER:
            kwargs["session_timeout_ms"] = None
        elif spec.session_timeout_ms is not None:
            kwargs["session_timeout_ms"] = spec.session_timeout_ms
        result = self.engine.call(AddMember(MemberSpec(**kwargs)), timeout=30.0)
        real = str(result or member)
        self._members.append(real)
        return real

    # ---- share members -----------------------------------------------------------------------

    def set_share_config(self, group: str, auto_offset_reset: str, lock_ms: int | None,
                         delivery_limit: int | None) -> None:
        self.engine.call(SetShareGroupConfig(group, auto_offset_reset=auto_offset_reset,
                                             lock_duration_ms=lock_ms, delivery_count_limit=delivery_limit),
                         timeout=20.0)

    def add_share_member(self, spec: StartShareMembers, member: str, group: str,
                         topics: tuple[str, ...], fail_ids: tuple[str, ...]) -> str:
        share = ShareMemberSpec(group=group, topics=topics, name=member, ack_mode=spec.ack_mode,
                                processing_ms=spec.processing_ms, max_records=spec.max_records,
                                fail_ids=fail_ids, fail_transient=spec.fail_transient,
                                crash_after_records=spec.crash_after)
        real = str(self.engine.call(AddShareMember(share), timeout=30.0) or member)
        self._members.append(real)
        self._shares.append(real)
        return real

    def _shares_of(self, group: str | None = None) -> list[ShareMemberView]:
        mine = set(self._shares)
        return [m for m in self.engine.snapshot().shares.members
                if m.name in mine and (group is None or m.group == group)]

    def _share_action(self, name: str, action: str, after_records: int | None) -> None:
        cmd: CrashShareMember | RestartShareMember | RemoveShareMember
        if action == "crash":
            cmd = CrashShareMember(name, after_records)
        elif action == "restart":
            cmd = RestartShareMember(name)
        elif action == "stop":
            cmd = RemoveShareMember(name)
        else:
            raise ValueError(f"Share member {name} acknowledges records; it cannot {action}.")
        self.engine.call(cmd, timeout=30.0)

    def member_action(self, name: str, action: str, after_records: int | None = None,
                      strategy: str | None = None) -> None:
        if name in self._shares:
            self._share_action(name, action, after_records)
            return
        cmd: CrashMember | RestartMember | RemoveMember | SetStrategy
        if action == "crash":
            cmd = CrashMember(name, after_records)
        elif action == "restart":
            cmd = RestartMember(name)
        elif action == "stop":
            cmd = RemoveMember(name)
        elif action == "switch":
            cmd = SetStrategy(name, strategy or "")
        else:
            raise ValueError(f"Unknown member action {action!r}.")
        self.engine.call(cmd, timeout=30.0)

    def _members_of(self, group: str) -> list[MemberView]:
        return [m for m in self.engine.snapshot().consumers.members if m.group == group]

    def set_policy(self, name: str, step: SwitchPolicy) -> None:
        self.engine.call(SetErrorPolicy(name, step.on_error, retries=step.retries,
                                        retry_backoff_ms=step.retry_backoff_ms,
                                        retry_then=step.retry_then), timeout=30.0)
        if step.commit_on_revoke is not None:
            self.engine.call(SetCommitOnRevoke(name, step.commit_on_revoke), timeout=30.0)

    def stuck_partitions(self, group: str) -> int:
        return sum(1 for s in self.engine.snapshot().consumers.stuck if s.group == group)

    def member_state(self, name: str) -> str:
        snapshot = self.engine.snapshot()
        view = snapshot.consumers.member(name) or snapshot.shares.member(name)
        return "unknown" if view is None else str(view.state)

    def consumed(self, group: str) -> int:
        # a share member's first deliveries (delivery count 1) are the distinct records it got
        return (sum(max(0, m.delivered - m.redelivered) for m in self._members_of(group))
                + sum(dict(m.delivery_counts).get(1, 0) for m in self._shares_of(group)))

    def processed(self, group: str) -> int:
        return (sum(m.processed for m in self._members_of(group))
                + sum(m.processed for m in self._shares_of(group)))

    def activity(self) -> int:
        mine = set(self._members)
        return (sum(m.delivered + m.processed + m.commits_ok + m.commits_failed
                    for m in self.engine.snapshot().consumers.members if m.name in mine)
                + sum(m.acquired + m.processed + m.failed + m.accepted + m.released + m.rejected
                      + m.ack_commits_ok + m.ack_commits_failed for m in self._shares_of()))

    def reset_offsets(self, group: str, topic: str, to: str,
                      partition: int | None) -> tuple[tuple[int, int | None, int], ...]:
        target = topic if partition is None else f"{topic}:{partition}"
        plan = self.engine.call(ResetOffsets(group, (target,), to, execute=True), timeout=40.0)
        return tuple((r.partition, r.current, r.new) for r in plan.rows)

    def assigned_members(self, group: str) -> int:
        # a share member has no assignment of its own to show: one that acquired records counts
        return (sum(1 for m in self._members_of(group) if m.assignment and m.state == MemberState.RUNNING)
                + sum(1 for m in self._shares_of(group) if m.acquired and m.state == MemberState.RUNNING))

    # ---- results -----------------------------------------------------------------------------

    def metrics(self, topics: tuple[str, ...], groups: tuple[str, ...]) -> RunMetrics:
        produced = acked = definite = indefinite = no_ack = 0
        snapshot = self.engine.snapshot()
        figures: dict[str, dict[str, float]] = {}
        errors: dict[str, int] = {}
        per_topic: dict[str, dict[int, int]] = {}
        mine = set(self._producers)
        for r in snapshot.producers.runners:
            if r.name not in mine:
                continue
            produced += r.sent
            acked += r.acked + r.acked_no_offset  # acknowledged: acks=0 records are sent_unacknowledged
            no_ack += r.sent_unacknowledged
            figures[r.name] = producer_figures(r)
            definite += r.failed_definite
            indefinite += r.failed_indefinite
            for e in r.errors:
                errors[e.error] = errors.get(e.error, 0) + e.count
            counts = per_topic.setdefault(r.topic, {})
            for partition, n in r.partitions:
                counts[partition] = counts.get(partition, 0) + n
        return RunMetrics(produced=produced, acked=acked, failed_definite=definite,
                          failed_indefinite=indefinite, errors=errors,
                          partition_counts={t: c for t, c in per_topic.items() if t in topics},
                          revoked_partitions=self._revoked_by_group(groups),
                          consumed={g: self.consumed(g) for g in groups},
                          processed={g: self.processed(g) for g in groups},
                          sent_no_ack=no_ack, producer_figures=figures,
                          group_figures=group_figures(snapshot, groups),
                          topic_figures={t: {"disk-bytes": float(n)}
                                         for t, n in self._disk_bytes(topics).items()},
                          share_members_acquiring=sum(1 for m in self._shares_of() if m.acquired),
                          max_delivery_count=max((c for m in self._shares_of() for c, _n in m.delivery_counts),
                                                 default=0))

    def _disk_bytes(self, topics: tuple[str, ...]) -> dict[str, int]:
        """Bytes of each topic's log segments on the lab's disk (the lab only; {} elsewhere)."""
        lab_dir = self.engine.connection.lab_dir
        if lab_dir is None or not self.engine.is_lab:
            return {}
        from tui.lab import LabCluster

        return log_bytes(LabCluster(lab_dir), topics, self.node_ids())

    def _revoked_by_group(self, groups: tuple[str, ...]) -> dict[str, int]:
        """Partitions revoked from this run's members, per group (from the engine's events)."""
        mine = set(self._members)
        for event in self._revokes.drain():
            if str(event.data.get("member", "")) not in mine:
                continue
            group = str(event.data.get("group", ""))
            parts = event.data.get("partitions", ())
            self._revoked[group] = self._revoked.get(group, 0) + (len(parts) if parts else 1)
        return {g: self._revoked.get(g, 0) for g in groups}

    def verdict(self, topics: tuple[str, ...], groups: tuple[str, ...], timeout: float) -> VerdictFacts:
        scope = RunScope(topics=topics, groups=groups, producers=tuple(self._producers),
                         members=tuple(self._members), since=self._started)
        verdict = self.engine.judge(topics, scope=scope, timeout=timeout)
        explanations = tuple((a.kind, a.judgement, a.explanation)
                             for a in verdict.anomalies[:MAX_EXPLANATIONS])
        return VerdictFacts(counts=dict(verdict.counts), explanations=explanations,
                            summary=verdict.summary.to_json(), raw=verdict.to_json())

    def publish(self, kind: str, text: str, severity: str = "info", **data: Any) -> None:
        self.engine.publish(kind, "scenario", text, severity, **data)

    def lane(self, topic: str, width: int = 100) -> LaneView | None:
        """The record lane of ``topic`` after the verdict (for the HTML report)."""
        return self.engine.lane(topic, width=width)

    def close(self) -> None:
        snapshot = self.engine.snapshot()
        for name in self._shares:
            try:
                share = snapshot.shares.member(name)
                if share is not None and share.state not in (MemberState.CRASHED, MemberState.STOPPED):
                    self.engine.call(RemoveShareMember(name), timeout=20.0)
            except Exception as exc:  # keep stopping the others
                LOG.warning("stopping share member %s failed: %s", name, exc)
        for name in self._members:
            if name in self._shares:
                continue
            try:
                view = snapshot.consumers.member(name)
                if view is not None and (view.restarting or view.state not in (
                        MemberState.CRASHED, MemberState.STOPPED, MemberState.KICKED)):
                    self.engine.call(RemoveMember(name), timeout=20.0)  # a crash loop ends too
            except Exception as exc:  # keep stopping the others
                LOG.warning("stopping member %s failed: %s", name, exc)
        for name in self._producers:
            try:
                self.stop_producer(name)
            except Exception as exc:
                LOG.warning("stopping producer %s failed: %s", name, exc)
        self._revokes.close()


# ---- measured figures (pure; unit-tested) -----------------------------------------------------------


def producer_figures(r: RunnerView) -> dict[str, float]:
    """A producer's measured numbers as ``compare`` names them (latencies in ms); a figure this run
    did not measure (no acknowledgement, no statistics yet) is left out."""
    out: dict[str, float] = {"throughput": r.avg_rate}
    lat = r.latency
    for q, value in (("p50", lat.p50), ("p90", lat.p90), ("p99", lat.p99), ("p999", lat.p999),
                     ("max", lat.max)):
        if value is not None:
            out[f"latency.{q}"] = value * 1000.0
    st = r.stats
    if st is not None:
        for key, value in (("records-per-batch", st.records_per_batch), ("batch-fill", st.batch_fill),
                           ("compression-ratio", st.compression_ratio)):
            if value is not None:
                out[key] = float(value)
        if st.batches:
            out["wire-bytes"] = float(st.batch_bytes or 0.0) * st.batches
        out["record-bytes"] = float(st.txmsg_bytes)
    return out


def group_figures(snapshot: Snapshot, groups: tuple[str, ...]) -> dict[str, dict[str, float]]:
    """Per group: produce -> first delivery latency (ms, from the members' own histograms) and the
    total lag as the watcher last read it."""
    out: dict[str, dict[str, float]] = {g: {} for g in groups}
    for view in snapshot.consumers.group_e2e:
        if view.group in out:
            e2e = view.e2e
            for q, value in (("p50", e2e.p50), ("p90", e2e.p90), ("p99", e2e.p99), ("p999", e2e.p999),
                             ("max", e2e.max)):
                if value is not None:
                    out[view.group][f"e2e.{q}"] = value * 1000.0
    # lag: the members' own (high watermark of their last fetch - position), which needs no watcher;
    # the watcher's figure when it reads the group
    for m in snapshot.consumers.members:
        if m.group in out and m.state == MemberState.RUNNING:
            table = out[m.group]
            owned = set(m.assignment)
            table["lag"] = table.get("lag", 0.0) + sum(
                p.lag or 0 for p in m.partitions if (p.topic, p.partition) in owned)
    for gv in snapshot.cluster.groups if snapshot.cluster is not None else ():
        if gv.group_id in out and gv.total_lag is not None:
            out[gv.group_id]["lag"] = float(gv.total_lag)
    return out


def log_bytes(lab: LabCluster, topics: tuple[str, ...], nodes: list[int]) -> dict[str, int]:
    """Bytes of the ``.log`` segment files of each topic's partitions, summed over the lab's nodes
    (every replica counts: divide by the replication factor for one copy)."""
    out: dict[str, int] = dict.fromkeys(topics, 0)
    for node in nodes:
        data = lab.node_dir(node) / "data"
        for topic in topics:
            for part in data.glob(f"{topic}-*"):
                if part.name.rpartition("-")[0] != topic:
                    continue
                out[topic] += sum(f.stat().st_size for f in part.glob("*.log") if f.is_file())
    return out


def _error_handling(spec: StartMembers) -> dict[str, Any]:
    """MemberSpec fields of a start-members step's error handling (only the ones it sets)."""
    out: dict[str, Any] = {"commit_on_revoke": spec.commit_on_revoke, "fail_ids": spec.fail_ids}
    for key, value in (("error_policy", spec.on_error), ("retries", spec.retries),
                       ("retry_backoff_ms", spec.retry_backoff_ms), ("retry_then", spec.retry_then),
                       ("value_format", spec.value_format), ("fail_rate", spec.fail_rate),
                       ("fail_transient", spec.fail_transient)):
        if value is not None:
            out[key] = value
    return out
