"""Watcher: one AdminClient on one thread, refreshing a ClusterView and emitting change events.

Every ``interval`` seconds the ``watcher`` thread runs one refresh (see ``fetch.py``): the group
calls and the per-leader ``list_offsets`` calls go out together, each with its own request timeout;
the refresh waits for them at most ~80 % of the interval. Whatever did not answer keeps its previous
data, marked stale, and is not asked again until its call ends, so a paused or dead broker neither
stalls the snapshots nor piles up requests.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import Any

from tui.engine.commands import Command
from tui.engine.context import EngineContext
from tui.engine.watcher.build import Plan, ViewBuilder, shown_topics
from tui.engine.watcher.commands import (
    RefreshNow,
    SetInterval,
    SetLagThreshold,
    ShowInternal,
    WatchGroups,
    WatchTopics,
    check_interval,
    check_names,
)
from tui.engine.watcher.diff import CommitCoalescer, diff
from tui.engine.watcher.fetch import TP, Fetcher
from tui.engine.watcher.views import ClusterView, WatchFilter

LOG = logging.getLogger("kafka_explorer.watcher")
METADATA_TIMEOUT = 3.0
"""Longest a metadata request may block the watcher thread (the refresh deadline usually cuts it)."""
LOG_START_EVERY = 5
"""Refreshes between reads of the log start offsets (only retention and deletions move them)."""
DESCRIBE_EMPTY_EVERY = 30.0
"""Seconds between describes of a group the group list keeps reporting as Empty."""
CONTROLLER_EVERY = 5.0
"""Seconds between reads of the lab's logs for the active controller (they can be megabytes)."""


