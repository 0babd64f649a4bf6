"""One pass over the consumption log: deliveries, processing, commits, epochs, and the in-epoch checks.

An *assignment epoch* is (member incarnation, topic, partition) from ASSIGN (or SEEK) to REVOKE, LOST,
CRASH, KICKED or LEAVE. Inside an epoch deliveries must walk the partition's visible records densely
(A7 poll-skip, A8 nonmonotonic-poll). Across epochs a rewind is normal and becomes A5 (redelivered),
attributed later from the events kept here. Commit anomalies (A14) are judged on the fly because they
need the member's epoch state at that moment. Error-policy events (FAILED, POLICY, DLT_SENT) are indexed
per record for the policy rules. Events of share groups are not read here: share groups have no
assignments, epochs or offset commits, so ``share_rules`` judges them on their own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from operator import attrgetter

from tui.engine.checker.index import Indexes, PartitionIndex
from tui.engine.checker.text import offsets_phrase, plural, where
from tui.engine.checker.verdict import (
    COMMIT_ANOMALY,
    EXPECTED,
    NONMONOTONIC_POLL,
    POLL_SKIP,
    VIOLATION,
    Anomaly,
)
from tui.engine.history import ConsumerEvent, ConsumerEventKind

K = ConsumerEventKind
GTP = tuple[str, str, int]
"""(group, topic, partition)"""
GTPO = tuple[str, str, int, int]
"""(group, topic, partition, offset): one record as one group sees it."""
MemberKey = tuple[str, int]
"""(member, incarnation)"""
ENDINGS = frozenset({K.CRASH, K.KICKED, K.LEAVE, K.REVOKE, K.LOST})
LAZY_COMMIT_MODES = frozenset({"async", "auto", "store"})
RESET_MODE = "reset"
"""The ``mode`` of the pseudo-commit an admin offset reset adds to a partition's commit list."""
_MISSING = object()
_SEQ = attrgetter("seq")


@dataclass(frozen=True, slots=True)
class Commit:
    """A successful commit of one partition (COMMIT_RESULT ok)."""

    idx: int
    offset: int
    member: str
    incarnation: int
    mode: str | None
    strategy: str | None


@dataclass(frozen=True, slots=True)
class Redelivery:
    gtp: GTP
    offset: int
    prev: int
    """Index of the previous delivery of this offset to the group."""
    cur: int
    generation: int | None


@dataclass(frozen=True, slots=True)
class FreshStart:
    """The first delivery of an assignment that began without a committed offset: the client's
    position came from auto.offset.reset."""

    idx: int
    """Index of that first delivery."""
    offset: int
    member: str
    incarnation: int
    generation: int | None


class _Epoch:
    """One (member incarnation, topic, partition) assignment epoch."""

    __slots__ = ("from_reset", "last", "start")

    def __init__(self, start: int | None = None, from_reset: bool = False) -> None:
        self.last: int | None = None
        """Last offset delivered in this epoch."""
        self.start = start
        """Where the epoch must start (committed offset at ASSIGN, or a SEEK target), until the first
        delivery."""
        self.from_reset = from_reset
        """Assigned without a committed offset (not a seek): auto.offset.reset picks the start."""


@dataclass
class _Member:
    group: str
    generation: int | None = None
    assigned: set[tuple[str, int]] = field(default_factory=set)
    epochs: dict[tuple[str, int], _Epoch] = field(default_factory=dict)
    seeked: set[tuple[str, int]] = field(default_factory=set)
    """Partitions seeked since this member's last commit of them (a lower commit is then deliberate)."""
    unowned_requests: set[tuple[str, int]] = field(default_factory=set)
    """Partitions it asked to commit while not owning them, waiting for the commit's result."""


class _Stream:
    """Cached lookups for consecutive events of one (member incarnation, topic, partition)."""

    __slots__ = ("member", "incarnation", "topic", "partition", "gtp", "state", "dmap", "part",
                 "proc_offs", "epoch", "last_processed")

    def __init__(self, log: ConsumptionLog, ix: Indexes, ev: ConsumerEvent, state: _Member, p: int) -> None:
        self.member, self.incarnation, self.topic, self.partition = ev.member, ev.incarnation, ev.topic, p
        self.gtp: GTP = (ev.group, ev.topic, p)
        self.state = state
        self.dmap = log.deliveries.setdefault(self.gtp, {})
        self.part = ix.parts.get((ev.topic, p))
        self.proc_offs = log.processed_offsets.setdefault(self.gtp, {})
        self.last_processed = -1
        self.epoch = self.refresh()

    def refresh(self) -> _Epoch:
        tp = (self.topic, self.partition)
        epoch = self.state.epochs.get(tp)
        if epoch is None:
            epoch = self.state.epochs[tp] = _Epoch()
        self.epoch = epoch
        return epoch


