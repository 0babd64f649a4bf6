"""Share groups (KIP-932): records acknowledged one by one, judged record by record.

A share group has no assignments, epochs or committed offsets: a member acquires records under a lock
(ACQUIRED, with the broker's delivery count), acknowledges each one (ACK: accept, release or reject) and
the broker answers the acknowledgements (ACK_COMMIT). Findings per (group, topic, partition, offset):

* **delivered-again**: acquired more than once. Expected after a RELEASE, a member that died or kept the
  record past its acquisition lock, or an acknowledgement the broker never confirmed; a violation when
  a confirmed ACCEPT or REJECT is acquired again, when the delivery count does not grow, or when it
  passes ``share.delivery.count.limit``.
* **processed-twice**: processed in two acquisitions (expected unless the first was a confirmed
  ACCEPT), or twice in one (a violation).
* **rejected**: its last acknowledgement was REJECT (archived): expected after a recorded failure.
* **archived**: given back (released, or its member died) at the delivery-count limit: the broker
  archives it, nobody processes it.
* **unconsumed** (never acquired) and **skipped** (produced before a share group that starts at the end).

Share groups promise no ordering, so poll-skip, nonmonotonic-poll, commit-based skips and commit
anomalies are never judged for them: ``consumer_log`` does not read their events.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from tui.engine.checker.consumer_log import GTPO, ConsumptionLog, MemberKey
from tui.engine.checker.index import Indexes
from tui.engine.checker.text import offsets_phrase, plural, where
from tui.engine.checker.verdict import (
    ARCHIVED,
    DELIVERED_AGAIN,
    EXPECTED,
    LIVENESS,
    PROCESSED_TWICE,
    REJECTED,
    SKIPPED,
    UNCONSUMED,
    VIOLATION,
    Anomaly,
)
from tui.engine.history import ConsumerEvent, ConsumerEventKind, ShareGroup
from tui.vocab import AckType

K = ConsumerEventKind
_ENDS = frozenset({K.CRASH, K.LEAVE, K.KICKED})
LATEST = frozenset({"latest", "largest", "end"})
NO_ORDERING = ("share group{s} {names} promise{v} no ordering: poll-skip, nonmonotonic-poll, commit-anomaly "
               "and commit-based skips are not judged for {them}; records are acquired and acknowledged one by "
               "one (accept, release, reject), not committed by offset.")


@dataclass
class _Record:
    acquired: list[int] = field(default_factory=list)
    processed: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    acks: list[int] = field(default_factory=list)
    answers: list[tuple[int, bool]] = field(default_factory=list)
    """(index of an ACK_COMMIT covering it, ok)."""


@dataclass
class ShareLog:
    groups: dict[str, ShareGroup]
    events: list[ConsumerEvent]
    records: dict[GTPO, _Record] = field(default_factory=dict)
    endings: dict[MemberKey, list[int]] = field(default_factory=dict)
    acked: Counter[str] = field(default_factory=Counter)
    acquired: int = 0
    processed: int = 0
    members: set[str] = field(default_factory=set)

    def ev(self, idx: int) -> ConsumerEvent:
        return self.events[idx]


def read_share(ix: Indexes, log: ConsumptionLog) -> ShareLog:
    sl = ShareLog(groups={g.group: g for g in ix.history.share_groups}, events=log.events)
    if not sl.groups:
        return sl
    for idx, ev in enumerate(log.events):
        if ev.group not in sl.groups:
            continue
        sl.members.add(ev.member)
        kind = ev.kind
        if kind in _ENDS:
            sl.endings.setdefault((ev.member, ev.incarnation), []).append(idx)
            continue
        if kind is K.ACK_COMMIT:
            for p, o in ev.offsets:
                sl.records.setdefault((ev.group, ev.topic, p, o), _Record()).answers.append((idx, bool(ev.ok)))
            continue
        if ev.partition is None or ev.offset is None:
            continue
        rec = sl.records.setdefault((ev.group, ev.topic, ev.partition, ev.offset), _Record())
        if kind is K.ACQUIRED:
            rec.acquired.append(idx)
            sl.acquired += 1
        elif kind is K.PROCESSED:
            rec.processed.append(idx)
            sl.processed += 1
        elif kind is K.FAILED:
            rec.failed.append(idx)
        elif kind is K.ACK:
            rec.acks.append(idx)
            sl.acked[str(ev.action or "?")] += 1
    return sl


def remarks(sl: ShareLog) -> tuple[str, ...]:
    if not sl.groups:
        return ()
    names = sorted(sl.groups)
    many = len(names) > 1
    return (NO_ORDERING.format(s="s" if many else "", names=", ".join(names), v="" if many else "s",
                               them="their members" if many else "its members"),)


# ---------------------------------------------------------------------------------------------- one acquisition

@dataclass(frozen=True, slots=True)
class _Turn:
    """One acquisition of a record and what its member did with it before the next one."""

    acquired: int
    until: int | None
    """Index of the next acquisition (None: the last one)."""
    ack: ConsumerEvent | None
    ack_idx: int | None
    confirmed: bool | None
    """The broker's answer to that acknowledgement (None: none recorded)."""
    error: str | None
    ended: int | None
    """Index of the acquiring member's crash or leave while it held the record."""
    failure: ConsumerEvent | None
    processed: int


