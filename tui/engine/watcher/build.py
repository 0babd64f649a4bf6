"""Turning the fetcher's raw results into a frozen :class:`ClusterView` (and feeding the series).

Called once per refresh on the watcher thread. Incremental, so a refresh of 30,000 partitions costs
what changed: a topic's view is rebuilt only when its metadata, one of its partitions' offsets or
produce rates, or the state of one of its leaders changed; a group's only when its description,
commits, freshness, lag in time or the offsets of one of its partitions did. The others are the very
objects of the previous view (``diff()`` skips them by identity).

What is not known is not guessed: offsets whose leader does not answer keep their last values marked
stale with the time they were read; placements not confirmed by fresh metadata (or led by a broker
that does not answer) carry since when they are unconfirmed; a broker is ``unreachable`` once
:class:`~health.BrokerHealth` says it has been silent past its budget.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from tui import foreground
from tui.engine.watcher.fetch import Fetcher
from tui.engine.watcher.lagstatus import LagStatusTracker
from tui.engine.watcher.lagtime import LagClock
from tui.engine.watcher.raw import TP, Metadata, PartitionMeta, PartitionOffsets
from tui.engine.watcher.series import DEFAULT_LENGTH, SeriesFamily
from tui.engine.watcher.views import (
    SECTIONS,
    BrokerView,
    ClusterView,
    GroupMemberView,
    GroupPartitionView,
    GroupView,
    PartitionView,
    SectionStatus,
    SeriesView,
    TopicView,
    WatchFilter,
)

INTERNAL_TOPICS = frozenset({"__consumer_offsets", "__transaction_state", "__share_group_state",
                             "__cluster_metadata"})
GROUP_PARTITION_SERIES = 1000
"""Most (group, partition) lag series kept: they multiply (groups x partitions) and cost a copy each
refresh; per-group totals are always kept."""
PARTITION_SERIES = 2000
"""Most partitions with high-watermark series. Below it every partition has one; above it busy
partitions take the places of idle ones (an idle partition's series is a flat line)."""
PRUNE_EVERY = 10
"""Refreshes between sweeps of history whose partition or group disappeared."""
_SEVERITY = {"ok": 0, "stale": 1, "unsupported": 2, "forbidden": 3}
_INF = float("inf")


def is_internal(topic: str) -> bool:
    """Kafka's own topics (and, by convention, any ``__``-prefixed one)."""
    return topic in INTERNAL_TOPICS or topic.startswith("__")


def shown_topics(names: Iterable[str], filt: WatchFilter) -> list[str]:
    """Topic names the filter shows, sorted."""
    wanted = set(filt.topics)
    return sorted(n for n in names
                  if (not wanted or n in wanted) and (filt.show_internal or n in wanted
                                                      or not is_internal(n)))


@dataclass
class Plan:
    """What one refresh asked for: keys per section, for the section statuses."""

    tick_start: float
    offsets_keys: list[tuple[Any, ...]] = field(default_factory=list)
    describe_keys: list[tuple[Any, ...]] = field(default_factory=list)
    commit_keys: list[tuple[Any, ...]] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)
    wanted_tps: set[TP] = field(default_factory=set)


def describe_key(key: tuple[Any, ...]) -> str:
    kind = key[0]
    if kind == "offsets":
        return f"offsets of partitions led by broker {key[1]}"
    if kind == "describe":
        return "group descriptions" + (f" from coordinator {key[1]}" if key[1] >= 0 else "")
    if kind == "describe-group":
        return f"group {key[1]}"
    if kind == "commits":
        return f"offsets of group {key[1]}"
    if kind == "groups":
        return "the group list"
    if kind == "probe":
        return f"broker {key[1]}"
    return str(key)


def key_state(f: Fetcher, key: tuple[Any, ...]) -> tuple[str, str, str]:
    """(state, sentence with the silence's age, the same sentence without it) of one key.

    A call in flight within its answer budget is not stale: it is being answered (its part keeps
    the previous answer, at most a budget old)."""
    held = f.held.get(key)
    if held is not None:
        text = f"{describe_key(key)}: {held}"
        return "stale", text, text
    late = f.late(key)
    if late is not None:
        return "stale", f"{describe_key(key)}: no answer for {late:.1f} s", \
            f"{describe_key(key)}: no answer"
    out = f.outcomes.get(key)
    if out is None:
        if key in f.pending:
            return "ok", "", ""
        text = f"{describe_key(key)}: not read yet"
        return "stale", text, text
    if out.state != "ok":
        return out.state, out.message, out.message
    return "ok", "", ""


