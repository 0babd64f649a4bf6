"""The Engine facade: commands in, snapshots and events out.

``with Engine(connection) as engine:`` starts a command thread (and the watcher); ``submit()`` never
blocks the caller; ``snapshot()`` returns a frozen :class:`Snapshot`; ``subscribe()`` gives a bounded
event queue. Every Kafka client lives on a thread owned by a part of the engine, never on the
caller's thread.

Three kinds of work have threads of their own so they never hold up the command thread: node actions
(a restart waits until the node is ready), verdicts (a full re-read takes seconds) and metadata
questions (one AdminClient). :meth:`judge` is the one place a verdict is made: it gathers the
history (with every node fault this engine injected or saw, and every leader move), runs the checker
and publishes the result.
"""

from __future__ import annotations

import itertools
import queue
import threading
import time
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from tui.engine.admin_ops import run as run_admin
from tui.engine.browse.browsers import BrowseHandle, Browsers
from tui.engine.commands import Command, Explain, Judge, LabAction, RunScope
from tui.engine.consumer.members import GroupMembers
from tui.engine.context import Connection, EngineContext
from tui.engine.events import EventBus, Subscription
from tui.engine.evidence import EVERYTHING, RunRecord, Sources, gather_history
from tui.engine.history import Fault, History, LeaderChange
from tui.engine.lanes import LaneKeeper, LaneView, WatchLane, final_lane
from tui.engine.metadata import MetadataWorker
from tui.engine.namespace import Namespace
from tui.engine.producer.commands import StartProducer
from tui.engine.producer.producers import Producers
from tui.engine.producer.views import DeliveryReportView
from tui.engine.share import group_config as share_config
from tui.engine.share.members import ShareMembers, refusal_for
from tui.engine.share.tool import tool_for as share_tool_for
from tui.engine.snapshot import ConnectionView, LabNodeView, PartitionMeta, Snapshot
from tui.engine.topics import CreateTopic
from tui.engine.watcher.views import WatchFilter
from tui.engine.watcher.watcher import Watcher
from tui.kafka import gc_keeper
from tui.vocab import FAULT_ACTIONS, NodeAction, parse

if TYPE_CHECKING:
    from tui.engine.checker.verdict import Verdict
    from tui.lab import LabCluster

_STOP = object()
OUTSIDE_FAULT_GRACE_S = 30.0
"""A broker that goes down within this long after this engine broke it is our fault, not an outside one."""
_EVIDENCE_KINDS = ("partition.leader-changed", "partition.offline", "partition.online", "broker.down",
                   "group.offsets-reset")


