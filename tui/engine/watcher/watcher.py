"""Watcher: one AdminClient on one thread, refreshing a ClusterView and emitting change events.

Every ``interval`` seconds the ``watcher`` thread runs one refresh (see ``fetch.py``): the group
calls and the per-leader ``list_offsets`` calls go out together, each with its own timeout, then the
metadata is read (blocking, bounded); the refresh waits for them at most ~80 % of the interval. Whatever did
not answer keeps its previous data, marked stale once it is later than its answer budget, and is
not asked again until its call ends, so a paused or dead broker neither stalls the snapshots nor
piles up requests. ``schedule.py`` decides what a refresh reads on a big cluster.

The client is replaced (and the old one dropped) when librdkafka loses its group coordinators: when
a broker stops answering while coordinator calls to it are in flight, when a broker that was down
answers again, and when a coordinator call stays unanswered while others are answered. (After a
broker restart librdkafka 2.x can leave an AdminClient's coordinator requests unanswered for minutes;
a fresh client is fine.)
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import Any

from tui import foreground
from tui.engine.commands import Command
from tui.engine.context import EngineContext
from tui.engine.watcher.build import Plan, ViewBuilder, describe_key, shown_topics
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
from tui.engine.watcher.fetch import FENCED_AFTER, STUCK_AFTER, Fetcher
from tui.engine.watcher.lagtime import LagClock
from tui.engine.watcher.raw import TP
from tui.engine.watcher.schedule import Scheduler
from tui.engine.watcher.views import ClusterView, WatchFilter

LOG = logging.getLogger("kafka_explorer.watcher")
METADATA_TIMEOUT = 3.0
"""Longest a metadata request may block the watcher thread (the refresh deadline usually cuts it)."""
DESCRIBE_EMPTY_EVERY = 30.0
"""Seconds between describes of a group the group list keeps reporting as Empty."""
DESCRIBE_EMPTY_PER_REFRESH = 100
"""Most Empty groups described again in one refresh (a thousand of them would all fall due at once)."""
CONTROLLER_EVERY = 5.0
"""Seconds between reads of the lab's logs for the active controller (they can be megabytes)."""
LAG_CLOCK_BUDGET = 0.15
"""Longest a refresh waits for record timestamps (lag in time) after its admin calls."""
_IDLE_STATES = frozenset({"Empty", "Dead", "Unknown"})


