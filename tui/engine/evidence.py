"""Gathering the evidence the checker judges: ledger + consumption log + final drain + commits +
topic guarantees + the faults and leader moves recorded during the run.

:func:`gather_history` blocks (it re-reads every audited partition), so the engine runs it on its
judge thread. It never raises on a Kafka problem: an unreadable partition is marked incomplete in the
audit and the checker then reports 'unseen' rather than 'lost'. The engine's :meth:`Engine.judge` is
the only caller, and the only place that then runs the checker.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from tui.engine.commands import RunScope
from tui.engine.consumer.drain import drain, final_commits
from tui.engine.consumer.stalls import DEFAULT_THRESHOLD as DEFAULT_STALL_THRESHOLD
from tui.engine.history import (
    AuditLog,
    ConsumerEvent,
    ConsumerEventKind,
    Fault,
    History,
    LeaderChange,
    Outcome,
    ProducedRecord,
    ProducerSettings,
    Stall,
)
from tui.engine.record_format import parse_msg_id

if TYPE_CHECKING:
    from tui.engine.consumer.members import GroupMembers
    from tui.engine.context import EngineContext
    from tui.engine.producer.producers import Producers
    from tui.engine.share.members import ShareMembers

EVERYTHING = RunScope()


class RunRecord:
    """What the engine saw happen to the cluster during its life: the node faults it injected (or the
    watcher saw), and partition leader moves. Thread-safe; appended to by the engine."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self._leaders: list[LeaderChange] = []
        self._resets: list[ConsumerEvent] = []

    def add_fault(self, fault: Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def add_leader_change(self, change: LeaderChange) -> None:
        with self._lock:
            self._leaders.append(change)

    def add_reset(self, ts: float, group: str, topic: str, partition: int, offset: int,
                  detail: str) -> None:
        """An admin reset of a group's committed offset (as a consumption-log event no member made)."""
        with self._lock:
            self._resets.append(ConsumerEvent(0, ts, "", 0, group, topic, ConsumerEventKind.RESET,
                                              partition=partition, offset=offset, detail=detail))

    def resets(self, since: float | None = None) -> tuple[ConsumerEvent, ...]:
        with self._lock:
            return tuple(r for r in self._resets if since is None or r.ts >= since)

    def faults(self, since: float | None = None) -> tuple[Fault, ...]:
        with self._lock:
            return tuple(f for f in self._faults if since is None or f.ts >= since)

    def leader_changes(self, since: float | None = None) -> tuple[LeaderChange, ...]:
        with self._lock:
            return tuple(c for c in self._leaders if since is None or c.ts >= since)

    def recent_fault(self, node: int, within: float) -> bool:
        """Whether this engine broke ``node`` in the last ``within`` seconds."""
        now = time.time()
        with self._lock:
            return any(f.node == node and f.origin == "engine" and now - f.ts <= within
                       for f in self._faults)


@dataclass(frozen=True)
class Sources:
    """Where the evidence comes from (the engine's parts)."""

    ctx: EngineContext
    producers: Producers | None
    members: GroupMembers | None
    record: RunRecord = field(default_factory=RunRecord)
    shares: ShareMembers | None = None
    """Share-group members: their log is merged into the consumption by time."""


def gather_history(src: Sources, topics: Iterable[str] = (), timeout: float = 60.0,
                   ledger_from_audit: bool = False, scope: RunScope = EVERYTHING) -> History:
    """Build the checker's History for the run ``scope`` names. With ``ledger_from_audit`` (records we
    did not produce in this run), every record in the audit that carries our msg_id format becomes a
    ledger row -- see :func:`ledger_from_audit_log`."""
    deadline = time.monotonic() + timeout
    members = src.members
    produced, settings = _produced(src.producers, scope)
    consumption = _consumption(members, scope)
    specs = _member_specs(members, scope)
    share_specs = _share_specs(src.shares, scope)
    dead_letter = _dead_letter_topics(members, consumption, scope)
    all_topics = audited_topics(produced, specs, (*topics, *scope.topics, *dead_letter,
                                                  *(t for s in share_specs.values() for t in s.topics)))
    conf = src.ctx.connection.client_conf()
    audit = drain(conf, all_topics, timeout=max(5.0, (deadline - time.monotonic()) * 0.8))
    if ledger_from_audit and not produced:
        produced = ledger_from_audit_log(audit, {t for s in (*specs.values(), *share_specs.values())
                                                 for t in s.topics})
    groups: dict[str, set[tuple[str, int]]] = {}
    isolation: dict[str, str] = {}
    resets: dict[str, str] = {}
    for spec in specs.values():
        isolation.setdefault(spec.group, spec.isolation_level)
        resets.setdefault(spec.group, spec.auto_offset_reset)
        wanted = set(spec.topics)
        groups.setdefault(spec.group, set()).update(
            (p.topic, p.partition) for p in audit.partitions if p.topic in wanted)
    for ev in consumption:
        if ev.topic and ev.partition is not None:
            groups.setdefault(ev.group, set()).add((ev.topic, ev.partition))
    commits = final_commits(conf, groups, timeout=max(3.0, deadline - time.monotonic()))
    notes: tuple[str, ...] = ()
    started: dict[str, float] = {}
    if members is not None:
        # A member commits only after its PROCESSED lines left its pipe, but our reader may not have
        # logged them yet: re-take the log after the commits, once it stopped growing, or records
        # processed just before that commit would read as skipped.
        _wait_log_quiet(members, quiet=0.5, timeout=min(5.0, max(0.5, deadline - time.monotonic())))
        consumption = _consumption(members, scope)
        started = {g: t for g, t in members.log.first_assign.items() if g in groups}
        if members.log.dropped:
            notes = (f"the consumption log reached its cap: {members.log.dropped} events were not "
                     "recorded, so consumer-side findings are incomplete",)
    min_insync, unclean = topic_guarantees(conf, all_topics, timeout=min(10.0, max(
        2.0, deadline - time.monotonic())))
    audited = set(all_topics)
    consumption = _with_resets(consumption, [r for r in src.record.resets(scope.since)
                                             if r.group in groups or scope.has_group(r.group)])
    share_groups, share_events, share_started = _shares(src, share_specs, scope, conf, deadline)
    consumption = merge_logs(consumption, share_events)
    started.update(share_started)
    transactions = () if members is None else tuple(
        t for t in members.transactions.transactions()
        if scope.has_member(t.member) and scope.has_group(t.group))
    return History(produced=produced, producers=settings, consumption=consumption, audit=audit,
                   final_commits=commits, isolation=isolation, group_started_at=started,
                   reset_policy=resets, unclean_topics=frozenset(unclean), notes=notes,
                   faults=src.record.faults(scope.since),
                   leader_changes=tuple(c for c in src.record.leader_changes(scope.since)
                                        if c.topic in audited),
                   min_insync=min_insync, transactions=transactions, share_groups=share_groups,
                   dead_letter_topics=dead_letter, stalls=_stalls(members, groups, scope),
                   stall_threshold=DEFAULT_STALL_THRESHOLD if members is None
                   else members.stalls.threshold)


def _dead_letter_topics(members: GroupMembers | None, consumption: Iterable[ConsumerEvent],
                        scope: RunScope) -> frozenset[str]:
    """The dead-letter topics of this run's members: the ones their policies named, and any a
    DLT_SENT reported (the final drain re-reads them like every other topic)."""
    if members is None:
        return frozenset()
    named = members.dead_letter_topics(scope.has_member)
    return named | {ev.dlt.topic for ev in consumption if ev.dlt is not None and ev.dlt.topic}


def _stalls(members: GroupMembers | None, groups: Mapping[str, object], scope: RunScope
            ) -> tuple[Stall, ...]:
    """The stall detector's episodes of this run's groups (share groups have none)."""
    if members is None:
        return ()
    return tuple(st for st in members.stalls.stalls() if st.group in groups
                 and scope.has_group(st.group) and (scope.since is None or st.until >= scope.since))


def _share_specs(shares: ShareMembers | None, scope: RunScope) -> dict[str, Any]:
    if shares is None:
        return {}
    return {name: spec for name, spec in shares.specs().items()
            if scope.has_member(name) and scope.has_group(spec.group)}


def _shares(src: Sources, specs: Mapping[str, Any], scope: RunScope, conf: dict[str, Any],
            deadline: float) -> tuple[tuple[Any, ...], tuple[ConsumerEvent, ...], dict[str, float]]:
    """The share groups of this run (settings read fresh from the broker), their members' log once
    it stopped growing, and when each group's first member subscribed."""
    shares = src.shares
    if shares is None or not specs:
        return (), (), {}
    from tui.engine.share.group_config import describe
    from tui.kafka import admin
    from tui.kafka.admin import AdminCallError

    names = {spec.group for spec in specs.values()}
    _wait_quiet(lambda: len(shares.log), quiet=0.5, timeout=min(5.0, max(0.5, deadline - time.monotonic())))
    try:
        configs = admin.call({k: v for k, v in conf.items() if k != "group.id"}, "share group configs",
                             lambda a: {g: describe(a, g, timeout=5.0) for g in sorted(names)})
    except (AdminCallError, ValueError):
        configs = {}  # the last read-back, else Kafka's defaults
    events = tuple(ev for ev in shares.history() if scope.has_member(ev.member) and scope.has_group(ev.group))
    started = {g: t for g, t in shares.started.items() if g in names}
    return shares.share_groups(names, configs), events, started


def merge_logs(events: tuple[ConsumerEvent, ...], others: tuple[ConsumerEvent, ...]
               ) -> tuple[ConsumerEvent, ...]:
    """Two consumption logs as one, by time, each keeping its own order (a log's own order is the
    truth even where two of its clocks disagree), renumbered."""
    if not others:
        return events
    out: list[ConsumerEvent] = []
    i = j = 0
    while i < len(events) or j < len(others):
        if j >= len(others) or (i < len(events) and events[i].ts <= others[j].ts):
            out.append(events[i])
            i += 1
        else:
            out.append(others[j])
            j += 1
    return tuple(replace(e, seq=n) for n, e in enumerate(out, 1))


def _wait_quiet(size: Any, quiet: float, timeout: float) -> None:
    """Wait (bounded) until ``size()`` has not grown for ``quiet`` seconds."""
    end = time.monotonic() + timeout
    last, since = size(), time.monotonic()
    while time.monotonic() < end:
        time.sleep(0.05)
        now = size()
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet:
            return


def _with_resets(events: tuple[ConsumerEvent, ...], resets: list[ConsumerEvent]
                 ) -> tuple[ConsumerEvent, ...]:
    """The consumption log with admin resets placed where they happened (by time: a reset runs only
    while the group has no active member, so nothing of the group interleaves with it)."""
    if not resets:
        return events
    merged = sorted([*events, *resets], key=lambda e: (e.ts, e.seq))
    return tuple(replace(e, seq=i) for i, e in enumerate(merged))


def _produced(producers: Producers | None, scope: RunScope
              ) -> tuple[tuple[ProducedRecord, ...], tuple[ProducerSettings, ...]]:
    if producers is None:
        return (), ()
    records, settings = producers.history(scope.producers or None)
    return records, settings


def _consumption(members: GroupMembers | None, scope: RunScope) -> tuple[ConsumerEvent, ...]:
    if members is None:
        return ()
    events = members.history()
    if not scope.members and not scope.groups:
        return events
    return tuple(ev for ev in events if scope.has_member(ev.member) and scope.has_group(ev.group))


def _member_specs(members: GroupMembers | None, scope: RunScope) -> dict[str, Any]:
    if members is None:
        return {}
    return {name: spec for name, spec in members.specs().items()
            if scope.has_member(name) and scope.has_group(spec.group)}


def audited_topics(produced: Iterable[ProducedRecord], specs: Mapping[str, Any],
                   extra: Iterable[str] = ()) -> tuple[str, ...]:
    """Every topic that was produced to, consumed from, or copied into (output topics)."""
    topics = set(extra)
    topics.update(r.topic for r in produced)
    for spec in specs.values():
        topics.update(spec.topics)
        if spec.output_topic:
            topics.add(spec.output_topic)
    return tuple(sorted(t for t in topics if t))


def topic_guarantees(conf: dict[str, Any], topics: Iterable[str],
                     timeout: float) -> tuple[dict[str, int], set[str]]:
    """Each topic's effective ``min.insync.replicas``, and which topics allow unclean election: the
    checker needs both (per topic) to tell an expected loss from a violation. Unknown on any error
    (losses then read as violations, which the explanation says)."""
    from tui.kafka import admin
    from tui.kafka.admin import AdminCallError

    min_insync: dict[str, int] = {}
    unclean: set[str] = set()
    try:
        configs = admin.topic_configs({k: v for k, v in conf.items() if k != "group.id"}, topics,
                                      timeout=timeout)
    except AdminCallError:
        return min_insync, unclean
    for topic, entries in configs.items():
        value = entries.get("min.insync.replicas")
        if value is not None and value.isdigit():
            min_insync[topic] = int(value)
        if (entries.get("unclean.leader.election.enable") or "").lower() == "true":
            unclean.add(topic)
    return min_insync, unclean


def _wait_log_quiet(members: GroupMembers, quiet: float, timeout: float) -> None:
    """Wait (bounded) until the consumption log has not grown for ``quiet`` seconds."""
    end = time.monotonic() + timeout
    size, since = len(members.log), time.monotonic()
    while time.monotonic() < end:
        time.sleep(0.05)
        now = len(members.log)
        if now != size:
            size, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet:
            return


def ledger_from_audit_log(audit: AuditLog, topics: set[str]) -> tuple[ProducedRecord, ...]:
    """A stand-in ledger when this run did not produce the records itself.

    Every record of ``topics`` found by the drain whose msg_id has our format becomes one row with
    outcome OK at the *first* offset it was found at, and its producer/incarnation/seq parsed from the
    msg_id. So these records can never be 'lost' or 'unseen' (they were found), but every consumer-side
    anomaly (skipped, redelivered, poll skips, commit anomalies) and log duplicates / reorders by
    sequence number are still judged. Foreign records (no msg_id) are not in the ledger.
    """
    rows: dict[str, ProducedRecord] = {}
    for part in audit.partitions:
        if part.topic not in topics:
            continue
        for offset, msg_id in part.records:
            if msg_id is None or msg_id in rows:
                continue
            parsed = parse_msg_id(msg_id)
            if parsed is None:
                continue
            rows[msg_id] = ProducedRecord(
                msg_id=msg_id, producer=parsed.producer, incarnation=parsed.incarnation,
                seq=parsed.seq, topic=part.topic, partition=part.partition, key=None, t_send=0.0,
                outcome=Outcome.OK, offset=offset)
    return tuple(sorted(rows.values(), key=lambda r: (r.producer, r.incarnation, r.seq)))


__all__ = ["EVERYTHING", "RunRecord", "Sources", "audited_topics", "gather_history",
           "ledger_from_audit_log", "merge_logs", "topic_guarantees"]