def _turns(sl: ShareLog, rec: _Record) -> list[_Turn]:
    turns: list[_Turn] = []
    for i, a in enumerate(rec.acquired):
        nxt = rec.acquired[i + 1] if i + 1 < len(rec.acquired) else None
        ev = sl.ev(a)
        mk = (ev.member, ev.incarnation)

        def inside(j: int, a: int = a, nxt: int | None = nxt) -> bool:
            return a < j and (nxt is None or j < nxt)

        acks = [j for j in rec.acks if inside(j)]
        ack_idx = acks[-1] if acks else None
        answers = [(j, ok) for j, ok in rec.answers if ack_idx is not None and j > ack_idx and inside(j)]
        confirmed = answers[-1][1] if answers else None
        error = sl.ev(answers[-1][0]).error if answers and not answers[-1][1] else None
        ends = [j for j in sl.endings.get(mk, []) if inside(j)]
        fails = [j for j in rec.failed if inside(j)]
        turns.append(_Turn(a, nxt, sl.ev(ack_idx) if ack_idx is not None else None, ack_idx, confirmed, error,
                           ends[0] if ends else None, sl.ev(fails[-1]) if fails else None,
                           sum(1 for j in rec.processed if inside(j))))
    return turns


def _who(ev: ConsumerEvent) -> str:
    return f"member {ev.member} (incarnation {ev.incarnation})"


def _failure(turn: _Turn) -> str:
    f = turn.failure
    if f is None:
        return ""
    return f" after failing on {{it}} ({f.error or 'error'}" + (f": {f.detail}" if f.detail else "") + ")"


def _ending(sl: ShareLog, turn: _Turn) -> str:
    assert turn.ended is not None
    ev = sl.ev(turn.ended)
    return {K.CRASH: "crashed", K.LEAVE: "left the group", K.KICKED: "was fenced"}.get(ev.kind, "stopped")