class Watcher:
    """Refreshes a :class:`ClusterView` every ``interval`` seconds on its own thread."""

    def __init__(self, ctx: EngineContext, interval: float = 1.0, *, groups: tuple[str, ...] = (),
                 topics: tuple[str, ...] = (), show_internal: bool = False,
                 lag_threshold: int = 1000, publish: bool = True, commit_window: float = 5.0,
                 series_length: int = 60, admin_conf: dict[str, Any] | None = None,
                 lag_in_time: bool = True) -> None:
        self.ctx = ctx
        self.interval = check_interval(interval)
        self.lag_threshold = lag_threshold
        self.publish = publish
        self._filter = WatchFilter(check_names(groups, "group"), check_names(topics, "topic"),
                                   show_internal)
        self._admin_conf = dict(admin_conf or {})
        self._lag_in_time = lag_in_time
        self._view: ClusterView | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._builder = ViewBuilder(series_length)
        self._scheduler = Scheduler()
        self._coalescer = CommitCoalescer(commit_window)
        self._seq = 0
        self._known_brokers: dict[int, tuple[str, int]] = {}
        self._controller: int | None = None
        self._controller_at = float("-inf")
        self._lab: Any = None
        self._conf: dict[str, Any] = {}
        self._clock: LagClock | None = None
        self._wanted: tuple[tuple[object, ...], set[TP], frozenset[int]] | None = None
        self._md_version = 0
        self._md_seen: object = None
        self._replaced_for_down: set[int] = set()
        self._stuck_replaced_at = float("-inf")
        self._groups_seen: set[str] = set()
        self._listing_seen: object = None
        self.refresh_times: list[float] = []
        """Monotonic start time of the last refreshes (bounded; for tests and benchmarks)."""
        self.fetcher: Fetcher | None = None
        self.last_error: str | None = None
        self.clients_replaced: list[str] = []
        """Why the admin client was replaced, oldest first (bounded; for tests and the log)."""

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
        self._conf = self.ctx.connection.client_conf({
            # fail fast on dead brokers and keep reconnect attempts cheap
            "socket.timeout.ms": 5000, "reconnect.backoff.max.ms": 1000,
            "socket.connection.setup.timeout.ms": 5000, **self._admin_conf})
        try:
            admin = self._new_admin()
        except Exception as exc:  # a property librdkafka rejects: say it once, stay alive
            self.last_error = f"cannot create the admin client: {exc}"
            self.ctx.bus.publish("watcher.failed", "watcher", self.last_error, "error")
            return
        from tui.kafka import committed

        self.fetcher = f = Fetcher(admin, committed=committed.reader(self._conf))
        if self._lag_in_time:
            self._clock = LagClock(self.ctx.connection.client_conf(self._admin_conf), logger=LOG)
        if self.ctx.connection.lab_dir is not None:
            self._lab = self._open_lab(self.ctx.connection.lab_dir)
        try:
            while not self._stop.is_set():
                started = time.monotonic()
                try:
                    self._refresh(f)
                except Exception as exc:  # never let one bad refresh end the watcher
                    LOG.exception("refresh failed")
                    self.ctx.bus.publish("watcher.error", "watcher", f"refresh failed: {exc}",
                                         "error")
                f.admin.poll(0)  # serve logs and error_cb
                self._wake.clear()
                self._wake.wait(max(0.0, started + self.interval - time.monotonic()))
            f.admin.poll(0)
        finally:
            if self._clock is not None:
                self._clock.close()

    def _new_admin(self) -> Any:
        from tui.kafka import clients

        return clients.admin(self._conf, error_cb=self._on_error, logger=LOG)

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

    # ---- replacing a client that lost its coordinators --------------------------------------

    def _heal(self, f: Fetcher) -> None:
        now = time.time()
        reason = None
        brokers = set(self._known_brokers) | set(f.metadata.brokers if f.metadata else ())
        for broker in sorted(brokers):
            if not f.health.down(broker, now):
                self._replaced_for_down.discard(broker)
            elif broker not in self._replaced_for_down and (
                    f.coordinator_calls_to(broker) or f.coordinator_calls_to(-1)):
                self._replaced_for_down.add(broker)
                reason = f"broker {broker} stopped answering with group requests in flight"
        if f.health.recovered:
            names = ", ".join(str(b) for b in sorted(f.health.recovered))
            reason = f"broker {names} answers again"
            f.health.recovered.clear()
        stuck = f.stuck()
        if stuck is not None and time.monotonic() - self._stuck_replaced_at >= STUCK_AFTER:
            self._stuck_replaced_at = time.monotonic()
            reason = f"{describe_key(stuck)} got no answer for {STUCK_AFTER:.0f} s while the " \
                     "cluster answered other requests"
        fenced = f.fenced()
        if fenced is not None:
            reason = f"broker {fenced} refused our offsets requests for {FENCED_AFTER:.0f} s as " \
                     "from an older leader epoch (the client kept stale metadata)"
        if reason is None:
            return
        try:
            admin = self._new_admin()
        except Exception as exc:
            LOG.warning("cannot replace the admin client (%s): %s", reason, exc)
            return
        dropped = f.replace_admin(admin)
        if f.committed is not None:  # group offsets live in their own client: replaced alike
            f.committed.restart()
        LOG.info("admin client replaced: %s (%d calls in flight dropped)", reason, len(dropped))
        self.clients_replaced.append(reason)
        del self.clients_replaced[:-100]

    # ---- one refresh ---------------------------------------------------------------------------

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
        self._heal(f)
        plan = Plan(tick)

        # the calls go out first (from the last metadata), so they overlap the blocking metadata
        # read; coordinator calls to a broker that was silent at the last refresh are held back
        self._issue_groups(f, plan, filt, first=True)
        offsets_issued = self._issue_offsets(f, plan, filt, interval)
        if self._scheduler.metadata_due(f.metadata, tick, f.metadata_outcome.state != "ok"):
            # blocking call: bounded so close() is never held for long by a dead cluster
            f.read_metadata(min(deadline - time.monotonic(), METADATA_TIMEOUT))
            if not offsets_issued:  # the first refresh: now the leaders are known
                self._issue_offsets(f, plan, filt, interval)
        clock = self._clock
        if clock is not None:
            clock.begin(self._builder.lag_wanted(), tick)  # its fetches overlap the admin calls
        while time.monotonic() < deadline and not self._stop.is_set():
            mine = [c for c in f.pending.values() if c.issued_at >= tick]
            if not mine:
                break
            f.wait(min(deadline, time.monotonic() + 0.5))
            if f.collect():
                self._issue_groups(f, plan, filt, first=False)  # groups the list just revealed
                # (offsets of topics only their commits reveal follow in the next refresh)
        if clock is not None:
            clock.finish(min(LAG_CLOCK_BUDGET, max(0.02, deadline - time.monotonic())))
        self._learn_controller()
        if f.metadata is not None:
            for node_id, addr in f.metadata.brokers.items():
                self._known_brokers[node_id] = addr
        self._seq += 1
        foreground.step_aside()  # the screen answering a key goes before this refresh's views
        view = self._builder.build(f, plan, filt, seq=self._seq, interval=interval,
                                   known_brokers=dict(self._known_brokers),
                                   controller=self._controller, lag_threshold=threshold,
                                   requests=f.calls_issued, cpu_start=cpu0, lag_clock=clock)
        self._scheduler.busy(self._builder.moving, time.time())
        self._scheduler.commits_moved(f.commits_moved, time.time())
        f.commits_moved = set()
        previous = self._view
        self._view = view
        self.ctx.bump()
        if self.publish:
            foreground.step_aside()
            for change in self._coalescer.feed(diff(previous, view), time.monotonic()):
                self.ctx.bus.publish(change.kind, change.source, change.text, change.severity,
                                     **change.data)

    def _groups_to_show(self, f: Fetcher, filt: WatchFilter) -> list[str]:
        if filt.groups:
            return list(filt.groups)
        if f.group_list is not None:
            return sorted(f.group_list)
        return sorted(f.descriptions)

    def _holding(self, f: Fetcher, coordinator: int, now: float) -> int | None:
        """The silent broker to wait for before asking ``coordinator`` (-1: unknown), else None."""
        if coordinator >= 0:
            return coordinator if f.health.holding(coordinator, now) else None
        md = f.metadata
        brokers = list(md.brokers) if md is not None else []
        if brokers and all(f.health.holding(b, now) for b in brokers):
            return brokers[0]
        return None

    @staticmethod
    def _active(f: Fetcher, gid: str) -> bool:
        """A group with members (its commits can move at any time)."""
        desc = f.descriptions.get(gid)
        if desc is not None and desc.members:
            return True
        listed = (f.group_list or {}).get(gid)
        return listed is not None and listed.state not in _IDLE_STATES

    def _issue_groups(self, f: Fetcher, plan: Plan, filt: WatchFilter, first: bool) -> None:
        """Group calls of this refresh; later calls (after some answers) only add the groups the
        group list just revealed."""
        f.issue_group_list()
        groups = self._groups_to_show(f, filt)
        listed = f.group_list
        if listed is not None and listed is not self._listing_seen and not filt.groups:
            self._listing_seen = listed
            for gone in [g for g in set(f.descriptions) | set(f.commits) if g not in listed]:
                f.forget_group(gone)
        plan.groups = groups
        plan.commit_keys = [("commits", g) for g in groups]
        if first:
            todo = groups
            self._groups_seen = set(groups)
        else:
            todo = [g for g in groups if g not in self._groups_seen]
            if not todo:
                return
            self._groups_seen.update(todo)
        now = time.time()
        by_coordinator: dict[int, list[str]] = {}
        redescribed = 0
        for gid in todo:
            if f.issued(("describe-group", gid)):
                continue  # already asked in this refresh (under the coordinator known then)
            if f.still_empty(gid, DESCRIBE_EMPTY_EVERY):
                # an empty group has no members to show; describing it costs ~4 requests
                f.reuse_description(gid)
                continue
            if f.empty(gid):
                if redescribed >= DESCRIBE_EMPTY_PER_REFRESH:
                    f.reuse_description(gid)  # its turn comes in a later refresh
                    continue
                redescribed += 1
            by_coordinator.setdefault(f.coordinator_of(gid), []).append(gid)
        for coord, ids in sorted(by_coordinator.items()):
            key = ("describe", coord)
            silent = self._holding(f, coord, now)
            if silent is not None:
                f.hold(key, f"not asked while broker {silent} does not answer")
            else:
                f.issue_describe(coord, ids)
            if key not in plan.describe_keys and (f.issued(key) or key in f.pending):
                plan.describe_keys.append(key)
        # offsets of groups: busy ones every refresh, idle ones in rotation on a big cluster
        if first:
            picks = self._scheduler.commit_groups(groups, {g for g in groups if self._active(f, g)},
                                                  now)
        else:
            picks = todo
        for gid in picks:
            silent = self._holding(f, f.coordinator_of(gid), now)
            if silent is not None:
                f.hold(("commits", gid), f"not asked while broker {silent} does not answer")
                continue
            f.issue_commits(gid)

    def _wanted_partitions(self, f: Fetcher, plan: Plan,
                           filt: WatchFilter) -> tuple[tuple[object, ...], set[TP], frozenset[int]]:
        """Partitions to know the offsets of (shown topics, and what shown groups read), cached
        while the topic list, the filter, the groups and their committed partitions stay the same."""
        md = f.metadata
        assert md is not None
        if md is not self._md_seen:
            if md.changed is None or md.changed:
                self._md_version += 1
            self._md_seen = md
        key = (self._md_version, filt, tuple(plan.groups), f.commits_version)
        if self._wanted is not None and self._wanted[0] == key:
            return self._wanted
        wanted: set[TP] = set()
        for name in shown_topics(md.topics, filt):
            wanted.update((name, p) for p in md.topics[name])
        for gid in plan.groups:  # lag needs the end offsets of every topic a shown group reads
            for tp in f.commits.get(gid, {}):
                if tp[0] in md.topics:
                    wanted.add(tp)
        # only leaders of wanted partitions: a leader of hidden ones (internal topics) is never asked,
        # so an old failed answer of its would hold the section stale for as long as it leads them
        leaders = frozenset(leader for t, p in wanted if (leader := md.topics[t][p].leader) >= 0)
        self._wanted = (key, wanted, leaders)
        return self._wanted

    def _issue_offsets(self, f: Fetcher, plan: Plan, filt: WatchFilter, interval: float) -> bool:
        """Offsets calls per leader (and probes); False when there is no metadata to place them."""
        md = f.metadata
        if md is None:
            return False
        key, wanted, leaders = self._wanted_partitions(f, plan, filt)
        plan.wanted_tps = wanted
        owned = {tp for d in f.descriptions.values() for m in d.members for tp in m.assignment}
        reads = self._scheduler.offsets(wanted, key, md, f.offsets, owned, time.time(), interval)
        for leader in sorted(set(reads) | leaders):
            if ("offsets", leader) not in plan.offsets_keys and (
                    leader in reads or ("offsets", leader) in f.pending
                    or ("offsets", leader) in f.outcomes):
                plan.offsets_keys.append(("offsets", leader))
        kept = set(plan.offsets_keys)
        for gone in [k for k in f.outcomes if k[0] == "offsets" and k not in kept]:
            del f.outcomes[gone]  # it leads nothing shown now: its next answer starts afresh
        for leader, r in sorted(reads.items()):
            f.issue_offsets(leader, r.high, r.stable, r.start)
        for broker in md.brokers:  # brokers that lead nothing shown: ask them directly
            if broker not in reads:
                f.issue_probe(broker)
        return True