@dataclass
class ConsumptionLog:
    events: list[ConsumerEvent]
    deliveries: dict[GTP, dict[int, int]] = field(default_factory=dict)
    """offset -> index of the latest delivery of it to the group."""
    redeliveries: list[Redelivery] = field(default_factory=list)
    processed_offsets: dict[GTP, dict[int, str | None]] = field(default_factory=dict)
    """offset -> msg_id last processed there."""
    processed_twice: dict[GTP, set[int]] = field(default_factory=dict)
    last_processed: dict[tuple[str, int, str, int], int] = field(default_factory=dict)
    """(member, incarnation, topic, partition) -> highest offset processed."""
    commits: dict[GTP, list[Commit]] = field(default_factory=dict)
    failed_commits: dict[MemberKey, list[int]] = field(default_factory=dict)
    endings: dict[MemberKey, list[int]] = field(default_factory=dict)
    seeks: dict[MemberKey, list[int]] = field(default_factory=dict)
    resets: dict[GTP, list[int]] = field(default_factory=dict)
    """Admin resets of a group's committed offset (group reset, a scenario's reset-offsets step)."""
    odd_deliveries: list[int] = field(default_factory=list)
    """Deliveries whose (partition, offset) holds something else in the final re-read."""
    anomalies: list[Anomaly] = field(default_factory=list)
    rewinds: list[Anomaly] = field(default_factory=list)
    """Poll skips, nonmonotonic polls and commit regressions: what a truncated log also produces (the
    client seeks by itself when it detects one), so they are judged again against the losses."""
    fresh_starts: dict[GTP, list[FreshStart]] = field(default_factory=dict)
    owners: dict[GTP, list[str]] = field(default_factory=dict)
    """Members that still owned each partition when the log ended."""
    groups: dict[str, set[str]] = field(default_factory=dict)
    """group -> topics it consumed."""
    members: dict[str, str] = field(default_factory=dict)
    """member -> group."""
    initial_commit: dict[GTP, int] = field(default_factory=dict)
    """Committed offset the group had when the partition was first assigned in this log, -1 if none
    (records below it belong to earlier runs and are not judged)."""
    failures: dict[GTPO, list[int]] = field(default_factory=dict)
    """Indexes of the FAILED events of each record."""
    actions: dict[GTPO, list[int]] = field(default_factory=dict)
    """Indexes of the POLICY events of each record."""
    dlt_sends: dict[GTPO, list[int]] = field(default_factory=dict)
    """Indexes of the DLT_SENT events of each (source) record."""
    share: frozenset[str] = frozenset()
    """Share groups: their events are in ``events`` but were not read here."""
    delivered: int = 0
    processed: int = 0

    def member_of(self, idx: int) -> MemberKey:
        ev = self.events[idx]
        return ev.member, ev.incarnation

    def delivered_among(self, topic: str, ids: set[str]) -> set[str]:
        """Which of ``ids`` some member received from ``topic`` (Jepsen: an observed indefinite write
        must exist). One scan, only run for the few records that need it."""
        if not ids:
            return set()
        deliver, acquired = K.DELIVER, K.ACQUIRED
        return {e.msg_id for e in self.events
                if (e.kind is deliver or e.kind is acquired) and e.msg_id in ids and e.topic == topic
                and e.msg_id is not None}

    def last_action(self, key: GTPO) -> ConsumerEvent | None:
        """The last POLICY event of a record (what its error policy finally did), if any."""
        found = self.actions.get(key)
        return self.events[found[-1]] if found else None

    def processed_among(self, group: str, topic: str, ids: set[str]) -> set[str]:
        """Which of ``ids`` a member of ``group`` processed (at any offset of ``topic``)."""
        if not ids:
            return set()
        done = K.PROCESSED
        return {e.msg_id for e in self.events if e.kind is done and e.msg_id in ids and e.group == group
                and e.topic == topic and e.msg_id is not None}


def sorted_events(events: tuple[ConsumerEvent, ...]) -> list[ConsumerEvent]:
    seqs = list(map(_SEQ, events))
    if seqs == sorted(seqs):
        return list(events)
    return sorted(events, key=_SEQ)