def _why_again(sl: ShareLog, group: ShareGroup, prev: _Turn) -> tuple[str, str, str]:
    """(judgement, category, cause) of the acquisition that followed ``prev``; the cause says ``{it}``,
    ``{they}`` and ``{was}`` for the record(s), and the category names the holder, so one text fits every
    record of an episode."""
    holder = _who(sl.ev(prev.acquired))
    ack = prev.ack
    if ack is not None and ack.action in (AckType.ACCEPT, AckType.REJECT):
        verb = "accepted" if ack.action == AckType.ACCEPT else "rejected"
        if prev.confirmed:
            return VIOLATION, f"{verb}-confirmed|{holder}", (
                f"{holder} {verb} {{it}} and the broker confirmed the acknowledgement, yet {{they}} {{was}} "
                "acquired again")
        if prev.confirmed is False:
            return EXPECTED, f"{verb}-refused|{holder}", (
                f"{holder} {verb} {{it}}, but the broker refused the acknowledgement ({prev.error or 'error'})")
        if prev.ended is not None:
            return EXPECTED, f"{verb}-unsent|{holder}", (
                f"{holder} {verb} {{it}}, then {_ending(sl, prev)} before the broker confirmed the "
                "acknowledgement")
        return EXPECTED, f"{verb}-unconfirmed|{holder}", (
            f"{holder} {verb} {{it}}, but no confirmation of that acknowledgement was recorded (it may have "
            f"arrived after the acquisition lock of {group.lock_duration_ms} ms expired)")
    if ack is not None and ack.action == AckType.RELEASE:
        return EXPECTED, f"released|{holder}", f"{holder} released {{it}}{_failure(prev)}"
    if prev.ended is not None:
        return EXPECTED, f"died-holding|{holder}", (
            f"{holder} {_ending(sl, prev)} holding {{it}} without acknowledging, so the broker released the "
            "acquisition lock")
    return EXPECTED, f"lock-expired|{holder}", (
        f"{holder} held {{it}} without acknowledging for longer than the acquisition lock "
        f"(share.record.lock.duration.ms = {group.lock_duration_ms})")


def _count_problem(group: ShareGroup, before: ConsumerEvent | None, cur: ConsumerEvent) -> str | None:
    count = cur.delivery_count
    if count is None:
        return None
    if before is not None and before.delivery_count is not None and count <= before.delivery_count:
        return (f"its delivery count did not grow ({before.delivery_count} then {count}), although the broker "
                "counts every acquisition")
    if count > group.delivery_count_limit:
        return (f"it was acquired with delivery count {count}, beyond share.delivery.count.limit = "
                f"{group.delivery_count_limit}, after which the broker must archive it")
    return None


# ---------------------------------------------------------------------------------------------- findings

_Key = tuple[str, str, str, int, str, str]
"""(kind, group, topic, partition, judgement, category)"""


@dataclass
class _Found:
    text: str
    offsets: list[int] = field(default_factory=list)
    msg_ids: list[str] = field(default_factory=list)
    members: dict[str, None] = field(default_factory=dict)
    top: int = 0
    """Highest delivery count among its records."""


def judge_share(ix: Indexes, sl: ShareLog) -> list[Anomaly]:
    found: dict[_Key, _Found] = {}
    for key in sorted(sl.records):
        group = sl.groups[key[0]]
        turns = _turns(sl, sl.records[key])
        if turns:
            _again(sl, group, key, turns, found)
            _twice(sl, group, key, turns, found)
            _final(sl, group, key, turns, found)
    out = [_anomaly(k, f) for k, f in found.items()]
    out.extend(_never_acquired(ix, sl))
    return out


def _add(found: dict[_Key, _Found], kind: str, key: GTPO, judgement: str, category: str, text: str,
         ev: ConsumerEvent, top: int | None = None) -> None:
    entry = found.setdefault((kind, key[0], key[1], key[2], judgement, category), _Found(text))
    entry.offsets.append(key[3])
    if ev.msg_id is not None:
        entry.msg_ids.append(ev.msg_id)
    entry.members[ev.member] = None
    entry.top = max(entry.top, top or 0)


