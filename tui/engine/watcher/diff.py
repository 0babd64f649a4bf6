"""Change events from the difference of two cluster views (pure: no clock, no Kafka).

Kinds (stable names): ``broker.down`` / ``broker.up``, ``cluster.controller-changed``,
``topic.created`` / ``topic.deleted``, ``partition.leader-changed``, ``partition.isr-shrunk`` /
``partition.isr-expanded``, ``partition.offline`` / ``partition.online``, ``group.appeared`` /
``group.gone``, ``group.state-changed``, ``group.member-joined`` / ``group.member-left``,
``group.rebalanced``, ``group.committed``, ``group.lag-high`` / ``group.lag-recovered``,
``group.partition-stalled`` / ``group.partition-recovered`` (once per episode; many partitions of
one group flipping together make one event naming them all).

Views the builder reused unchanged are the same objects: they are skipped by identity, so a diff of
two 30,000-partition views costs what changed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from tui.engine.watcher.views import ClusterView, GroupView, PartitionView

MAX_EVENTS = 500
"""At most this many events per diff; the rest is summarised by one ``watcher.events-truncated``."""
STALL_EVENTS_PER_GROUP = 5
"""More partitions of one group stalling (or recovering) in one refresh make one event."""


@dataclass(frozen=True, slots=True)
class Change:
    """An event to publish: ``bus.publish(kind, source, text, severity, **data)``."""

    kind: str
    source: str
    text: str
    severity: str = "info"
    data: Mapping[str, Any] = field(default_factory=dict)


def _tp(topic: str, partition: int) -> str:
    return f"{topic}-{partition}"


def _ids(ids: tuple[int, ...] | list[int] | set[int]) -> str:
    return ", ".join(str(i) for i in sorted(ids))


def diff(prev: ClusterView | None, cur: ClusterView, lag_threshold: int | None = None) -> list[Change]:
    """Events that explain how ``prev`` became ``cur``. No events for the first view."""
    if prev is None:
        return []
    threshold = cur.lag_threshold if lag_threshold is None else lag_threshold
    out: list[Change] = []
    out += _brokers(prev, cur)
    out += _partitions(prev, cur)
    out += _groups(prev, cur, threshold)
    if len(out) > MAX_EVENTS:
        dropped = len(out) - MAX_EVENTS
        out = out[:MAX_EVENTS]
        out.append(Change("watcher.events-truncated", "watcher",
                          f"{dropped} more changes in this refresh were not listed one by one",
                          "warning", {"dropped": dropped}))
    return out


def _brokers(prev: ClusterView, cur: ClusterView) -> list[Change]:
    out: list[Change] = []
    before = {b.node_id: b for b in prev.brokers}
    for b in cur.brokers:
        old = before.get(b.node_id)
        if old is None or old.state == b.state:
            continue
        if old.state == "up":
            out.append(Change("broker.down", f"broker:{b.node_id}",
                              f"broker {b.node_id} is {b.state} (was up)", "warning",
                              {"broker": b.node_id, "state": b.state, "was": old.state}))
        elif b.state == "up":
            out.append(Change("broker.up", f"broker:{b.node_id}",
                              f"broker {b.node_id} is up again (was {old.state})", "notice",
                              {"broker": b.node_id, "state": b.state, "was": old.state}))
    if prev.controller is not None and cur.controller is not None and prev.controller != cur.controller:
        out.append(Change("cluster.controller-changed", "watcher",
                          f"the active controller moved from node {prev.controller} to node "
                          f"{cur.controller}", "notice",
                          {"controller": cur.controller, "was": prev.controller}))
    return out


def _partitions(prev: ClusterView, cur: ClusterView) -> list[Change]:
    out: list[Change] = []
    old_topics = {t.name: t for t in prev.topics}
    new_names = {t.name for t in cur.topics}
    for name in sorted(set(old_topics) - new_names):
        # a narrower filter also removes topics: only report real deletions
        if prev.filter == cur.filter and cur.section("topics").state == "ok":
            out.append(Change("topic.deleted", f"topic:{name}", f"topic {name} was deleted",
                              "notice", {"topic": name}))
    for topic in cur.topics:
        old = old_topics.get(topic.name)
        if old is topic:
            continue  # reused unchanged by the builder
        if old is None:
            if prev.filter == cur.filter and prev.section("topics").updated_at is not None:
                out.append(Change("topic.created", f"topic:{topic.name}",
                                  f"topic {topic.name} was created with {len(topic.partitions)} "
                                  f"partitions", "info",
                                  {"topic": topic.name, "partitions": len(topic.partitions)}))
            continue
        if len(old.partitions) == len(topic.partitions):
            # the builder reuses unchanged partition views: compare only the new ones
            for was, now in zip(old.partitions, topic.partitions, strict=True):
                if was is not now and was.partition == now.partition:
                    out += _partition(was, now)
            continue
        before = {p.partition: p for p in old.partitions}
        for p in topic.partitions:
            q = before.get(p.partition)
            if q is not None:
                out += _partition(q, p)
    return out


def _partition(q: PartitionView, p: PartitionView) -> list[Change]:
    out: list[Change] = []
    name = _tp(p.topic, p.partition)
    source = f"partition:{name}"
    base: dict[str, Any] = {"topic": p.topic, "partition": p.partition}
    if not q.offline and p.offline:
        out.append(Change("partition.offline", source,
                          f"{name} is offline: no leader (was led by broker {q.leader})", "error",
                          {**base, "was_leader": q.leader}))
    elif q.offline and not p.offline:
        out.append(Change("partition.online", source,
                          f"{name} is back online, led by broker {p.leader}", "notice",
                          {**base, "leader": p.leader}))
    elif q.leader != p.leader and q.leader is not None and p.leader is not None:
        out.append(Change("partition.leader-changed", source,
                          f"{name}: leader moved from broker {q.leader} to broker {p.leader}",
                          "notice", {**base, "leader": p.leader, "was": q.leader}))
    removed = set(q.isr) - set(p.isr)
    added = set(p.isr) - set(q.isr)
    if removed:
        out.append(Change("partition.isr-shrunk", source,
                          f"{name}: replica{'s' if len(removed) > 1 else ''} {_ids(removed)} left the "
                          f"ISR (now {_ids(p.isr) or 'empty'})", "warning",
                          {**base, "removed": sorted(removed), "isr": list(p.isr)}))
    if added:
        out.append(Change("partition.isr-expanded", source,
                          f"{name}: replica{'s' if len(added) > 1 else ''} {_ids(added)} rejoined the "
                          f"ISR (now {_ids(p.isr)})", "notice",
                          {**base, "added": sorted(added), "isr": list(p.isr)}))
    return out


def _emptied(g: GroupView) -> GroupView:
    """The group with the same identity and state but no members, commits or lag."""
    return replace(g, members=(), partitions=(), total_lag=None)


def _assignment(g: GroupView) -> dict[str, tuple[tuple[str, int], ...]]:
    return {m.member_id: m.assignment for m in g.members}


def _groups(prev: ClusterView, cur: ClusterView, threshold: int) -> list[Change]:
    out: list[Change] = []
    before = {g.group_id: g for g in prev.groups}
    now_ids = {g.group_id for g in cur.groups}
    same_filter = prev.filter == cur.filter
    for gid in sorted(set(before) - now_ids):
        if same_filter and cur.section("groups").state == "ok":
            gone = before[gid]
            out += _group(gone, _emptied(gone), threshold)  # its members left
            out.append(Change("group.gone", f"group:{gid}", f"group {gid} no longer exists",
                              "notice", {"group": gid}))
    for g in cur.groups:
        old = before.get(g.group_id)
        if old is g:
            continue  # reused unchanged by the builder
        if old is None:
            # prev keeps the last listed groups even while the list is stale: not there = new
            if same_filter and prev.section("groups").updated_at is not None:
                out.append(Change("group.appeared", f"group:{g.group_id}",
                                  f"group {g.group_id} appeared ({g.type}, {g.state})", "info",
                                  {"group": g.group_id, "type": g.type, "state": g.state}))
                out += _group(_emptied(g), g, threshold)  # members, assignment, commits it came with
            continue
        out += _group(old, g, threshold)
    return out


def _group(old: GroupView, g: GroupView, threshold: int) -> list[Change]:
    out: list[Change] = []
    gid = g.group_id
    source = f"group:{gid}"
    base: dict[str, Any] = {"group": gid}
    if old.state != g.state:
        out.append(Change("group.state-changed", source, f"group {gid}: {old.state} -> {g.state}",
                          "info", {**base, "state": g.state, "was": old.state}))
    old_members = {m.member_id: m for m in old.members}
    new_members = {m.member_id: m for m in g.members}
    for mid in sorted(set(new_members) - set(old_members)):
        m = new_members[mid]
        out.append(Change("group.member-joined", source,
                          f"group {gid}: member {m.client_id or mid} joined from {m.host or '?'}",
                          "info", {**base, "member_id": mid, "client_id": m.client_id,
                                   "host": m.host, "instance_id": m.instance_id}))
    for mid in sorted(set(old_members) - set(new_members)):
        m = old_members[mid]
        out.append(Change("group.member-left", source,
                          f"group {gid}: member {m.client_id or mid} left", "notice",
                          {**base, "member_id": mid, "client_id": m.client_id, "host": m.host,
                           "instance_id": m.instance_id}))
    new_assign = _assignment(g)
    if g.state == "Stable" and new_assign != _assignment(old) and any(new_assign.values()):
        owned = sum(len(v) for v in new_assign.values())
        out.append(Change("group.rebalanced", source,
                          f"group {gid}: new assignment, {owned} partitions over {len(new_assign)} "
                          f"member{'s' if len(new_assign) != 1 else ''}", "notice",
                          {**base, "assignment": {mid: [_tp(t, p) for t, p in tps]
                                                  for mid, tps in sorted(new_assign.items())}}))
    committed_before = {(p.topic, p.partition): p.committed for p in old.partitions}
    moved = 0
    parts = 0
    for p in g.partitions:
        was = committed_before.get((p.topic, p.partition))
        if p.committed is not None and (was is None or p.committed > was):
            # a first commit moves nothing we can count; a later one moves by the difference
            moved += p.committed - was if was is not None else 0
            parts += 1
    if parts:
        out.append(Change("group.committed", source,
                          f"group {gid} committed {moved} more records on {parts} "
                          f"partition{'s' if parts != 1 else ''}", "debug",
                          {**base, "records": moved, "partitions": parts}))
    out += _stalls(old, g)
    if g.total_lag is not None and g.total_lag > threshold and \
            (old.total_lag is None or old.total_lag <= threshold):
        out.append(Change("group.lag-high", source,
                          f"group {gid} lags {g.total_lag} records behind (threshold {threshold})",
                          "warning", {**base, "lag": g.total_lag, "threshold": threshold}))
    elif old.total_lag is not None and old.total_lag > threshold and \
            g.total_lag is not None and g.total_lag <= threshold:
        out.append(Change("group.lag-recovered", source,
                          f"group {gid} lag is back to {g.total_lag} records (threshold {threshold})",
                          "info", {**base, "lag": g.total_lag, "threshold": threshold}))
    return out


def _stalls(old: GroupView, g: GroupView) -> list[Change]:
    was = {(p.topic, p.partition): p.status for p in old.partitions}
    stalled = [p for p in g.partitions if p.status == "stalled"
               and was.get((p.topic, p.partition), "stalled") != "stalled"]
    recovered = [p for p in g.partitions if p.status != "stalled"
                 and was.get((p.topic, p.partition)) == "stalled"]
    gid = g.group_id
    source = f"group:{gid}"
    out: list[Change] = []
    for kind, parts, severity, one, many in (
            ("group.partition-stalled", stalled, "warning", "is stalled", "are stalled"),
            ("group.partition-recovered", recovered, "notice", "moves again", "move again")):
        if not parts:
            continue
        if len(parts) <= STALL_EVENTS_PER_GROUP:
            for p in parts:
                detail = (f": committed offset {p.committed} has not moved, lag {p.lag}"
                          if p.status == "stalled" else f", lag {p.lag}")
                out.append(Change(kind, source, f"group {gid}: {_tp(p.topic, p.partition)} {one}"
                                  f"{detail}", severity,
                                  {"group": gid, "topic": p.topic, "partition": p.partition,
                                   "committed": p.committed, "lag": p.lag}))
        else:
            names = [_tp(p.topic, p.partition) for p in parts]
            out.append(Change(kind, source, f"group {gid}: {len(parts)} partitions {many} "
                              f"({', '.join(names[:3])}...)", severity,
                              {"group": gid, "partitions": names, "count": len(parts),
                               "lag": sum(p.lag or 0 for p in parts)}))
    return out


class CommitCoalescer:
    """Folds ``group.committed`` changes so each group reports at most once per ``window`` seconds."""

    def __init__(self, window: float = 5.0) -> None:
        self.window = window
        self._pending: dict[str, tuple[int, int]] = {}
        self._last: dict[str, float] = {}

    def feed(self, changes: list[Change], now: float) -> list[Change]:
        out: list[Change] = []
        for change in changes:
            if change.kind != "group.committed":
                out.append(change)
                continue
            gid = str(change.data["group"])
            records, parts = self._pending.get(gid, (0, 0))
            self._pending[gid] = (records + int(change.data["records"]),
                                  max(parts, int(change.data["partitions"])))
        for gid in list(self._pending):
            if now - self._last.get(gid, float("-inf")) >= self.window:
                records, parts = self._pending.pop(gid)
                self._last[gid] = now
                out.append(Change("group.committed", f"group:{gid}",
                                  f"group {gid} committed {records} more records on up to {parts} "
                                  f"partition{'s' if parts != 1 else ''}", "debug",
                                  {"group": gid, "records": records, "partitions": parts}))
        return out
