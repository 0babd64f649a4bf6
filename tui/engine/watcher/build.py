"""Turning the fetcher's raw results into a frozen :class:`ClusterView` (and feeding the series).

Called once per refresh on the watcher thread. Stateful only in what history needs: ring buffers,
rate trackers and when each section was last fresh.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from tui.engine.watcher.fetch import TP, Fetcher, Outcome
from tui.engine.watcher.series import DEFAULT_LENGTH, RateTracker, SeriesFamily
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
UNREACHABLE_AFTER = 3.0
"""Seconds without any answer to a call before a registered broker counts as unreachable (a busy
broker answering a big request in 1-2 s is slow, not gone)."""
PRUNE_EVERY = 10
"""Refreshes between sweeps of series whose partition or group disappeared."""
_SEVERITY = {"ok": 0, "stale": 1, "unsupported": 2, "forbidden": 3}


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


class ViewBuilder:
    """Builds views and keeps the history (series, rates) between them."""

    def __init__(self, series_length: int = DEFAULT_LENGTH) -> None:
        self.hw_series: SeriesFamily[TP] = SeriesFamily(series_length)
        self.produce_series: SeriesFamily[TP] = SeriesFamily(series_length)
        self.lag_series: SeriesFamily[str] = SeriesFamily(series_length)
        self.consume_series: SeriesFamily[str] = SeriesFamily(series_length)
        self.group_tp_lag_series: SeriesFamily[tuple[str, str, int]] = SeriesFamily(
            series_length, max_keys=GROUP_PARTITION_SERIES)
        self.produce_rates: RateTracker[TP] = RateTracker()
        self.series_length = series_length
        self._hw_seen_at: dict[TP, float] = {}
        self._commits_seen: dict[str, tuple[float, dict[TP, int | None]]] = {}
        self._consume_rate: dict[str, float] = {}
        self._last_ok: dict[str, float] = {}
        self._tp_series_groups: set[str] = set()
        """Groups whose per-partition lag series fit under the key cap (the first ones seen)."""

    # ---- sections ------------------------------------------------------------------------------

    def _aggregate(self, fetcher: Fetcher, keys: list[tuple[Any, ...]], label: str,
                   tick_start: float) -> tuple[str, str]:
        worst = ("ok", "")
        for key in keys:
            if fetcher.fresh(key):
                continue
            age = fetcher.overdue(key)
            if age is not None:
                cand = ("stale", f"{_describe_key(key)}: no answer for {age:.1f} s")
            else:
                out = fetcher.outcomes.get(key) or Outcome("stale", f"{_describe_key(key)}: not read yet")
                cand = (out.state if out.state != "ok" else "stale",
                        out.message or f"{_describe_key(key)}: not refreshed")
            if _SEVERITY[cand[0]] > _SEVERITY[worst[0]]:
                worst = cand
        return worst

    def _status(self, name: str, state: str, message: str, now: float) -> SectionStatus:
        if state == "ok":
            self._last_ok[name] = now
        return SectionStatus(name, state, message, self._last_ok.get(name))

    # ---- the view ------------------------------------------------------------------------------

    def build(self, fetcher: Fetcher, plan: Plan, filt: WatchFilter, *, seq: int, interval: float,
              known_brokers: dict[int, tuple[str, int]], controller: int | None,
              lag_threshold: int, requests: int, cpu_start: float | None = None) -> ClusterView:
        tick = plan.tick_start
        md = fetcher.metadata
        md_fresh = md is not None and fetcher.metadata_outcome.state == "ok" \
            and fetcher.metadata_outcome.at >= tick

        # partitions and topics
        topics: list[TopicView] = []
        leader_count: dict[int, int] = {}
        seen_tps: set[TP] = set()
        if md is not None:
            for name in shown_topics(md.topics, filt):
                parts = []
                for pid in sorted(md.topics[name]):
                    meta = md.topics[name][pid]
                    key = (name, pid)
                    seen_tps.add(key)
                    offs = fetcher.offsets.get(key)
                    fresh = offs is not None and offs.at >= tick
                    if fresh and offs is not None and offs.high_watermark is not None \
                            and self._hw_seen_at.get(key) != offs.at:
                        self._hw_seen_at[key] = offs.at
                        self.hw_series.add(key, offs.high_watermark)
                        rate = self.produce_rates.update(key, offs.at, offs.high_watermark)
                        if rate is not None:
                            self.produce_series.add(key, rate)
                    leader = meta.leader if meta.leader >= 0 else None
                    if leader is not None:
                        leader_count[leader] = leader_count.get(leader, 0) + 1
                    parts.append(PartitionView(
                        topic=name, partition=pid, leader=leader, replicas=meta.replicas,
                        isr=meta.isr, offline=leader is None,
                        log_start=offs.log_start if offs else None,
                        high_watermark=offs.high_watermark if offs else None,
                        last_stable=offs.last_stable if offs else None,
                        produce_rate=self.produce_rates.rate(key), offsets_stale=not fresh,
                        error=meta.error))
                topics.append(TopicView(name, is_internal(name), tuple(parts),
                                        md.topic_errors.get(name)))

        # brokers: in the metadata = registered (KRaft lists only unfenced brokers)
        brokers: list[BrokerView] = []
        present = md.brokers if md is not None else {}
        for node_id in sorted(set(known_brokers) | set(present)):
            host, port = present.get(node_id) or known_brokers.get(node_id) or ("", 0)
            if node_id not in present:
                state = "fenced-or-missing"
            else:
                state = "up"
                for key in (("offsets", node_id), ("probe", node_id)):
                    age = fetcher.overdue(key)
                    out = fetcher.outcomes.get(key)
                    if (age is not None and age > max(UNREACHABLE_AFTER, interval)) or \
                            (age is None and out is not None and out.unreachable
                             and out.at >= tick - 2 * interval - 1):
                        state = "unreachable"
            brokers.append(BrokerView(node_id, host, port, state,
                                      (controller == node_id) if controller is not None else None,
                                      leader_count.get(node_id, 0)))

        groups = self._groups(fetcher, plan, tick)

        # sections
        now = time.time()
        md_out = fetcher.metadata_outcome
        md_state = ("ok", "") if md_fresh else (md_out.state if md_out.state != "ok" else "stale",
                                                md_out.message or "cluster metadata not refreshed")
        statuses = {
            "brokers": md_state,
            "topics": md_state,
            "offsets": self._aggregate(fetcher, plan.offsets_keys, "offsets", tick)
            if md is not None else ("stale", "waiting for the cluster metadata"),
            "groups": self._aggregate(fetcher, [("groups",)], "groups", tick),
            "group-details": self._aggregate(fetcher, plan.describe_keys, "group-details", tick),
            "group-offsets": self._aggregate(fetcher, plan.commit_keys, "group-offsets", tick),
        }
        sections = tuple(self._status(n, *statuses[n], now) for n in SECTIONS)

        # history housekeeping: forget what no longer exists (a sweep over every key: not each time)
        if seq % PRUNE_EVERY == 0:
            self._prune(seen_tps | plan.wanted_tps, groups)

        series = SeriesView(self.series_length, self.hw_series.freeze(), self.produce_series.freeze(),
                            self.lag_series.freeze(), self.consume_series.freeze(),
                            self.group_tp_lag_series.freeze())
        return ClusterView(
            seq=seq, refreshed_at=tick, duration=time.time() - tick, interval=interval,
            cpu=time.thread_time() - cpu_start if cpu_start is not None else 0.0, requests=requests,
            cluster_id=md.cluster_id if md is not None else None, controller=controller,
            brokers=tuple(brokers), topics=tuple(topics), groups=tuple(groups), sections=sections,
            series=series, filter=filt, lag_threshold=lag_threshold)

    def _prune(self, keep_tps: set[TP], groups: list[GroupView]) -> None:
        self.hw_series.prune(keep_tps)
        self.produce_series.prune(keep_tps)
        self.produce_rates.prune(keep_tps)
        for tp in [k for k in self._hw_seen_at if k not in keep_tps]:
            del self._hw_seen_at[tp]
        group_ids = {g.group_id for g in groups}
        self.lag_series.prune(group_ids)
        self.consume_series.prune(group_ids)
        self.group_tp_lag_series.prune((g.group_id, p.topic, p.partition) for g in groups
                                       for p in g.partitions)
        self._tp_series_groups &= group_ids
        for gid in [g for g in self._commits_seen if g not in group_ids]:
            del self._commits_seen[gid]
            self._consume_rate.pop(gid, None)

    # ---- groups ----------------------------------------------------------------------------

    def _groups(self, fetcher: Fetcher, plan: Plan, tick: float) -> list[GroupView]:
        out: list[GroupView] = []
        listing = fetcher.group_list or {}
        for gid in sorted(plan.groups):
            desc = fetcher.descriptions.get(gid)
            lst = listing.get(gid)
            commits = fetcher.commits.get(gid, {})
            owner: dict[TP, str] = {}
            members: list[GroupMemberView] = []
            if desc is not None:
                for m in desc.members:
                    members.append(GroupMemberView(m.member_id, m.client_id, m.host, m.instance_id,
                                              m.assignment, m.target))
                    for tp in m.assignment:
                        owner[tp] = m.member_id
            parts: list[GroupPartitionView] = []
            total: int | None = None
            commits_fresh = fetcher.fresh(("commits", gid))
            tp_series = commits_fresh and (len(self.group_tp_lag_series)
                                           < self.group_tp_lag_series.max_keys or gid in self._tp_series_groups)
            for tp in sorted(set(commits) | set(owner)):
                committed = commits.get(tp)
                offs = fetcher.offsets.get(tp)
                hw = offs.high_watermark if offs is not None else None
                # lag as kafka-consumer-groups computes it (end offset - committed), never negative
                lag = max(0, hw - committed) if hw is not None and committed is not None else None
                if lag is not None:
                    total = (total or 0) + lag
                    if tp_series:
                        self.group_tp_lag_series.add((gid, tp[0], tp[1]), lag)
                parts.append(GroupPartitionView(tp[0], tp[1], committed, hw, lag, owner.get(tp)))
            if tp_series:
                self._tp_series_groups.add(gid)
            if commits_fresh:
                self._update_consume_rate(gid, fetcher.commits_at.get(gid, tick), commits)
                if total is not None:
                    self.lag_series.add(gid, total)
            describe_fresh = fetcher.fresh(("describe-group", gid))
            stale = not (commits_fresh and describe_fresh)
            error = None
            if stale:
                for key in (("describe-group", gid), ("commits", gid)):
                    o = fetcher.outcomes.get(key)
                    if o is not None and o.state != "ok":
                        error = o.message
                        break
                else:
                    error = "waiting for the group coordinator"
            kind = desc.type if desc is not None else (lst.type if lst is not None else "unknown")
            state = desc.state if desc is not None else (lst.state if lst is not None else "Unknown")
            out.append(GroupView(
                group_id=gid, type=kind, state=state, assignor=desc.assignor if desc else "",
                simple=desc.simple if desc else (lst.simple if lst else False),
                coordinator=desc.coordinator if desc else None, members=tuple(members),
                partitions=tuple(parts), total_lag=total, consume_rate=self._consume_rate.get(gid),
                stale=stale, error=error))
        return out

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


def _describe_key(key: tuple[Any, ...]) -> str:
    kind = key[0]
    if kind == "offsets":
        return f"offsets of partitions led by broker {key[1]}"
    if kind == "describe":
        return "group descriptions" + (f" from coordinator {key[1]}" if key[1] >= 0 else "")
    if kind == "commits":
        return f"offsets of group {key[1]}"
    if kind == "groups":
        return "the group list"
    if kind == "probe":
        return f"broker {key[1]}"
    return str(key)