def _again(sl: ShareLog, group: ShareGroup, key: GTPO, turns: list[_Turn], found: dict[_Key, _Found]) -> None:
    """One delivered-again finding per record acquired more than once: the worst of its causes."""
    causes: list[tuple[str, str, str]] = []
    first = sl.ev(turns[0].acquired)
    if first.delivery_count is not None and first.delivery_count > 1:
        causes.append((EXPECTED, "earlier", ("{they} {was} first acquired here with a delivery count above 1: "
                                             "the earlier deliveries are not in this log")))
    for prev, turn in zip(turns, turns[1:], strict=False):
        cur = sl.ev(turn.acquired)
        problem = _count_problem(group, sl.ev(prev.acquired), cur)
        causes.append((VIOLATION, f"count|{problem}", problem) if problem else _why_again(sl, group, prev))
    if not causes:
        return
    judgement, category, text = next((c for c in causes if c[0] == VIOLATION), causes[0])
    top = max((c for t in turns if (c := sl.ev(t.acquired).delivery_count) is not None), default=len(turns))
    _add(found, DELIVERED_AGAIN, key, judgement, category, text, sl.ev(turns[-1].acquired), top)


def _twice(sl: ShareLog, group: ShareGroup, key: GTPO, turns: list[_Turn], found: dict[_Key, _Found]) -> None:
    done = [t for t in turns if t.processed]
    if not done or (len(done) == 1 and done[0].processed == 1):
        return
    ev = sl.ev(done[-1].acquired)
    if any(t.processed > 1 for t in done):
        _add(found, PROCESSED_TWICE, key, VIOLATION, "same-turn",
             "processed more than once within one acquisition: the application repeated its own work", ev)
        return
    judgement, category, cause = _why_again(sl, group, done[0])
    _add(found, PROCESSED_TWICE, key, judgement, category,
         f"{cause}, so {{they}} {{was}} processed again on a later delivery" + (
             "" if judgement == VIOLATION else " (at-least-once: a share group redelivers what was not "
                                               "acknowledged)"), ev)


def _final(sl: ShareLog, group: ShareGroup, key: GTPO, turns: list[_Turn], found: dict[_Key, _Found]) -> None:
    """Rejected or archived: what became of the record after its last acquisition."""
    last = turns[-1]
    ev = sl.ev(last.acquired)
    ack = last.ack
    if ack is not None and ack.action == AckType.REJECT:
        if last.failure is not None:
            _add(found, REJECTED, key, EXPECTED, "after-failure",
                 f"{_who(ack)} rejected {{it}}{_failure(last)}: archived, never delivered again (expected: "
                 "REJECT is how a share member drops a record it cannot process)", ack)
        else:
            _add(found, REJECTED, key, VIOLATION, "no-failure",
                 f"{_who(ack)} rejected {{it}} although it recorded no failure: a REJECT archives a record for "
                 "good, so only a record the member failed on should be rejected", ack)
        return
    count = ev.delivery_count
    if count is None or count < group.delivery_count_limit:
        return
    released = ack is not None and ack.action == AckType.RELEASE
    if not released and (ack is not None or last.ended is None):
        return  # accepted, or still held when the run ended
    how = f"released {{it}}{_failure(last)}" if released else f"{_ending(sl, last)} holding {{it}}"
    seen = " (it was processed on an earlier delivery, but never accepted)" if any(t.processed for t in turns) \
        else ""
    _add(found, ARCHIVED, key, EXPECTED, "limit",
         f"{_who(ev)} {how} at delivery count {count} = share.delivery.count.limit, so the broker archived "
         f"{{it}} for good, and no member completed {{it}}{seen}", ev, count)