@dataclass(frozen=True, slots=True)
class _Leader:
    """What the view says about every partition one broker leads (-1: no leader)."""

    offsets_stale: bool
    placement_since: float | None


class ViewBuilder:
    """Builds views and keeps the history (series, rates, statuses) between them."""

    def __init__(self, series_length: int = DEFAULT_LENGTH) -> None:
        self.series_length = series_length
        self.hw_series: SeriesFamily[TP] = SeriesFamily(series_length)
        self.produce_series: SeriesFamily[TP] = SeriesFamily(series_length)
        self.lag_series: SeriesFamily[str] = SeriesFamily(series_length)
        self.consume_series: SeriesFamily[str] = SeriesFamily(series_length)
        self.group_tp_lag_series: SeriesFamily[tuple[str, str, int]] = SeriesFamily(
            series_length, max_keys=GROUP_PARTITION_SERIES)
        self.lag_status = LagStatusTracker()
        self._last_ok: dict[str, float] = {}
        # partitions: rates and series
        self._rates: dict[TP, float] = {}
        self._rate_at: dict[TP, float] = {}
        self._hw_seen: dict[TP, int] = {}
        self._moving: set[TP] = set()
        self._rate_next: set[TP] = set()
        """Read once: the next read gives their first rate (0 when nothing was produced)."""
        self._series_at: OrderedDict[TP, float] = OrderedDict()
        """Partitions with a series -> read time of their last point, least recently changed first."""
        # topics: the previous views and what they depended on
        self._topics: dict[str, TopicView] = {}
        self._topic_leaders: dict[str, frozenset[int]] = {}
        self._leaders: dict[int, _Leader] = {}
        self._md_seen: Metadata | None = None
        self._filter: WatchFilter | None = None
        self._leader_counts: dict[int, int] | None = None
        """Partitions each broker leads among the shown topics (None: count again)."""
        # groups
        self._groups: dict[str, tuple[tuple[Any, ...], GroupView]] = {}
        self._group_tps: dict[str, frozenset[TP]] = {}
        self._commits_seen: dict[str, tuple[float, dict[TP, int | None]]] = {}
        self._consume_rate: dict[str, float] = {}
        self._tp_series_groups: set[str] = set()
        """Groups whose per-partition lag series fit under the key cap (the first ones seen)."""
        self._lag_wanted: dict[str, dict[TP, int]] = {}
        self._lag_wanted_all: dict[TP, int] | None = None
        self.moving = self._moving
        """Partitions whose high watermark moved at their last read (the scheduler reads them often)."""
        self.rebuilt_topics = 0
        self.rebuilt_groups = 0
        """How many topic and group views the last build made anew (for tests and benchmarks)."""

    # ---- the view ------------------------------------------------------------------------------

    def build(self, fetcher: Fetcher, plan: Plan, filt: WatchFilter, *, seq: int, interval: float,
              known_brokers: dict[int, tuple[str, int]], controller: int | None,
              lag_threshold: int, requests: int, cpu_start: float | None = None,
              lag_clock: LagClock | None = None, now: float | None = None) -> ClusterView:
        """The view of this refresh (``now``: wall time to judge silences at; tests pass one)."""
        f = fetcher
        tick = plan.tick_start
        now = time.time() if now is None else now
        md = f.metadata
        md_out = f.metadata_outcome
        md_stale = md is None or md_out.state != "ok"
        md_since = md.at if md is not None and md_stale else None
        changed = f.changed_offsets
        f.changed_offsets = set()

        leaders = self._leader_states(f, md, md_since, now)
        moved_leaders = {b for b in set(leaders) | set(self._leaders)
                         if leaders.get(b) != self._leaders.get(b)}
        self._leaders = leaders
        rate_dirty = self._update_rates(f, changed)
        self._update_partition_series(f, changed, sweep=seq % PRUNE_EVERY == 0)

        topics = self._topics_view(f, md, filt, changed | rate_dirty, moved_leaders)
        brokers = self._brokers_view(f, md, md_stale, known_brokers, controller, now)
        groups = self._groups_view(f, plan, changed, bool(moved_leaders), lag_clock)

        md_state = ("ok", "") if not md_stale else (
            md_out.state if md_out.state != "ok" else "stale",
            md_out.message or "cluster metadata not read yet")
        statuses = {
            "brokers": md_state,
            "topics": md_state,
            "offsets": self._aggregate(f, plan.offsets_keys) if md is not None
            else ("stale", "waiting for the cluster metadata"),
            "groups": self._aggregate(f, [("groups",)]),
            "group-details": self._aggregate(f, plan.describe_keys),
            "group-offsets": self._aggregate(f, plan.commit_keys),
        }
        # the group list in flight for the first time is not stale, but nothing was listed yet:
        # no "last read" time, so groups it then lists are not reported as having appeared
        listed = ("groups",) in f.outcomes
        sections = tuple(self._status(n, *statuses[n], now, read=listed or n != "groups")
                         for n in SECTIONS)

        if seq % PRUNE_EVERY == 0:
            self._prune(f, md, plan, groups, lag_clock)

        series = SeriesView(self.series_length, self.hw_series.freeze(), self.produce_series.freeze(),
                            self.lag_series.freeze(), self.consume_series.freeze(),
                            self.group_tp_lag_series.freeze())
        return ClusterView(
            seq=seq, refreshed_at=tick, duration=time.time() - tick, interval=interval,
            cpu=time.thread_time() - cpu_start if cpu_start is not None else 0.0, requests=requests,
            cluster_id=md.cluster_id if md is not None else None, controller=controller,
            brokers=brokers, topics=topics, groups=groups, sections=sections,
            series=series, filter=filt, lag_threshold=lag_threshold)

    def lag_wanted(self) -> dict[TP, int]:
        """Partition -> lowest committed offset of a shown group that lags there (for the clock)."""
        if self._lag_wanted_all is None:
            out: dict[TP, int] = {}
            for wanted in self._lag_wanted.values():
                for tp, offset in wanted.items():
                    if offset < out.get(tp, offset + 1):
                        out[tp] = offset
            self._lag_wanted_all = out
        return self._lag_wanted_all

    # ---- sections ------------------------------------------------------------------------------

    def _aggregate(self, f: Fetcher, keys: list[tuple[Any, ...]]) -> tuple[str, str]:
        worst = ("ok", "")
        for key in keys:
            state, message, _plain = key_state(f, key)
            if _SEVERITY[state] > _SEVERITY[worst[0]]:
                worst = (state, message)
        return worst

    def _status(self, name: str, state: str, message: str, now: float,
                read: bool = True) -> SectionStatus:
        """``read``: the section's data has been answered at least once."""
        if state == "ok" and read:
            self._last_ok[name] = now
        return SectionStatus(name, state, message, self._last_ok.get(name))

    # ---- brokers -------------------------------------------------------------------------------

    def _leader_states(self, f: Fetcher, md: Metadata | None, md_since: float | None,
                       now: float) -> dict[int, _Leader]:
        out: dict[int, _Leader] = {-1: _Leader(True, md_since)}
        if md is None:
            return out
        for broker in md.brokers:
            down = f.health.down(broker, now)
            since = md_since
            if down:
                silent = now - f.health.silent_for(broker, now)
                last = f.health.last_answer.get(broker, silent)
                since = min(last, since) if since is not None else last
            stale = down or key_state(f, ("offsets", broker))[0] != "ok"
            out[broker] = _Leader(stale, since)
        return out

    def _brokers_view(self, f: Fetcher, md: Metadata | None, md_stale: bool,
                      known: dict[int, tuple[str, int]], controller: int | None,
                      now: float) -> tuple[BrokerView, ...]:
        present = md.brokers if md is not None else {}
        if self._leader_counts is None:
            counts: dict[int, int] = {}
            for view in self._topics.values():
                for p in view.partitions:
                    if p.leader is not None:
                        counts[p.leader] = counts.get(p.leader, 0) + 1
            self._leader_counts = counts
        counts = self._leader_counts
        out = []
        for node_id in sorted(set(known) | set(present)):
            host, port = present.get(node_id) or known.get(node_id) or ("", 0)
            if node_id not in present:
                # in KRaft the metadata lists only registered, unfenced brokers
                state = "fenced-or-missing"
            elif f.health.down(node_id, now):
                state = "unreachable"
            else:
                state = "up"
            out.append(BrokerView(node_id, host, port, state,
                                  (controller == node_id) if controller is not None else None,
                                  counts.get(node_id, 0),
                                  last_answer_at=f.health.last_answer.get(node_id)))
        return tuple(out)

    # ---- partitions: rates and series ----------------------------------------------------------

    def _update_rates(self, f: Fetcher, changed: set[TP]) -> set[TP]:
        """Produce rates of the partitions read since the last build; returns those whose rate
        changed. Only partitions that changed, produce, or were read once are looked at."""
        dirty: set[TP] = set()
        offsets, rates, rate_at, seen = f.offsets, self._rates, self._rate_at, self._hw_seen
        waiting = self._rate_next
        self._rate_next = set()
        for tp in changed | self._moving | waiting:
            e = offsets.get(tp)
            if e is None or e.high_watermark is None:
                continue
            if e.at <= rate_at.get(tp, -_INF):
                if tp in waiting:
                    self._rate_next.add(tp)  # not read again yet
                continue
            hw = e.high_watermark
            prev = seen.get(tp)
            rate: float | None
            if prev is None:
                rate = None
                self._rate_next.add(tp)
            elif hw == prev:
                rate = 0.0
            elif hw < prev:  # went backwards: topic recreated or truncated, restart the rate
                rate = None
            else:
                mf = e.moved_from
                rate = (hw - mf[1]) / (e.at - mf[0]) if mf is not None and e.at > mf[0] else None
            seen[tp] = hw
            rate_at[tp] = e.at
            if rate != rates.get(tp):
                if rate is None:
                    rates.pop(tp, None)
                else:
                    rates[tp] = rate
                dirty.add(tp)
            if rate:
                self._moving.add(tp)
            else:
                self._moving.discard(tp)
        return dirty

    def _update_partition_series(self, f: Fetcher, changed: set[TP], sweep: bool) -> None:
        """One point per fresh read, for every partition while there are few. Above
        :data:`PARTITION_SERIES` partitions the ones whose offsets changed last keep a series (a new
        or busy partition takes the place of the one idle the longest), and ``sweep`` also drops
        the series of partitions that were idle for a whole window."""
        hw_series, rate_series, series_at = self.hw_series, self.produce_series, self._series_at
        offsets = f.offsets
        crowded = len(offsets) > PARTITION_SERIES
        if not crowded:
            keys: Iterable[TP] = offsets
        else:
            keys = set(series_at) | self._moving | changed
        for tp in keys:
            e = offsets.get(tp)
            if e is None or e.high_watermark is None or e.at <= series_at.get(tp, -_INF):
                continue
            if crowded:
                if tp in changed and tp in series_at:
                    series_at.move_to_end(tp)  # the most recently changed last
                elif tp not in series_at:
                    if tp not in changed and tp not in self._moving:
                        continue
                    while len(series_at) >= PARTITION_SERIES:
                        self._drop_series(next(iter(series_at)))  # idle the longest
            series_at[tp] = e.at
            hw_series.add(tp, e.high_watermark)
            rate = self._rates.get(tp)
            if rate is not None:
                rate_series.add(tp, rate)
        if crowded and sweep:
            for tp in [k for k in series_at if k not in self._moving and hw_series.flat(k)]:
                self._drop_series(tp)

    def _drop_series(self, tp: TP) -> None:
        self._series_at.pop(tp, None)
        self.hw_series.discard(tp)
        self.produce_series.discard(tp)

    # ---- topics ------------------------------------------------------------------------------

    def _topics_view(self, f: Fetcher, md: Metadata | None, filt: WatchFilter, dirty_tps: set[TP],
                     moved_leaders: set[int]) -> tuple[TopicView, ...]:
        if md is None:
            return ()
        names = shown_topics(md.topics, filt)
        # per topic: None = every partition anew, else the partitions whose offsets changed
        dirty: dict[str, set[int] | None] | None = None
        if filt == self._filter and (md.changed is not None or md is self._md_seen):
            dirty = {}
            for t, pid in dirty_tps:
                pids = dirty.setdefault(t, set())
                if pids is not None:
                    pids.add(pid)
            if md is not self._md_seen and md.changed is not None:
                dirty.update((t, None) for t in md.changed)
            if moved_leaders:
                dirty.update((t, None) for t, ls in self._topic_leaders.items()
                             if not ls.isdisjoint(moved_leaders))
        self._filter = filt
        self._md_seen = md
        out = []
        cache = self._topics
        for name in names:
            foreground.step_aside()  # a key press being answered goes first
            view = cache.get(name)
            if view is None or dirty is None or name in dirty:
                view = self._topic(f, md, name, view if dirty is not None else None,
                                   dirty.get(name) if dirty is not None else None)
                cache[name] = view
                self.rebuilt_topics += 1
                if dirty is None or dirty.get(name) is None:
                    self._leader_counts = None  # its placement may have changed
            out.append(view)
        if len(cache) > len(names):
            shown = set(names)
            for gone in [n for n in cache if n not in shown]:
                del cache[gone]
                self._topic_leaders.pop(gone, None)
            self._leader_counts = None
        return tuple(out)

    def _topic(self, f: Fetcher, md: Metadata, name: str, old: TopicView | None,
               only: set[int] | None) -> TopicView:
        """The topic's view; with ``old`` and ``only``, partitions not in ``only`` are reused."""
        parts_meta = md.topics[name]
        offsets, failed, rates, leaders = f.offsets, f.offsets_failed, self._rates, self._leaders
        if old is not None and only is not None and len(old.partitions) == len(parts_meta):
            before = old.partitions
            parts = list(before)
            for i, q in enumerate(before):
                if q.partition in only:
                    parts[i] = self._partition(name, q.partition, parts_meta[q.partition], offsets,
                                               failed, rates, leaders)
            return TopicView(name, old.internal, tuple(parts), md.topic_errors.get(name))
        parts = []
        used: set[int] = set()
        for pid in sorted(parts_meta):
            meta = parts_meta[pid]
            used.add(meta.leader if meta.leader >= 0 else -1)
            parts.append(self._partition(name, pid, meta, offsets, failed, rates, leaders))
        self._topic_leaders[name] = frozenset(used)
        return TopicView(name, is_internal(name), tuple(parts), md.topic_errors.get(name))

    @staticmethod
    def _partition(name: str, pid: int, meta: PartitionMeta, offsets: dict[TP, PartitionOffsets],
                   failed: set[TP], rates: dict[TP, float],
                   leaders: dict[int, _Leader]) -> PartitionView:
        key = (name, pid)
        lid = meta.leader if meta.leader >= 0 else -1
        info = leaders.get(lid) or leaders[-1]
        offs: PartitionOffsets | None = offsets.get(key)
        if offs is None or offs.high_watermark is None:
            stale, since, hw, ls, lso = True, None, None, None, None
        else:
            stale = info.offsets_stale or key in failed
            since = offs.at if stale else None
            hw, ls, lso = offs.high_watermark, offs.log_start, offs.last_stable
        leader = meta.leader if meta.leader >= 0 else None
        return PartitionView(
            topic=name, partition=pid, leader=leader, replicas=meta.replicas, isr=meta.isr,
            offline=leader is None, log_start=ls, high_watermark=hw, last_stable=lso,
            produce_rate=None if stale else rates.get(key), offsets_stale=stale,
            error=meta.error, stale_since=since, placement_stale_since=info.placement_since)

    # ---- groups ----------------------------------------------------------------------------

    def _group_state(self, f: Fetcher, gid: str) -> tuple[str, str]:
        """(state, sentence) of the group's two reads, description then commits."""
        desc = f.descriptions.get(gid)
        coordinator = desc.coordinator if desc is not None and desc.coordinator is not None else -1
        for key in (("describe", coordinator), ("describe-group", gid), ("commits", gid)):
            if key[0] == "describe" and key not in f.pending and key not in f.held:
                continue  # only its silence speaks for the group; its result is per group below
            state, _text, plain = key_state(f, key)
            if state != "ok":
                return state, plain
        if desc is None:
            return "stale", "waiting for the group coordinator"
        return "ok", ""

    def _groups_view(self, f: Fetcher, plan: Plan, changed_tps: set[TP], leaders_moved: bool,
                     lag_clock: LagClock | None) -> tuple[GroupView, ...]:
        changed_groups = f.changed_groups
        f.changed_groups = set()
        arrived: set[TP] = set()
        if lag_clock is not None:
            arrived, lag_clock.arrived = lag_clock.arrived, set()
        touched = changed_tps | arrived
        out = []
        for gid in sorted(plan.groups):
            foreground.step_aside()
            desc = f.descriptions.get(gid)
            sig = (f.commits_at.get(gid), desc.at if desc is not None else None,
                   self._group_state(f, gid))
            cached = self._groups.get(gid)
            if cached is not None and cached[0] == sig and gid not in changed_groups \
                    and not leaders_moved and (not touched or touched.isdisjoint(
                        self._group_tps.get(gid, ()))):
                out.append(cached[1])
                continue
            # partitions can be reused when only the read time, or some partitions, changed
            reuse = cached[1] if cached is not None and cached[0][1:] == sig[1:] \
                and gid not in changed_groups and not leaders_moved else None
            view = self._group(f, gid, sig[2], lag_clock, reuse, touched)
            self._groups[gid] = (sig, view)
            self.rebuilt_groups += 1
            out.append(view)
        return tuple(out)

    def _group(self, f: Fetcher, gid: str, read_state: tuple[str, str], lag_clock: LagClock | None,
               old: GroupView | None = None, touched: set[TP] | None = None) -> GroupView:
        """The group's view; with ``old``, its partitions outside ``touched`` are reused (their
        status is still judged on a new read)."""
        desc = f.descriptions.get(gid)
        lst = (f.group_list or {}).get(gid)
        commits = f.commits.get(gid, {})
        commits_at = f.commits_at.get(gid)
        owner: dict[TP, str] = {}
        members: list[GroupMemberView] = []
        if desc is not None:
            for m in desc.members:
                members.append(GroupMemberView(m.member_id, m.client_id, m.host, m.instance_id,
                                               m.assignment, m.target))
                for tp in m.assignment:
                    owner[tp] = m.member_id
        stale = read_state[0] != "ok"
        commits_stale = key_state(f, ("commits", gid))[0] != "ok" or commits_at is None
        new_read = commits_at is not None and (self._commits_seen.get(gid, (None,))[0] != commits_at)
        tp_series = new_read and (len(self.group_tp_lag_series) < self.group_tp_lag_series.max_keys
                                  or gid in self._tp_series_groups)
        parts: list[GroupPartitionView] = []
        total: int | None = None
        wanted: dict[TP, int] = {}
        tps = sorted(set(commits) | set(owner))
        offsets, failed, leaders = f.offsets, f.offsets_failed, self._leaders
        md = f.metadata
        before = {(q.topic, q.partition): q for q in old.partitions} if old is not None else {}
        observe = self.lag_status.observe
        for tp in tps:
            q = before.get(tp)
            if q is not None and (touched is None or tp not in touched):
                if q.lag and q.committed is not None:
                    wanted[tp] = q.committed
                if q.lag is not None:
                    total = (total or 0) + q.lag
                    if tp_series:
                        self.group_tp_lag_series.add((gid, tp[0], tp[1]), q.lag)
                if commits_at is not None and new_read:
                    status, status_since = observe((gid, tp[0], tp[1]), q.committed, q.lag,
                                                   commits_at)
                    if status != q.status or status_since != q.status_since:
                        q = replace(q, status=status, status_since=status_since)
                parts.append(q)
                continue
            committed = commits.get(tp)
            offs = offsets.get(tp)
            hw = offs.high_watermark if offs is not None else None
            # lag as kafka-consumer-groups computes it (end offset - committed), never negative
            lag = max(0, hw - committed) if hw is not None and committed is not None else None
            if lag is not None:
                total = (total or 0) + lag
                if tp_series:
                    self.group_tp_lag_series.add((gid, tp[0], tp[1]), lag)
            since_values = []
            if commits_stale and commits_at is not None:
                since_values.append(commits_at)
            if offs is not None:
                meta = md.topics.get(tp[0], {}).get(tp[1]) if md is not None else None
                lid = meta.leader if meta is not None and meta.leader >= 0 else -1
                info = leaders.get(lid) or leaders.get(-1)
                if (info is not None and info.offsets_stale) or tp in failed:
                    since_values.append(offs.at)
            oldest = None
            if lag and committed is not None:
                wanted[tp] = committed
                if lag_clock is not None:
                    oldest = lag_clock.timestamp(tp, committed)
            if commits_at is not None:
                status, status_since = observe((gid, tp[0], tp[1]), committed, lag, commits_at)
            else:
                status, status_since = "unknown", None
            parts.append(GroupPartitionView(tp[0], tp[1], committed, hw, lag, owner.get(tp),
                                            stale_since=min(since_values) if since_values else None,
                                            oldest_unconsumed_at=oldest, status=status,
                                            status_since=status_since))
        self._group_tps[gid] = frozenset(tps)
        if self._lag_wanted.get(gid) != wanted:
            self._lag_wanted[gid] = wanted
            self._lag_wanted_all = None
        if tp_series:
            self._tp_series_groups.add(gid)
        if new_read and commits_at is not None:
            self._update_consume_rate(gid, commits_at, commits)
            if total is not None:
                self.lag_series.add(gid, total)
        kind = desc.type if desc is not None else (lst.type if lst is not None else "unknown")
        state = desc.state if desc is not None else (lst.state if lst is not None else "Unknown")
        read_times = [t for t in (commits_at, desc.at if desc is not None else None) if t is not None]
        return GroupView(
            group_id=gid, type=kind, state=state, assignor=desc.assignor if desc else "",
            simple=desc.simple if desc else (lst.simple if lst else False),
            coordinator=desc.coordinator if desc else None, members=tuple(members),
            partitions=tuple(parts), total_lag=total, consume_rate=self._consume_rate.get(gid),
            stale=stale, error=(read_state[1] or None) if stale else None,
            stale_since=min(read_times) if stale and read_times else None)

    def _update_consume_rate(self, gid: str, at: float, commits: dict[TP, int | None]) -> None:
        prev = self._commits_seen.get(gid)
        if prev is not None and prev[0] == at:
            return
        self._commits_seen[gid] = (at, dict(commits))
        if prev is None or at <= prev[0]:
            return
        moved = 0
        for tp, off in commits.items():
            before = prev[1].get(tp)
            if off is not None and before is not None and off > before:
                moved += off - before
        rate = moved / (at - prev[0])
        self._consume_rate[gid] = rate
        self.consume_series.add(gid, rate)

    # ---- housekeeping ------------------------------------------------------------------------

    def _prune(self, f: Fetcher, md: Metadata | None, plan: Plan, groups: tuple[GroupView, ...],
               lag_clock: LagClock | None) -> None:
        """Forget what no longer exists (a sweep over every key: not each refresh)."""
        if md is not None:
            keep = {(t, p) for t, parts in md.topics.items() for p in parts} | plan.wanted_tps
            _forget(self._rates, keep)
            _forget(self._rate_at, keep)
            _forget(self._hw_seen, keep)
            _forget(self._series_at, keep)
            self._moving &= keep
            self.hw_series.prune(keep)
            self.produce_series.prune(keep)
        group_ids = {g.group_id for g in groups}
        self.lag_series.prune(group_ids)
        self.consume_series.prune(group_ids)
        gp_keys = {(g.group_id, p.topic, p.partition) for g in groups for p in g.partitions}
        self.group_tp_lag_series.prune(gp_keys)
        self.lag_status.prune(gp_keys)
        self._tp_series_groups &= group_ids
        _forget(self._groups, group_ids)
        _forget(self._group_tps, group_ids)
        if any(g not in group_ids for g in self._lag_wanted):
            _forget(self._lag_wanted, group_ids)
            self._lag_wanted_all = None
        _forget(self._commits_seen, group_ids)
        _forget(self._consume_rate, group_ids)
        if lag_clock is not None:
            lag_clock.prune({(p.topic, p.partition) for g in groups for p in g.partitions})


def _forget(store: dict[Any, Any], keep: set[Any]) -> None:
    for key in [k for k in store if k not in keep]:
        del store[key]