def read_log(history_events: tuple[ConsumerEvent, ...], ix: Indexes) -> ConsumptionLog:
    events = sorted_events(history_events)
    share = frozenset(g.group for g in ix.history.share_groups)
    log = ConsumptionLog(events=events, share=share)
    states: dict[MemberKey, _Member] = {}
    streams: dict[tuple[str, int, str, int], _Stream] = {}
    rc_cache: dict[str, bool] = {}
    deliver, processed = K.DELIVER, K.PROCESSED
    cur: _Stream | None = None
    fresh = True
    """Whether ``cur``'s epoch is still the one in its member state (any other event may replace it)."""
    n_delivered = n_processed = 0

    for idx, ev in enumerate(events):
        kind = ev.kind
        if share and ev.group in share:
            continue
        if kind is deliver or kind is processed:
            p, o = ev.partition, ev.offset
            if p is None or o is None:
                n_processed += kind is processed
                continue
            if (cur is None or cur.partition != p or cur.member != ev.member
                    or cur.incarnation != ev.incarnation or cur.topic != ev.topic):
                skey = (ev.member, ev.incarnation, ev.topic, p)
                cur = streams.get(skey)
                if cur is None:
                    cur = streams[skey] = _Stream(log, ix, ev, _state(log, states, ev), p)
                else:
                    cur.refresh()
            elif not fresh:
                cur.refresh()
            fresh = True
            mid = ev.msg_id
            if kind is processed:
                n_processed += 1
                before = cur.proc_offs.get(o, _MISSING)
                # a rewritten offset (truncation) holds another record: processing it is not a repeat
                if before is not _MISSING and (before == mid or before is None or mid is None):
                    log.processed_twice.setdefault(cur.gtp, set()).add(o)
                cur.proc_offs[o] = mid
                if o > cur.last_processed:
                    cur.last_processed = o
                continue
            n_delivered += 1
            dmap = cur.dmap
            prev = dmap.get(o)
            if prev is not None:
                log.redeliveries.append(Redelivery(cur.gtp, o, prev, idx, cur.state.generation))
            dmap[o] = idx
            part = cur.part
            if part is not None:
                stored = part.at.get(o, _MISSING)
                if (stored is not _MISSING and stored != mid) or (stored is _MISSING and mid is not None):
                    log.odd_deliveries.append(idx)
            epoch = cur.epoch
            last = epoch.last
            epoch.last = o
            if last is not None and o == last + 1:
                continue
            rc = rc_cache.get(ev.group)
            if rc is None:
                rc = rc_cache[ev.group] = ix.read_committed(ev.group)
            if last is None:
                start, epoch.start = epoch.start, None
                if start is not None and part is not None and o > start:
                    latest = _latest_commit(log, cur.gtp)
                    if latest is not None and start < latest <= o:
                        start = latest  # another member's commit landed after our ASSIGN read
                    passed = part.between(start, o, rc)
                    if passed:
                        log.rewinds.append(_poll_skip(ev, part, passed, f"the assignment started at {start}"))
                if epoch.from_reset:
                    epoch.from_reset = False
                    log.fresh_starts.setdefault(cur.gtp, []).append(
                        FreshStart(idx, o, ev.member, ev.incarnation, cur.state.generation))
            elif o <= last:
                log.rewinds.append(_nonmonotonic(ev, last))
            elif part is not None:
                passed = part.between(last + 1, o, rc)
                if passed:
                    log.rewinds.append(_poll_skip(ev, part, passed, f"the previous delivery was {last}"))
        else:
            fresh = False
            _other_event(log, ix, _state(log, states, ev), idx, ev)
    log.delivered, log.processed = n_delivered, n_processed
    for stream in streams.values():
        if stream.last_processed >= 0:
            log.last_processed[(stream.member, stream.incarnation, stream.topic, stream.partition)] = (
                stream.last_processed)
    for gtp, dmap in list(log.deliveries.items()):
        if dmap:
            log.groups.setdefault(gtp[0], set()).add(gtp[1])
        else:
            del log.deliveries[gtp]
    for (member, _inc), st in states.items():
        for topic, p in st.assigned:
            log.owners.setdefault((st.group, topic, p), []).append(member)
    return log


def _state(log: ConsumptionLog, states: dict[MemberKey, _Member], ev: ConsumerEvent) -> _Member:
    mk = (ev.member, ev.incarnation)
    st = states.get(mk)
    if st is None:
        st = states[mk] = _Member(group=ev.group)
        log.members.setdefault(ev.member, ev.group)
        topics = log.groups.setdefault(ev.group, set())
        if ev.topic:  # CRASH / LEAVE / KICKED are logged without a topic
            topics.add(ev.topic)
    return st