def _anomaly(k: _Key, f: _Found) -> Anomaly:
    kind, group, topic, p, judgement, _category = k
    n = len(f.offsets)
    it = "it" if n == 1 else "them"
    lead = {
        DELIVERED_AGAIN: f"{plural(n, 'record')} of {where(topic, p)} ({offsets_phrase(f.offsets)}) "
                         f"{'was' if n == 1 else 'were'} acquired again by share group {group}"
                         + (f" (delivery counts up to {f.top})" if f.top > 1 else ""),
        PROCESSED_TWICE: f"share group {group} processed {plural(n, 'record')} of {where(topic, p)} "
                         f"({offsets_phrase(f.offsets)}) more than once",
        REJECTED: f"{plural(n, 'record')} of {where(topic, p)} ({offsets_phrase(f.offsets)}) "
                  f"{'was' if n == 1 else 'were'} rejected in share group {group}",
        ARCHIVED: f"{plural(n, 'record')} of {where(topic, p)} ({offsets_phrase(f.offsets)}) "
                  f"{'was' if n == 1 else 'were'} archived by share group {group}",
    }[kind]
    text = (f.text.replace("{it}", it).replace("{they}", "it" if n == 1 else "they")
            .replace("{was}", "was" if n == 1 else "were"))
    return Anomaly(kind=kind, judgement=judgement, topic=topic, partition=p, offsets=tuple(f.offsets),
                   msg_ids=tuple(f.msg_ids), explanation=f"{lead}: {text}.", members=tuple(f.members), count=n,
                   group=group)


# ---------------------------------------------------------------------------------------------- never acquired

def _never_acquired(ix: Indexes, sl: ShareLog) -> list[Anomaly]:
    out: list[Anomaly] = []
    for name, group in sorted(sl.groups.items()):
        started = ix.history.group_started_at.get(name)
        latest = group.auto_offset_reset in LATEST
        for topic in group.topics:
            for part in sorted(ix.by_topic.get(topic, ()), key=lambda x: x.partition):
                seen = {k[3] for k in sl.records if k[:3] == (name, topic, part.partition)
                        and sl.records[k].acquired}
                first = min(seen, default=None)
                before: list[tuple[int, str | None]] = []
                never: list[tuple[int, str | None]] = []
                for off, mid in part.audit.records:
                    if off in seen:
                        continue
                    rec = ix.record(topic, mid)
                    if rec is None and (first is None or off < first):
                        continue  # not produced in this run and below what the group reached: earlier runs
                    if latest and rec is not None and started is not None and rec.t_send < started:
                        before.append((off, mid))
                    else:
                        never.append((off, mid))
                out.extend(_unreached(name, group, topic, part.partition, before, never, bool(seen)))
    return out


def _unreached(name: str, group: ShareGroup, topic: str, p: int, before: list[tuple[int, str | None]],
               never: list[tuple[int, str | None]], any_acquired: bool) -> list[Anomaly]:
    out: list[Anomaly] = []
    if before:
        offs = [o for o, _ in before]
        out.append(Anomaly(
            kind=SKIPPED, judgement=EXPECTED, topic=topic, partition=p, offsets=tuple(offs),
            msg_ids=tuple(m for _, m in before if m is not None), count=len(offs), group=name,
            explanation=(f"{plural(len(offs), 'record')} of {where(topic, p)} ({offsets_phrase(offs)}) "
                         f"{'was' if len(offs) == 1 else 'were'} produced before share group {name} started, "
                         f"and with share.auto.offset.reset={group.auto_offset_reset} a new share group starts "
                         "at the end of the partition (before group start; not a loss).")))
    if never:
        offs = [o for o, _ in never]
        who = ("" if any_acquired else "; no member of the group acquired anything from this partition")
        out.append(Anomaly(
            kind=UNCONSUMED, judgement=LIVENESS, topic=topic, partition=p, offsets=tuple(offs),
            msg_ids=tuple(m for _, m in never if m is not None), count=len(offs), group=name,
            explanation=(f"{plural(len(offs), 'record')} of {where(topic, p)} ({offsets_phrase(offs)}) "
                         f"{'is' if len(offs) == 1 else 'are'} in the log, but no member of share group {name} "
                         f"acquired {'it' if len(offs) == 1 else 'them'} before the run ended{who}. Not a "
                         "loss: the records are in the log, the group has not read them (yet).")))
    return out