class Engine:
    """Owns the producers, the group members, the watcher and (on the lab) the lab cluster handle.

    ``producers``, ``members`` and ``watcher`` are the engine's parts; callers outside the engine use
    the methods and commands below (tests may look inside).
    """

    def __init__(self, connection: Connection, *, run_id: str | None = None, watch: bool = True,
                 watch_interval: float = 1.0, watch_filter: WatchFilter | None = None,
                 lag_threshold: int = 1000, namespace: str | None = None) -> None:
        """``watch_filter`` narrows the watcher from the start (else WatchGroups / WatchTopics /
        ShowInternal commands do it later). ValueError (one sentence) for a bad interval or name.
        ``namespace``: every topic and group this engine writes, commits in or deletes must start with
        ``<namespace>.`` (commands outside it are refused; see :mod:`tui.engine.namespace`); shown in
        the snapshot's connection view."""
        self.namespace = namespace
        self._space = Namespace(namespace) if namespace else None
        self._ctx = EngineContext(connection, EventBus(), run_id)
        self._bus = self._ctx.bus
        self.producers = Producers(self._ctx)
        self.members = GroupMembers(self._ctx)
        self.shares = ShareMembers(self._ctx, lambda: self.lab_kafka_version)
        wf = watch_filter or WatchFilter()
        self.watcher = Watcher(self._ctx, interval=watch_interval, groups=wf.groups, topics=wf.topics,
                               show_internal=wf.show_internal, lag_threshold=lag_threshold)
        self.browsers = Browsers(self._ctx)
        self._watch = watch
        self._record = RunRecord()
        self._sources = Sources(self._ctx, self.producers, self.members, self._record, self.shares)
        self._meta = MetadataWorker(connection.client_conf())
        self._queue: queue.Queue[Any] = queue.Queue()
        self._ids = itertools.count(1)
        self._thread: threading.Thread | None = None
        self._lab_pool = ThreadPoolExecutor(1, thread_name_prefix="engine-lab")
        self._judge_pool = ThreadPoolExecutor(1, thread_name_prefix="engine-judge")
        self._judging = threading.Lock()
        self._evidence = self._bus.subscribe(maxlen=50_000, kinds=_EVIDENCE_KINDS)
        self._lab_nodes: tuple[LabNodeView, ...] = ()
        self._verdict: Verdict | None = None
        self._history: History | None = None
        self.lanes = LaneKeeper(self._ctx, self.members.history, self.members.view,
                                lambda: self.watcher.view() if self._watch else None,
                                lambda: (self._history, self._verdict))
        self._lab: LabCluster | None = None
        if connection.lab_dir is not None:
            from tui.lab import LabCluster

            self._lab = LabCluster(connection.lab_dir)
        self.shares.probe.use(share_tool_for(connection.bootstrap, connection.properties,
                                             self.lab_kafka_version))

    # ---- lifecycle ---------------------------------------------------------------------------

    def __enter__(self) -> Engine:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self) -> None:
        if self._thread is not None:
            return
        gc_keeper.install()  # cyclic garbage (clients included) is never freed on a librdkafka thread
        self._thread = threading.Thread(target=self._run, name="engine-commands", daemon=True)
        self._thread.start()
        if self._watch:
            self.watcher.start()

    def close(self, timeout: float = 10.0) -> None:
        """Stop all runners within about ``timeout`` seconds. Safe to call twice."""
        deadline = time.monotonic() + timeout
        self.lanes.close(1.0)
        for part in (self.members, self.shares, self.producers, self.watcher, self.browsers):
            try:
                part.close(max(0.5, deadline - time.monotonic()))
            except Exception as exc:  # closing must go on whatever one part did
                self._ctx.log.warning("closing %s failed: %s", type(part).__name__, exc)
        self._lab_pool.shutdown(wait=False, cancel_futures=True)
        self._judge_pool.shutdown(wait=False, cancel_futures=True)
        self._meta.close(max(0.5, deadline - time.monotonic()))
        self._evidence.close()
        if self._thread is not None:
            self._queue.put(_STOP)
            self._thread.join(max(0.5, deadline - time.monotonic()))
            self._thread = None

    # ---- commands ----------------------------------------------------------------------------

    def submit(self, cmd: Command) -> Future[Any]:
        """Queue a command; the returned future resolves with its result or its error."""
        if self._space is not None:
            try:
                self._space.check(cmd)
            except ValueError as exc:
                refused: Future[Any] = Future()
                refused.set_exception(exc)
                return refused
        if isinstance(cmd, LabAction):
            return self._on_pool(self._lab_pool, cmd, lambda: self._node_action(cmd))
        if isinstance(cmd, Judge):
            return self._on_pool(self._judge_pool, cmd, lambda: self.judge(
                cmd.topics, scope=cmd.scope, timeout=cmd.timeout,
                ledger_from_audit=cmd.ledger_from_audit))
        if cmd.target == "admin":  # on the metadata thread: a reset or a delete never holds up commands
            return self._meta.submit(lambda admin: run_admin(admin, cmd, self._bus.publish,
                                                             self._meta.committed))
        if cmd.target == "share-admin":  # share-group configs, on the metadata thread too
            too_old = refusal_for(self.lab_kafka_version)
            if too_old is not None:  # the version's sentence, before any broker refuses a setting
                old_lab: Future[Any] = Future()
                old_lab.set_exception(ValueError(too_old))
                return old_lab
            return self._meta.submit(lambda admin: share_config.run(
                admin, cmd, self._bus.publish, self.shares.remember_config))  # type: ignore[arg-type]
        future: Future[Any] = Future()
        self._queue.put((cmd, future))
        return future

    def call(self, cmd: Command, timeout: float = 30.0) -> Any:
        """Submit and wait (for headless runners and tests, never the UI thread)."""
        return self.submit(cmd).result(timeout)

    def _on_pool(self, pool: ThreadPoolExecutor, cmd: Command, work: Any) -> Future[Any]:
        def run() -> Any:
            try:
                return work()
            except Exception as exc:  # reported to the caller and as an event; never fatal
                self._bus.publish("command.failed", "engine", str(exc), "error",
                                  command=type(cmd).__name__)
                raise

        try:
            return pool.submit(run)
        except RuntimeError:  # the engine is closing
            future: Future[Any] = Future()
            future.set_exception(ValueError("The engine is shutting down."))
            return future

    def _route(self, cmd: Command) -> Any:
        if isinstance(cmd, Explain):
            return self.explain(cmd.msg_id)
        if isinstance(cmd, WatchLane):
            return self.lanes.watch(cmd)
        if isinstance(cmd, CreateTopic):
            return self._create_topic(cmd)
        if isinstance(cmd, StartProducer) and cmd.require_topic:
            self._meta.partition_counts([cmd.workload.topic])  # its sentence when the topic is missing
        if cmd.target == "producers":
            return self.producers.handle(cmd)
        if cmd.target == "consumers":
            return self.members.handle(cmd)
        if cmd.target == "shares":
            return self.shares.handle(cmd)
        if cmd.target == "watcher":
            return self.watcher.handle(cmd)
        if cmd.target == "browse":
            return self.browsers.handle(cmd)
        raise ValueError(f"No part of the engine handles {type(cmd).__name__}.")

    def _run(self) -> None:
        next_lab_poll = 0.0
        while True:
            try:
                item = self._queue.get(timeout=0.5)
            except queue.Empty:
                item = None
            if item is _STOP:
                return
            if item is not None:
                cmd, future = item
                if future.set_running_or_notify_cancel():
                    try:
                        future.set_result(self._route(cmd))
                    except Exception as exc:  # reported to the caller and as an event; never fatal
                        future.set_exception(exc)
                        self._bus.publish("command.failed", "engine", str(exc), "error",
                                          command=type(cmd).__name__)
            self._take_evidence()
            if self._lab is not None and time.monotonic() >= next_lab_poll:
                self._refresh_lab()
                next_lab_poll = time.monotonic() + 1.0

    def _create_topic(self, cmd: CreateTopic) -> bool:
        spec = cmd.spec.validate()
        created = self._meta.create_topic(spec, cmd.timeout, cmd.exists_ok)
        self._bus.publish("topic.created" if created else "topic.exists", "engine",
                          f"topic {spec.name} "
                          + (f"created ({spec.partitions} partitions, RF "
                             f"{spec.effective_replication_factor})" if created else "already exists"),
                          "notice" if created else "info", topic=spec.name)
        return created

    # ---- what happened to the cluster (evidence for the verdict) -----------------------------

    def _take_evidence(self) -> None:
        for event in self._evidence.drain():
            data = event.data
            if event.kind == "group.offsets-reset":
                for row in data.get("partitions", ()):
                    topic, partition, _old, new = row
                    self._record.add_reset(event.ts, str(data.get("group")), str(topic), int(partition),
                                           int(new), f"to {data.get('to')}")
                continue
            if event.kind == "broker.down":
                node = int(data.get("broker", -1))
                if node >= 0 and not self._record.recent_fault(node, OUTSIDE_FAULT_GRACE_S):
                    self._record.add_fault(Fault(event.ts, node, "down", self._hosted_now(node),
                                                 origin="outside"))
                continue
            topic, partition = data.get("topic"), data.get("partition")
            if not isinstance(topic, str) or not isinstance(partition, int):
                continue
            if event.kind == "partition.leader-changed":
                old, new = data.get("was"), data.get("leader")
            elif event.kind == "partition.offline":
                old, new = data.get("was_leader"), None
            else:
                old, new = None, data.get("leader")
            self._record.add_leader_change(LeaderChange(event.ts, topic, partition, _node(old),
                                                        _node(new)))

    def _hosted_now(self, node: int) -> frozenset[tuple[str, int]] | None:
        """Partitions with a replica on ``node`` per the latest watcher view (no round trip)."""
        view = self.watcher.view() if self._watch else None
        if view is None:
            return None
        return frozenset((p.topic, p.partition) for t in view.topics for p in t.partitions
                         if node in p.replicas)

    # ---- the lab -----------------------------------------------------------------------------

    @property
    def is_lab(self) -> bool:
        return self._lab is not None

    @property
    def lab_kafka_version(self) -> str | None:
        """The Kafka version the lab runs (from its state dir); None when not on the lab."""
        lab = getattr(self, "_lab", None)
        return str(lab.spec.kafka_version) if lab is not None else None

    @property
    def lab_profile(self) -> str | None:
        """The lab's profile (default, slow-replication); None when not on the lab."""
        return str(self._lab.spec.profile) if self._lab is not None else None

    def lab_nodes(self) -> tuple[LabNodeView, ...]:
        """Every lab node as the process table sees it right now (no Kafka round trip)."""
        self._refresh_lab()
        return self._lab_nodes

    def _node_action(self, cmd: LabAction) -> None:
        from tui.lab import LabError

        if self._lab is None:
            raise ValueError("Node actions need the local lab cluster; this engine is connected "
                             "to a cluster it did not start.")
        action = parse(NodeAction, cmd.action, "node action")
        if cmd.node not in self._lab.spec.node_ids():
            raise ValueError(f"The lab has no node {cmd.node}; its nodes are "
                             f"{', '.join(map(str, self._lab.spec.node_ids()))}.")
        method = getattr(self._lab, "start_node" if action is NodeAction.START else action.value)
        self._bus.publish(f"lab.{action}", f"broker:{cmd.node}",
                          f"{action} node {cmd.node} requested", "notice", node=cmd.node)
        hosted = self._meta.hosted_by(cmd.node) if action in FAULT_ACTIONS else None
        started = time.time()
        try:
            method(cmd.node)
        except LabError as exc:
            raise ValueError(str(exc)) from exc
        if action in FAULT_ACTIONS:
            # recorded with what the node hosted, so the verdict excuses only what this fault touched
            self._record.add_fault(Fault(started, cmd.node, action.value, hosted))
        self._refresh_lab()
        self._bus.publish(f"lab.{action}.done", f"broker:{cmd.node}",
                          f"node {cmd.node}: {action} done", "notice", node=cmd.node)

    def _refresh_lab(self) -> None:
        lab = self._lab
        if lab is None:
            return
        try:
            spec = lab.spec
            nodes = tuple(LabNodeView(n, lab.pid(n), lab.node_state(n), spec.ports[n].broker)
                          for n in spec.node_ids())
        except Exception:  # the state dir is being rewritten: keep the last view
            return
        if nodes != self._lab_nodes:
            self._lab_nodes = nodes
            self._ctx.bump()

    # ---- metadata (blocking; for headless runs and scenario steps, never the UI thread) --------

    def partition_meta(self, topic: str, partition: int, timeout: float = 6.0) -> PartitionMeta | None:
        """Leader, replicas and ISR asked fresh; None when the cluster does not answer now."""
        return self._meta.partition(topic, partition, timeout)

    def high_watermark(self, topic: str, partition: int, timeout: float = 6.0) -> int | None:
        return self._meta.high_watermark(topic, partition, timeout)

    def partition_counts(self, topics: Iterable[str], timeout: float = 10.0) -> dict[str, int]:
        """Partitions per topic; ValueError with one sentence for a missing topic."""
        return self._meta.partition_counts(topics, timeout)

    def browser(self, browser_id: int) -> BrowseHandle | None:
        """An open record browser (what its BrowseOpen resolved with); None once closed."""
        return self.browsers.get(browser_id)

    def wait_producer(self, name: str, timeout: float) -> bool:
        """Wait until producer ``name`` ended; True when every record got a delivery report."""
        return self.producers.wait_done(name, timeout)

    def delivery_reports(self, producer: str, since: int = 0, final: bool = False
                         ) -> tuple[tuple[DeliveryReportView, ...], int]:
        """Delivery reports of ``producer`` from send number ``since`` on, in send order (see
        :meth:`Producers.reports`); and where to continue."""
        return self.producers.reports(producer, since, final)

    def wait_members_gone(self, timeout: float) -> bool:
        """Wait until no member process runs; True if that happened in time."""
        deadline = time.monotonic() + timeout
        return (self.members.wait_idle(timeout)
                and self.shares.wait_idle(max(0.0, deadline - time.monotonic())))

    # ---- outputs -----------------------------------------------------------------------------

    def subscribe(self, maxlen: int = 10_000, kinds: tuple[str, ...] | None = None,
                  replay: bool = False) -> Subscription:
        return self._bus.subscribe(maxlen, kinds, replay)

    def publish(self, kind: str, source: str, text: str, severity: str = "info", **data: Any) -> None:
        """An event on the engine's bus from outside the engine (scenario progress, for example)."""
        self._bus.publish(kind, source, text, severity, **data)

    def judge(self, topics: Iterable[str] = (), *, scope: RunScope | None = None,
              timeout: float = 60.0, ledger_from_audit: bool = False) -> Verdict:
        """Heal-then-judge: re-read every audited partition and run the checker. Blocks (seconds);
        the UI submits :class:`Judge` instead. The result also lands in the next snapshot, and the
        history is kept for :meth:`explain`."""
        from tui.engine.checker import check

        with self._judging:
            self._take_evidence()  # what happened up to now, even if the command thread is busy
            self._bus.publish("verdict.started", "engine",
                              "Re-reading every partition to judge each record")
            try:
                history = gather_history(self._sources, tuple(topics), timeout, ledger_from_audit,
                                         scope or EVERYTHING)
                verdict = check(history)
            except Exception as exc:
                self._bus.publish("verdict.failed", "engine", f"Verdict failed: {exc}", "error")
                raise
            self._history = history
            self._verdict = verdict
            self._ctx.bump()
        self.lanes.wake()  # a watched lane turns final now, not at its next tick
        bad = sum(1 for a in verdict.anomalies if a.judgement == "violation")
        self._bus.publish("verdict.ready", "engine",
                          f"Verdict ready: {len(verdict.anomalies)} finding(s), {bad} violation(s)",
                          "notice" if bad == 0 else "warning")
        return verdict

    def explain(self, msg_id: str) -> tuple[str, ...]:
        """The recorded timeline of one record from the last verdict's history."""
        from tui.engine.checker import explain_record

        if self._history is None:
            return ()
        return tuple(explain_record(self._history, msg_id))

    def lane(self, topic: str, group: str | None = None, width: int = 100) -> LaneView | None:
        """The final record lane of ``topic`` from the last verdict (fit into ``width`` cells); None
        before a verdict re-read the topic. For reports: the UI asks with :class:`WatchLane`."""
        history = self._history
        if history is None:
            return None
        return final_lane(history, self._verdict, topic, group=group, consumers=self.members.view(),
                          width=width)

    def in_namespace(self, resource: str) -> str:
        """``resource`` as this engine names it: inside its namespace, if it has one."""
        return self._space.apply(resource) if self._space is not None else resource

    @property
    def watch_failure(self) -> str | None:
        """Why the watcher cannot run (e.g. the admin client was refused); None while it works."""
        if self.watcher.last_error is not None:
            return self.watcher.last_error
        return None if self.watcher.running or not self._watch else "the watcher stopped"

    @property
    def run_id(self) -> str:
        return self._ctx.run_id

    @property
    def connection(self) -> Connection:
        return self._ctx.connection

    def snapshot(self) -> Snapshot:
        conn = self._ctx.connection
        return Snapshot(
            seq=self._ctx.version,
            ts=time.time(),
            connection=ConnectionView(conn.label or conn.bootstrap, conn.bootstrap,
                                      self._lab is not None, self._ctx.run_id, self.namespace),
            producers=self.producers.view(),
            consumers=self.members.view(),
            cluster=self.watcher.view(),
            lab=self._lab_nodes,
            verdict=self._verdict,
            shares=self.shares.view(),
            lane=self.lanes.view(),
        )


def _node(value: object) -> int | None:
    return value if isinstance(value, int) and value >= 0 else None