def _latest_commit(log: ConsumptionLog, gtp: GTP) -> int | None:
    commits = log.commits.get(gtp)
    return commits[-1].offset if commits else None


def _other_event(log: ConsumptionLog, ix: Indexes, st: _Member, idx: int, ev: ConsumerEvent) -> None:
    kind = ev.kind
    mk = (ev.member, ev.incarnation)
    t = ev.topic
    if kind is K.ASSIGN:
        st.generation = ev.generation if ev.generation is not None else st.generation
        committed = dict(ev.offsets)
        for p in ev.partitions:
            tp = (t, p)
            st.assigned.add(tp)
            off = committed.get(p)
            known = off is not None and off >= 0
            st.epochs[tp] = _Epoch(off if known else None, from_reset=not known)
            log.initial_commit.setdefault((ev.group, t, p), off if off is not None and known else -1)
        return
    if kind in ENDINGS:
        log.endings.setdefault(mk, []).append(idx)
        dropped = [(t, p) for p in ev.partitions] if kind in (K.REVOKE, K.LOST) else list(st.assigned)
        for tp in dropped:
            st.assigned.discard(tp)
            st.epochs.pop(tp, None)
        return
    if kind is K.RESET:
        if ev.partition is not None and ev.offset is not None and ev.offset >= 0:
            gtp = (ev.group, t, ev.partition)
            log.resets.setdefault(gtp, []).append(idx)
            log.commits.setdefault(gtp, []).append(
                Commit(idx, ev.offset, "", 0, RESET_MODE, None))
        return
    if kind is K.SEEK:
        if ev.partition is None or ev.offset is None:
            return
        tp = (t, ev.partition)
        log.seeks.setdefault(mk, []).append(idx)
        st.seeked.add(tp)
        st.epochs[tp] = _Epoch(ev.offset if ev.offset >= 0 else None)
        return
    if kind is K.COMMIT_REQ:
        if ev.mode not in ("auto", "store"):
            # judged on its result: the coordinator must refuse it (a kicked or fenced member)
            st.unowned_requests.update((t, p) for p, _off in ev.offsets if (t, p) not in st.assigned)
        return
    per_record = _per_record(log, kind)
    if per_record is not None:
        if ev.partition is not None and ev.offset is not None:
            per_record.setdefault((ev.group, t, ev.partition, ev.offset), []).append(idx)
        return
    if kind is K.COMMIT_RESULT:
        _unowned_commit(log, st, ev)
        if not ev.ok:
            log.failed_commits.setdefault(mk, []).append(idx)
            if ev.mode == "txn":
                _rewind_after_abort(log, st, ev)
            return
        for p, off in ev.offsets:
            if off < 0:
                continue
            gtp = (ev.group, t, p)
            commits = log.commits.setdefault(gtp, [])
            previous = commits[-1] if commits else None
            commits.append(Commit(idx, off, ev.member, ev.incarnation, ev.mode, ev.strategy))
            tp = (t, p)
            seeked = tp in st.seeked
            st.seeked.discard(tp)
            if previous is not None and off < previous.offset and not seeked:
                _regression(log, ev, p, previous, off)
            _beyond_delivered(log, ix, st, ev, p, off)


def _unowned_commit(log: ConsumptionLog, st: _Member, ev: ConsumerEvent) -> None:
    """A14c: a commit of a partition the member did not own at the request. The coordinator refusing
    it (a kicked or fenced member's late commit) is how it must be; one that lands is a violation."""
    asked = [p for p, _off in ev.offsets if (ev.topic, p) in st.unowned_requests] if ev.offsets else \
        [p for t, p in st.unowned_requests if t == ev.topic]
    for p in asked:
        st.unowned_requests.discard((ev.topic, p))
        if ev.ok:
            judgement, what = VIOLATION, ("the coordinator accepted it: a member committed for a partition "
                                          "another member may own")
        else:
            judgement, what = EXPECTED, (f"the coordinator refused it ({ev.error or 'error'}), as it must: "
                                         "a member that was kicked out or fenced cannot commit")
        log.anomalies.append(Anomaly(
            kind=COMMIT_ANOMALY, judgement=judgement, topic=ev.topic, partition=p, offsets=(), msg_ids=(),
            explanation=(f"member {ev.member} asked to commit {where(ev.topic, p)} (mode {ev.mode}) "
                         f"although the partition was not assigned to it at that moment; {what}."),
            members=(ev.member,), count=1, group=ev.group))


