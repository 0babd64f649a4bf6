"""The scenario :class:`~tui.scenario.driver.Driver` on the real engine and lab cluster.

Producers and members go through engine commands (so the TUI sees them like any other); node faults
go straight to the :class:`~tui.lab.LabCluster` (a restart blocks until the node is ready, and must
not hold up the engine's command thread). Partition leaders and ISRs come from one AdminClient owned
by one thread (``scenario-admin``), asked fresh each time: role resolution must not act on a watcher
snapshot that is a second old.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from typing import Any

from tui.scenario.driver import PartitionState, RunMetrics, VerdictFacts
from tui.scenario.model import Produce, StartMembers, TopicDecl

LOG = logging.getLogger("kafka_explorer.scenario")
MAX_EXPLANATIONS = 200


class _AdminThread:
    """One AdminClient, created, used and dropped by one thread; callers get futures."""

    def __init__(self, conf: dict[str, Any]) -> None:
        self._conf = conf
        self._jobs: queue.Queue[tuple[Callable[[Any], Any], Future[Any]] | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="scenario-admin", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        from tui.kafka import clients

        admin = None
        while True:
            try:
                job = self._jobs.get(timeout=0.5)
            except queue.Empty:
                continue
            if job is None:
                break
            fn, future = job
            if not future.set_running_or_notify_cancel():
                continue
            try:
                if admin is None:
                    admin = clients.admin(self._conf, logger=LOG)
                future.set_result(fn(admin))
            except Exception as exc:  # reported to the caller
                future.set_exception(exc)
        del admin  # the client is released on this thread

    def call(self, fn: Callable[[Any], Any], timeout: float) -> Any:
        future: Future[Any] = Future()
        self._jobs.put((fn, future))
        return future.result(timeout)

    def close(self, timeout: float = 5.0) -> None:
        self._jobs.put(None)
        self._thread.join(timeout)


class EngineDriver:
    def __init__(self, engine: Any, lab: Any = None) -> None:
        self.engine = engine
        self.lab = lab if lab is not None else getattr(engine, "_lab", None)
        conf = engine.ctx.connection.client_conf({"socket.timeout.ms": 5000,
                                                   "reconnect.backoff.max.ms": 1000})
        self._admin = _AdminThread(conf)
        self._producers: list[str] = []
        self._members: list[str] = []
        self._revokes = engine.bus.subscribe(maxlen=10_000, kinds=("member.revoked",))
        self._revoked: dict[str, int] = {}

    # ---- lab ---------------------------------------------------------------------------------

    def _need_lab(self) -> Any:
        if self.lab is None:
            raise ValueError("This step breaks lab nodes; connect to the local lab cluster to run it.")
        return self.lab

    def node_ids(self) -> list[int]:
        return list(self.lab.spec.node_ids()) if self.lab is not None else []

    def cluster_profile(self) -> str | None:
        return str(self.lab.spec.profile) if self.lab is not None else None

    def node_state(self, node: int) -> str:
        return str(self._need_lab().node_state(node))

    def node_action(self, node: int, action: str) -> None:
        from tui.lab import LabError

        lab = self._need_lab()
        method = getattr(lab, "start_node" if action == "start" else action)
        self.publish(f"lab.{action}", f"scenario: {action} node {node}", "notice", node=node)
        try:
            method(node)
        except LabError as exc:
            raise ValueError(str(exc)) from exc

    # ---- topics and metadata -----------------------------------------------------------------

    def create_topic(self, decl: TopicDecl, name: str) -> None:
        from tui.engine.topics import CreateTopic, TopicSpec

        config = {"retention.ms": "-1", "retention.bytes": "-1", **decl.config}
        spec = TopicSpec(name=name, partitions=decl.partitions,
                         replication_factor=decl.replication_factor,
                         min_insync_replicas=decl.min_insync_replicas,
                         unclean_leader_election=decl.unclean_leader_election, config=config,
                         replica_assignment=decl.replica_assignment)
        self.engine.call(CreateTopic(spec, exists_ok=False, timeout=10.0), timeout=20.0)

    def partition_state(self, topic: str, partition: int) -> PartitionState | None:
        def ask(admin: Any) -> PartitionState | None:
            md = admin.list_topics(topic=topic, timeout=3.0)
            t = md.topics.get(topic)
            if t is None or t.error is not None or partition not in t.partitions:
                return None
            p = t.partitions[partition]
            return PartitionState(int(p.leader), tuple(p.replicas), tuple(p.isrs))

        try:
            result: PartitionState | None = self._admin.call(ask, timeout=6.0)
            return result
        except Exception:  # no answer now; callers retry until their deadline
            return None

    def high_watermark(self, topic: str, partition: int) -> int | None:
        def ask(admin: Any) -> int | None:
            from confluent_kafka import TopicPartition
            from confluent_kafka.admin._listoffsets import OffsetSpec

            spec: Any = OffsetSpec  # its factory methods are untyped
            tp = TopicPartition(topic, partition)
            # read_uncommitted (the default) LATEST is the high watermark
            result = admin.list_offsets({tp: spec.latest()}, request_timeout=3.0)
            info = result[tp].result(timeout=4.0)
            return int(info.offset)

        try:
            result: int | None = self._admin.call(ask, timeout=6.0)
            return result
        except Exception:  # no answer now; the wait retries until its deadline
            return None

    # ---- producers ---------------------------------------------------------------------------

    def start_producer(self, step: Produce, name: str, topic: str) -> str:
        from tui.engine.producer.commands import StartProducer
        from tui.engine.producer.profile import ProducerProfile
        from tui.engine.producer.workload import Workload, parse_key_mode

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
        profile = ProducerProfile(name=name, extra=extra, **fields)
        w = step.workload
        workload = Workload(topic=topic, count=w.count, rate=w.rate, key_mode=parse_key_mode(w.keys),
                            value_size=w.value_size, partition=w.partition)
        result = self.engine.call(StartProducer(profile, workload), timeout=30.0)
        real = str(result or name)
        self._producers.append(real)
        return real

    def producer_done(self, name: str, timeout: float) -> bool:
        return bool(self.engine.producers.wait_done(name, timeout))

    def stop_producer(self, name: str) -> None:
        from tui.engine.producer.commands import StopProducer

        view = self.engine.producers.view().get(name)
        if view is not None and not view.active:
            return
        self.engine.call(StopProducer(name), timeout=30.0)

    # ---- members -----------------------------------------------------------------------------

    def add_member(self, spec: StartMembers, member: str, group: str, topics: tuple[str, ...],
                   output_topic: str | None) -> str:
        from tui.engine.consumer.commands import AddMember, MemberSpec

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
        if spec.protocol == "consumer":
            kwargs["session_timeout_ms"] = None
        elif spec.session_timeout_ms is not None:
            kwargs["session_timeout_ms"] = spec.session_timeout_ms
        result = self.engine.call(AddMember(MemberSpec(**kwargs)), timeout=30.0)
        real = str(result or member)
        self._members.append(real)
        return real

    def member_action(self, name: str, action: str, after_records: int | None = None,
                      strategy: str | None = None) -> None:
        from tui.engine.consumer.commands import CrashMember, RemoveMember, RestartMember, SetStrategy

        cmd: Any
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

    def _members_of(self, group: str) -> list[Any]:
        return [m for m in self.engine.consumers.view().members if m.group == group]

    def member_state(self, name: str) -> str:
        view = self.engine.consumers.view().member(name)
        return "unknown" if view is None else str(view.state)

    def consumed(self, group: str) -> int:
        return sum(max(0, m.delivered - m.redelivered) for m in self._members_of(group))

    def processed(self, group: str) -> int:
        return sum(m.processed for m in self._members_of(group))

    def activity(self) -> int:
        mine = set(self._members)
        return sum(m.delivered + m.processed + m.commits_ok + m.commits_failed
                   for m in self.engine.consumers.view().members if m.name in mine)

    def assigned_members(self, group: str) -> int:
        return sum(1 for m in self._members_of(group) if m.assignment and m.state == "running")

    # ---- results -----------------------------------------------------------------------------

    def metrics(self, topics: tuple[str, ...], groups: tuple[str, ...]) -> RunMetrics:
        produced = acked = definite = indefinite = 0
        errors: dict[str, int] = {}
        per_topic: dict[str, dict[int, int]] = {}
        mine = set(self._producers)
        for r in self.engine.producers.view().runners:
            if r.name not in mine:
                continue
            produced += r.sent
            acked += r.acked  # includes acks=0 reports without an offset
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
                          processed={g: self.processed(g) for g in groups})

    def _revoked_by_group(self, groups: tuple[str, ...]) -> dict[str, int]:
        history = getattr(self.engine.consumers, "history", None)
        if callable(history):
            from tui.engine.history import ConsumerEvent, ConsumerEventKind

            events = history()
            if isinstance(events, tuple) and events and isinstance(events[0], tuple):
                events = events[0]
            out = dict.fromkeys(groups, 0)
            for ev in events or ():
                if (isinstance(ev, ConsumerEvent) and ev.kind == ConsumerEventKind.REVOKE
                        and ev.group in out):
                    out[ev.group] += len(ev.partitions)
            return out
        for event in self._revokes.drain():  # fallback: the bus events
            group = str(event.data.get("group", ""))
            parts = event.data.get("partitions", ())
            self._revoked[group] = self._revoked.get(group, 0) + (len(parts) if parts else 1)
        return {g: self._revoked.get(g, 0) for g in groups}

    def verdict(self, topics: tuple[str, ...], timeout: float, faults: tuple[str, ...] = (),
                unclean: bool = False, min_insync: Mapping[str, int] | None = None) -> VerdictFacts:
        from dataclasses import replace

        from tui.engine.checker import check
        from tui.engine.verdict_run import gather_history

        engine = self.engine
        history = gather_history(engine.ctx, engine.producers, engine.consumers, list(topics),
                                 timeout)
        # what only the scenario knows: the faults it injected and its topics' settings
        history = replace(history, faults=(*history.faults, *faults),
                          unclean_election=history.unclean_election or unclean,
                          min_insync={**history.min_insync, **(min_insync or {})})
        verdict = check(history)
        try:
            engine.set_verdict(verdict)
        except Exception:  # the TUI view is a bonus; the scenario result does not depend on it
            pass
        explanations = tuple((a.kind, a.judgement, a.explanation)
                             for a in verdict.anomalies[:MAX_EXPLANATIONS])
        summary = verdict.summary
        summary_map = (summary.to_json() if hasattr(summary, "to_json")
                       else dict(getattr(summary, "__dict__", {})))
        return VerdictFacts(counts=dict(verdict.counts), explanations=explanations,
                            summary=summary_map, raw=verdict.to_json())

    def publish(self, kind: str, text: str, severity: str = "info", **data: Any) -> None:
        self.engine.bus.publish(kind, "scenario", text, severity, **data)

    def close(self) -> None:
        from tui.engine.consumer.commands import RemoveMember

        for name in self._members:
            try:
                view = self.engine.consumers.view().member(name)
                if view is not None and view.state not in ("crashed", "stopped", "kicked"):
                    self.engine.call(RemoveMember(name), timeout=20.0)
            except Exception as exc:  # keep stopping the others
                LOG.warning("stopping member %s failed: %s", name, exc)
        for name in self._producers:
            try:
                self.stop_producer(name)
            except Exception as exc:
                LOG.warning("stopping producer %s failed: %s", name, exc)
        self._revokes.close()
        self._admin.close()