class Watcher:
    """Refreshes a :class:`ClusterView` every ``interval`` seconds on its own thread."""

    def __init__(self, ctx: EngineContext, interval: float = 1.0, *, groups: tuple[str, ...] = (),
                 topics: tuple[str, ...] = (), show_internal: bool = False,
                 lag_threshold: int = 1000, publish: bool = True, commit_window: float = 5.0,
                 series_length: int = 60, admin_conf: dict[str, Any] | None = None) -> None:
        self.ctx = ctx
        self.interval = check_interval(interval)
        self.lag_threshold = lag_threshold
        self.publish = publish
        self._filter = WatchFilter(check_names(groups, "group"), check_names(topics, "topic"),
                                   show_internal)
        self._admin_conf = dict(admin_conf or {})
        self._view: ClusterView | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._builder = ViewBuilder(series_length)
        self._coalescer = CommitCoalescer(commit_window)
        self._seq = 0
        self._known_brokers: dict[int, tuple[str, int]] = {}
        self._controller: int | None = None
        self._controller_at = float("-inf")
        self._lab: Any = None
        self.refresh_times: list[float] = []
        """Monotonic start time of the last refreshes (bounded; for tests and benchmarks)."""
        self.fetcher: Fetcher | None = None
        self.last_error: str | None = None

    # ---- lifecycle -----------------------------------------------------------------------------

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="watcher", daemon=True)
        self._thread.start()

    def close(self, timeout: float = 5.0) -> None:
        """Stop the thread (it closes nothing else: AdminClient has no close; dropping it is enough)."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(max(0.1, timeout))
            self._thread = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    # ---- commands (engine command thread: only flip settings and wake the thread) --------------

    def handle(self, cmd: Command) -> Any:
        with self._lock:
            if isinstance(cmd, SetInterval):
                self.interval = check_interval(cmd.seconds)
            elif isinstance(cmd, WatchGroups):
                self._filter = WatchFilter(check_names(cmd.groups, "group"), self._filter.topics,
                                           self._filter.show_internal)
            elif isinstance(cmd, WatchTopics):
                self._filter = WatchFilter(self._filter.groups, check_names(cmd.topics, "topic"),
                                           self._filter.show_internal)
            elif isinstance(cmd, ShowInternal):
                self._filter = WatchFilter(self._filter.groups, self._filter.topics, bool(cmd.on))
            elif isinstance(cmd, SetLagThreshold):
                if cmd.records < 0:
                    raise ValueError("The lag threshold must be zero or more records.")
                self.lag_threshold = int(cmd.records)
            elif not isinstance(cmd, RefreshNow):
                raise ValueError(f"The watcher does not handle {type(cmd).__name__}.")
        self._wake.set()
        return None

    @property
    def filter(self) -> WatchFilter:
        return self._filter

    def view(self) -> ClusterView | None:
        return self._view

    # ---- the thread ----------------------------------------------------------------------------

    def _run(self) -> None:
        from tui.kafka import clients

        conf = self.ctx.connection.client_conf({
            # fail fast on dead brokers and keep reconnect attempts cheap
            "socket.timeout.ms": 5000, "reconnect.backoff.max.ms": 1000,
            "socket.connection.setup.timeout.ms": 5000, **self._admin_conf})
        try:
            admin = clients.admin(conf, error_cb=self._on_error, logger=LOG)
        except Exception as exc:  # a property librdkafka rejects: say it once, stay alive
            self.last_error = f"cannot create the admin client: {exc}"
            self.ctx.bus.publish("watcher.failed", "watcher", self.last_error, "error")
            return
        self.fetcher = Fetcher(admin)
        if self.ctx.connection.lab_dir is not None:
            self._lab = self._open_lab(self.ctx.connection.lab_dir)
        while not self._stop.is_set():
            started = time.monotonic()
            try:
                self._refresh(self.fetcher)
            except Exception as exc:  # never let one bad refresh end the watcher
                LOG.exception("refresh failed")
                self.ctx.bus.publish("watcher.error", "watcher", f"refresh failed: {exc}", "error")
            admin.poll(0)  # serve logs and error_cb
            self._wake.clear()
            self._wake.wait(max(0.0, started + self.interval - time.monotonic()))
        admin.poll(0)

    def _on_error(self, err: Any) -> None:
        LOG.info("admin client: %s", err)

    def _open_lab(self, lab_dir: Path) -> Any:
        try:
            from tui.lab import LabCluster

            lab = LabCluster(lab_dir)
            for node_id in lab.spec.node_ids():
                port = lab.spec.ports[node_id].broker
                self._known_brokers.setdefault(node_id, ("127.0.0.1", port))
            return lab
        except Exception as exc:
            LOG.info("lab dir %s not usable: %s", lab_dir, exc)
            return None

    def _learn_controller(self) -> None:
        if self._lab is None or time.monotonic() - self._controller_at < CONTROLLER_EVERY:
            return
        self._controller_at = time.monotonic()
        try:
            controller = self._lab.active_controller()
            ids = list(self._lab.spec.node_ids())
            if controller is None and len(ids) == 1 and self._lab.node_state(ids[0]) == "running":
                controller = ids[0]  # the only voter of a 1-node lab (its old log lines may be gone)
            self._controller = controller
        except Exception:
            self._controller = None

    def _refresh(self, f: Fetcher) -> None:
        with self._lock:
            interval, filt, threshold = self.interval, self._filter, self.lag_threshold
        tick = time.time()
        t0 = time.monotonic()
        cpu0 = time.thread_time()
        self.refresh_times.append(t0)
        del self.refresh_times[:-1000]
        deadline = t0 + max(0.2, interval * 0.8)
        f.request_timeout = min(30.0, max(5.0, 2 * interval))
        f.begin_tick(tick)
        f.collect()
        plan = Plan(tick)

        self._issue_groups(f, plan, filt)
        # blocking call: bounded so close() is never held for long by a dead cluster
        f.read_metadata(min(deadline - time.monotonic(), METADATA_TIMEOUT))
        self._issue_offsets(f, plan, filt)
        while time.monotonic() < deadline and not self._stop.is_set():
            mine = [c for c in f.pending.values() if c.issued_at >= tick]
            if not mine:
                break
            f.wait(min(deadline, time.monotonic() + 0.5))
            if f.collect():
                self._issue_groups(f, plan, filt)  # groups the list just revealed (offsets of
                # topics only their commits reveal follow in the next refresh)
        self._learn_controller()
        if f.metadata is not None:
            for node_id, addr in f.metadata.brokers.items():
                self._known_brokers[node_id] = addr
        self._seq += 1
        view = self._builder.build(f, plan, filt, seq=self._seq, interval=interval,
                                   known_brokers=dict(self._known_brokers),
                                   controller=self._controller, lag_threshold=threshold,
                                   requests=f.calls_issued, cpu_start=cpu0)
        previous = self._view
        self._view = view
        self.ctx.bump()
        if self.publish:
            for change in self._coalescer.feed(diff(previous, view), time.monotonic()):
                self.ctx.bus.publish(change.kind, change.source, change.text, change.severity,
                                     **change.data)

    def _groups_to_show(self, f: Fetcher, filt: WatchFilter) -> list[str]:
        if filt.groups:
            return list(filt.groups)
        if f.group_list is not None:
            return sorted(f.group_list)
        return sorted(f.descriptions)

    def _issue_groups(self, f: Fetcher, plan: Plan, filt: WatchFilter) -> None:
        f.issue_group_list()
        groups = self._groups_to_show(f, filt)
        listed = f.group_list
        if listed is not None and not filt.groups:
            for gone in [g for g in set(f.descriptions) | set(f.commits) if g not in listed]:
                f.forget_group(gone)
        plan.groups = groups
        by_coordinator: dict[int, list[str]] = {}
        for gid in groups:
            if f.issued(("describe-group", gid)):
                continue  # already asked in this refresh (under the coordinator known then)
            if f.still_empty(gid, DESCRIBE_EMPTY_EVERY):
                # an empty group has no members to show; describing it costs ~4 requests
                f.reuse_description(gid)
                continue
            desc = f.descriptions.get(gid)
            coord = desc.coordinator if desc is not None and desc.coordinator is not None else -1
            by_coordinator.setdefault(coord, []).append(gid)
        for coord, ids in sorted(by_coordinator.items()):
            key = ("describe", coord)
            f.issue_describe(coord, ids)
            if key not in plan.describe_keys and (f.issued(key) or key in f.pending):
                plan.describe_keys.append(key)
        for gid in groups:
            f.issue_commits(gid)
            commit_key = ("commits", gid)
            if commit_key not in plan.commit_keys:
                plan.commit_keys.append(commit_key)

    def _issue_offsets(self, f: Fetcher, plan: Plan, filt: WatchFilter) -> None:
        md = f.metadata
        if md is None:
            return
        wanted: set[TP] = set()
        for name in shown_topics(md.topics, filt):
            wanted.update((name, p) for p in md.topics[name])
        for gid in plan.groups:  # lag needs the end offsets of every topic a shown group reads
            for tp in f.commits.get(gid, {}):
                if tp[0] in md.topics:
                    wanted.add(tp)
        plan.wanted_tps = wanted
        by_leader: dict[int, list[TP]] = {}
        for tp in wanted:
            meta = md.topics[tp[0]].get(tp[1])
            if meta is not None and meta.leader >= 0:
                by_leader.setdefault(meta.leader, []).append(tp)
        for leader, tps in sorted(by_leader.items()):
            f.issue_offsets(leader, sorted(tps), log_start=self._seq % LOG_START_EVERY == 0)
            key = ("offsets", leader)
            if key not in plan.offsets_keys:
                plan.offsets_keys.append(key)
        for broker in md.brokers:  # brokers that lead nothing shown: ask them directly
            if broker not in by_leader:
                f.issue_probe(broker)