def _per_record(log: ConsumptionLog, kind: ConsumerEventKind) -> dict[GTPO, list[int]] | None:
    """The per-record index of an error-policy event kind (they do not touch epochs: a pause policy
    logs its own SEEK), else None."""
    if kind is K.FAILED:
        return log.failures
    if kind is K.POLICY:
        return log.actions
    if kind is K.DLT_SENT:
        return log.dlt_sends
    return None


def _rewind_after_abort(log: ConsumptionLog, st: _Member, ev: ConsumerEvent) -> None:
    """An aborted transaction un-consumes its records: the member must continue from the last committed
    offset (Jepsen's "abort doesn't roll back" poll-skip), so the epoch restarts there."""
    for p, _off in ev.offsets:
        tp = (ev.topic, p)
        if tp not in st.assigned:
            continue
        committed = _latest_commit(log, (ev.group, ev.topic, p))
        if committed is None:
            committed = log.initial_commit.get((ev.group, ev.topic, p), -1)
        st.epochs[tp] = _Epoch(committed if committed >= 0 else None)


def _regression(log: ConsumptionLog, ev: ConsumerEvent, p: int, previous: Commit, off: int) -> None:
    lazy = ev.mode in LAZY_COMMIT_MODES or previous.mode in LAZY_COMMIT_MODES
    zombie = previous.member != ev.member or previous.incarnation != ev.incarnation
    cause = "an asynchronous or automatic commit completed late" if lazy else (
        "a member committed stale offsets after the partition had moved" if zombie
        else "a synchronous commit moved the offset back without a seek")
    log.rewinds.append(Anomaly(
        kind=COMMIT_ANOMALY, judgement=EXPECTED if lazy else VIOLATION, topic=ev.topic, partition=p,
        offsets=(off, previous.offset), msg_ids=(),
        explanation=(f"the committed offset of {where(ev.topic, p)} for group {ev.group} went back from "
                     f"{previous.offset} (member {previous.member}, {previous.mode}) to {off} "
                     f"(member {ev.member}, {ev.mode}): {cause}; records in between will be delivered again."),
        members=tuple(dict.fromkeys((previous.member, ev.member))), count=1, group=ev.group))


def _beyond_delivered(log: ConsumptionLog, ix: Indexes, st: _Member, ev: ConsumerEvent, p: int,
                      off: int) -> None:
    """A14a: a commit past the records this epoch delivered passes over visible, undelivered records."""
    part = ix.parts.get((ev.topic, p))
    if part is None:
        return
    epoch = st.epochs.get((ev.topic, p))
    if epoch is None:
        return
    low = epoch.last + 1 if epoch.last is not None else epoch.start
    if low is None or off <= low:
        return
    passed = part.between(low, off, ix.read_committed(ev.group))
    if not passed:
        return
    log.anomalies.append(Anomaly(
        kind=COMMIT_ANOMALY, judgement=VIOLATION, topic=ev.topic, partition=p, offsets=tuple(passed),
        msg_ids=tuple(m for m in (part.at.get(o) for o in passed) if m is not None),
        explanation=(f"member {ev.member} committed offset {off} of {where(ev.topic, p)} ({ev.mode}) but its "
                     f"assignment had only delivered up to {low - 1}: {offsets_phrase(passed)} were committed "
                     "without being delivered."),
        members=(ev.member,), count=1, group=ev.group))


def _poll_skip(ev: ConsumerEvent, part: PartitionIndex, passed: list[int], since: str) -> Anomaly:
    t, p, o = ev.topic, ev.partition, ev.offset
    ids = tuple(m for m in (part.at.get(x) for x in passed) if m is not None)
    return Anomaly(
        kind=POLL_SKIP, judgement=VIOLATION, topic=t, partition=p, offsets=tuple(passed), msg_ids=ids,
        explanation=(f"member {ev.member} (incarnation {ev.incarnation}) received offset {o} of {where(t, p)} "
                     f"but {since}: {plural(len(passed), 'visible record')} ({offsets_phrase(passed)}) "
                     "were passed over within one assignment."),
        members=(ev.member,), count=len(passed), group=ev.group)


def _nonmonotonic(ev: ConsumerEvent, last: int) -> Anomaly:
    t, p, o = ev.topic, ev.partition, ev.offset
    assert o is not None
    return Anomaly(
        kind=NONMONOTONIC_POLL, judgement=VIOLATION, topic=t, partition=p, offsets=(last, o),
        msg_ids=(ev.msg_id,) if ev.msg_id is not None else (),
        explanation=(f"member {ev.member} (incarnation {ev.incarnation}) received offset {o} of {where(t, p)} "
                     f"right after offset {last} within one assignment, without a seek or rebalance."),
        members=(ev.member,), count=1, group=ev.group)
