"""The Engine facade: commands in, snapshots and events out.

``with Engine(connection) as engine:`` starts a command thread (and the watcher); ``submit()`` never
blocks the caller; ``snapshot()`` returns a frozen :class:`Snapshot`; ``subscribe()`` gives a bounded
event queue. Every Kafka client lives on a thread owned by a subsystem, never on the caller's thread.
"""

from __future__ import annotations

import itertools
import queue
import threading
import time
from concurrent.futures import Future
from dataclasses import replace
from typing import Any

from tui.engine.checker.verdict import Verdict
from tui.engine.commands import LAB_ACTIONS, Command, LabAction
from tui.engine.consumer.members import GroupMembers
from tui.engine.context import Connection, EngineContext
from tui.engine.events import EventBus, Subscription
from tui.engine.history import History
from tui.engine.producer.producers import Producers
from tui.engine.snapshot import ConnectionView, LabNodeView, Snapshot
from tui.engine.watcher.watcher import Watcher

_STOP = object()


class Engine:
    """Owns the producers, the group members, the watcher and (optionally) a lab cluster handle."""

    def __init__(self, connection: Connection, *, run_id: str | None = None, watch: bool = True,
                 watch_interval: float = 1.0) -> None:
        self.ctx = EngineContext(connection, EventBus(), run_id)
        self.bus = self.ctx.bus
        self.producers = Producers(self.ctx)
        self.consumers = GroupMembers(self.ctx)
        self.watcher = Watcher(self.ctx, interval=watch_interval)
        self._watch = watch
        self._queue: queue.Queue[Any] = queue.Queue()
        self._ids = itertools.count(1)
        self._thread: threading.Thread | None = None
        self._lab_nodes: tuple[LabNodeView, ...] = ()
        self._verdict: Verdict | None = None
        self._history: History | None = None
        self._faults: list[str] = []
        self._lab: Any = None
        if connection.lab_dir is not None:
            from tui.lab import LabCluster

            self._lab = LabCluster(connection.lab_dir)

    # ---- lifecycle ---------------------------------------------------------------------------

    def __enter__(self) -> Engine:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self) -> None:
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name="engine-commands", daemon=True)
        self._thread.start()
        if self._watch:
            self.watcher.start()

    def close(self, timeout: float = 10.0) -> None:
        """Stop all runners within about ``timeout`` seconds. Safe to call twice."""
        deadline = time.monotonic() + timeout
        for part in (self.consumers, self.producers, self.watcher):
            try:
                part.close(max(0.5, deadline - time.monotonic()))
            except Exception as exc:  # closing must go on whatever one part did
                self.ctx.log.warning("closing %s failed: %s", type(part).__name__, exc)
        if self._thread is not None:
            self._queue.put(_STOP)
            self._thread.join(max(0.5, deadline - time.monotonic()))
            self._thread = None

    # ---- commands ----------------------------------------------------------------------------

    def submit(self, cmd: Command) -> Future[Any]:
        """Queue a command; the returned future resolves with its result or its error."""
        future: Future[Any] = Future()
        self._queue.put((cmd, future))
        return future

    def call(self, cmd: Command, timeout: float = 30.0) -> Any:
        """Submit and wait (for headless runners and tests, never the UI thread)."""
        return self.submit(cmd).result(timeout)

    def _route(self, cmd: Command) -> Any:
        if cmd.target == "producers":
            return self.producers.handle(cmd)
        if cmd.target == "consumers":
            return self.consumers.handle(cmd)
        if cmd.target == "watcher":
            return self.watcher.handle(cmd)
        if cmd.target == "lab" and isinstance(cmd, LabAction):
            return self._lab_action(cmd)
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
                        self.bus.publish("command.failed", "engine", str(exc), "error",
                                         command=type(cmd).__name__)
            if self._lab is not None and time.monotonic() >= next_lab_poll:
                self._refresh_lab()
                next_lab_poll = time.monotonic() + 1.0

    # ---- the lab -----------------------------------------------------------------------------

    @property
    def is_lab(self) -> bool:
        return self._lab is not None

    def _lab_action(self, cmd: LabAction) -> None:
        from tui.lab import LabError

        if self._lab is None:
            raise ValueError("Node actions need the local lab cluster; this engine is connected "
                             "to a cluster it did not start.")
        if cmd.action not in LAB_ACTIONS:
            raise ValueError(f"Unknown node action {cmd.action!r}; use one of {', '.join(LAB_ACTIONS)}.")
        action = getattr(self._lab, cmd.action if cmd.action != "start" else "start_node")
        self.bus.publish(f"lab.{cmd.action}", f"broker:{cmd.node}",
                         f"{cmd.action} node {cmd.node} requested", "notice", node=cmd.node)
        try:
            action(cmd.node)
        except LabError as exc:
            raise ValueError(str(exc)) from exc
        if cmd.action in ("kill", "stop", "pause"):
            past = {"kill": "killed", "stop": "stopped", "pause": "paused"}[cmd.action]
            self._faults.append(f"{past} node {cmd.node} at {time.strftime('%H:%M:%S')}")
        self._refresh_lab()
        self.bus.publish(f"lab.{cmd.action}.done", f"broker:{cmd.node}",
                         f"node {cmd.node}: {cmd.action} done", "notice", node=cmd.node)

    def _refresh_lab(self) -> None:
        try:
            spec = self._lab.spec
            nodes = tuple(
                LabNodeView(n, self._lab.pid(n), self._lab.node_state(n), spec.ports[n].broker)
                for n in spec.node_ids())
        except Exception:
            nodes = ()
        if nodes != self._lab_nodes:
            self._lab_nodes = nodes
            self.ctx.bump()

    # ---- outputs -----------------------------------------------------------------------------

    def subscribe(self, maxlen: int = 10_000, kinds: tuple[str, ...] | None = None,
                  replay: bool = False) -> Subscription:
        return self.bus.subscribe(maxlen, kinds, replay)

    def set_verdict(self, verdict: Verdict) -> None:
        self._verdict = verdict
        self.ctx.bump()

    def verdict(self, topics: tuple[str, ...] = (), timeout: float = 60.0,
                ledger_from_audit: bool = False) -> Verdict:
        """Heal-then-judge: re-read every audited partition and run the checker. Blocks (seconds);
        call it from a worker thread or use :meth:`verdict_async`. The result also lands in the next
        snapshot, and the History is kept for :meth:`explain`."""
        from tui.engine.checker import check
        from tui.engine.verdict_run import gather_history

        self.bus.publish("verdict.started", "engine", "Re-reading every partition to judge each record")
        history = gather_history(self.ctx, self.producers, self.consumers, topics, timeout,
                                 ledger_from_audit)
        if self._faults:
            # node faults injected from this engine explain losses that acks=1 or unclean
            # election allow (the checker judges them 'expected', not 'violation')
            history = replace(history, faults=(*history.faults, *self._faults))
        verdict = check(history)
        self._history = history
        self.set_verdict(verdict)
        bad = sum(1 for a in verdict.anomalies if a.judgement == "violation")
        self.bus.publish("verdict.ready", "engine",
                         f"Verdict ready: {len(verdict.anomalies)} finding(s), {bad} violation(s)",
                         "notice" if bad == 0 else "warning")
        return verdict

    def verdict_async(self, topics: tuple[str, ...] = (), timeout: float = 60.0) -> Future[Verdict]:
        """Compute the verdict on a short-lived thread; the future carries the result or the error."""
        future: Future[Verdict] = Future()

        def work() -> None:
            try:
                future.set_result(self.verdict(topics, timeout))
            except Exception as exc:  # surfaced to the caller; the engine keeps running
                self.bus.publish("verdict.failed", "engine", f"Verdict failed: {exc}", "error")
                future.set_exception(exc)

        threading.Thread(target=work, name="verdict", daemon=True).start()
        return future

    def explain(self, msg_id: str) -> list[str]:
        """The recorded timeline of one record from the last verdict's History."""
        from tui.engine.checker import explain_record

        if self._history is None:
            return []
        return list(explain_record(self._history, msg_id))

    def snapshot(self) -> Snapshot:
        conn = self.ctx.connection
        return Snapshot(
            seq=self.ctx.version,
            ts=time.time(),
            connection=ConnectionView(conn.label or conn.bootstrap, conn.bootstrap,
                                      self._lab is not None, self.ctx.run_id),
            producers=self.producers.view(),
            consumers=self.consumers.view(),
            cluster=self.watcher.view(),
            lab=self._lab_nodes,
            verdict=self._verdict,
        )
