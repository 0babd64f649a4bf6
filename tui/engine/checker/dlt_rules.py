"""Dead-letter topics judged against their sources: ``dead-lettered`` and ``dlt-duplicate``.

Every record of a dead-letter topic carries origin headers (``kx-dlt-topic``, ``-partition``,
``-offset``, ``-group``, ``-member``; :class:`DltOrigin` as the final drain read them), so each copy maps
to one source record as one group saw it: (group, topic, partition, offset).

* **dead-lettered** counts source records with a copy in a DLT, once each: expected when a member of the
  group failed on the record (its FAILED event) and its policy dead-lettered it; a violation when no
  failure was recorded, when the origin points at a different record, or when a DLT record cannot be
  traced to a source at all.
* **dlt-duplicate** counts source records with more than one copy: expected when the member that sent
  the first copy stopped owning the partition (crash, kick, rebalance) before a commit covered the record,
  because the DLT send and the commit are not atomic; a violation otherwise (the DLT producer is
  idempotent, so only the member itself could send it twice).

Records whose source the group never reached in this log (earlier runs) are not judged. A source record
that failed, was neither processed, skipped by policy nor dead-lettered is left to ``gap_rules``
(skipped when committed past, unconsumed or in flight otherwise), so nothing is counted twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tui.engine.checker.consumer_log import GTPO, ConsumptionLog, MemberKey
from tui.engine.checker.consumer_rules import ending, ending_phrase
from tui.engine.checker.index import Indexes
from tui.engine.checker.text import listed, offsets_phrase, plural, where
from tui.engine.checker.verdict import DEAD_LETTERED, DLT_DUPLICATE, EXPECTED, VIOLATION, Anomaly
from tui.engine.history import ConsumerEvent, DltOrigin


@dataclass(frozen=True, slots=True)
class DltCopy:
    topic: str
    partition: int
    offset: int
    msg_id: str | None
    origin: DltOrigin

    @property
    def sender(self) -> MemberKey | None:
        o = self.origin
        return (o.member, o.incarnation) if o.member is not None and o.incarnation is not None else None

    def text(self) -> str:
        return where(self.topic, self.partition, self.offset)


@dataclass
class DltIndex:
    topics: set[str] = field(default_factory=set)
    """Dead-letter topics: named by the History, by a DLT_SENT, or holding records with origin headers."""
    copies: dict[GTPO, list[DltCopy]] = field(default_factory=dict)
    """Source record -> its copies, in DLT order."""
    untraceable: dict[tuple[str, int], list[tuple[int, str | None]]] = field(default_factory=dict)
    """DLT partition -> (offset, msg_id) of records without a readable origin."""
    unaudited: set[GTPO] = field(default_factory=set)
    """Source records whose acknowledged DLT send went to a topic the final drain did not read."""

    def covers(self, key: GTPO) -> bool:
        """Whether the source record is accounted for by a dead-letter copy."""
        return key in self.copies or key in self.unaudited


def index_dlt(ix: Indexes, log: ConsumptionLog) -> DltIndex:
    dix = DltIndex(topics=set(ix.history.dead_letter_topics))
    sent_to: dict[tuple[str, int, int], str] = {}
    """DLT position -> group of the DLT_SENT that reported it."""
    for key, idxs in log.dlt_sends.items():
        for i in idxs:
            ev = log.events[i]
            if ev.dlt is None:
                continue
            dix.topics.add(ev.dlt.topic)
            if ev.ok and ev.dlt.partition is not None and ev.dlt.offset is not None:
                sent_to[(ev.dlt.topic, ev.dlt.partition, ev.dlt.offset)] = ev.group
            if ev.ok and ev.dlt.topic not in ix.by_topic:
                dix.unaudited.add(key)
    dix.topics.update(topic for (topic, _p), part in ix.parts.items() if part.audit.dlt_origins)
    for (topic, p), part in sorted(ix.parts.items()):
        if topic not in dix.topics:
            continue
        origins = {o.offset: o for o in part.audit.dlt_origins}
        for off, mid in part.audit.records:
            origin = origins.get(off)
            if (origin is None or origin.topic is None or origin.partition is None
                    or origin.source_offset is None):
                dix.untraceable.setdefault((topic, p), []).append((off, mid))
                continue
            group = origin.group or sent_to.get((topic, p, off)) or _failing_group(log, origin)
            if group is None:
                continue
            key = (group, origin.topic, origin.partition, origin.source_offset)
            dix.copies.setdefault(key, []).append(DltCopy(topic, p, off, mid, origin))
    return dix


def _failing_group(log: ConsumptionLog, origin: DltOrigin) -> str | None:
    """The one group that recorded a failure of the origin's record (copies without a group header)."""
    groups = {g for (g, t, p, o) in log.failures
              if (t, p, o) == (origin.topic, origin.partition, origin.source_offset)}
    return groups.pop() if len(groups) == 1 else None


def _judged(log: ConsumptionLog, key: GTPO) -> bool:
    """A record of this run: its group failed on it or dead-lettered it here, or it lies at or above the
    offset the group had committed when it first got the partition in this log."""
    if key in log.failures or key in log.dlt_sends:
        return True
    floor = log.initial_commit.get(key[:3])
    return floor is not None and key[3] >= floor


# ---------------------------------------------------------------------------------------------- dead-lettered

_Bucket = tuple[str, str, int, str, str]
"""(group, topic, partition, judgement, reason)"""


def dead_lettered(dix: DltIndex, ix: Indexes, log: ConsumptionLog) -> list[Anomaly]:
    buckets: dict[_Bucket, list[tuple[GTPO, list[DltCopy]]]] = {}
    for key, copies in dix.copies.items():
        if not _judged(log, key):
            continue
        judgement, reason = _dead_letter_reason(ix, log, key, copies)
        buckets.setdefault((key[0], key[1], key[2], judgement, reason), []).append((key, copies))
    for key in dix.unaudited - set(dix.copies):
        if not _judged(log, key):
            continue
        judgement, reason = EXPECTED, _failure_words(log, key) + (
            "; its DLT send was acknowledged, but the final drain did not re-read that topic")
        buckets.setdefault((key[0], key[1], key[2], judgement, reason), []).append((key, []))
    out: list[Anomaly] = []
    for (group, topic, p, judgement, reason), items in sorted(buckets.items()):
        items.sort(key=lambda item: item[0][3])
        offs = [k[3] for k, _ in items]
        copies = [c for _, cs in items for c in cs]
        n = len(items)
        shown = listed([c.text() for c in copies]) if copies else "a topic that was not re-read"
        out.append(Anomaly(
            kind=DEAD_LETTERED, judgement=judgement, topic=topic, partition=p, offsets=tuple(offs),
            msg_ids=tuple(dict.fromkeys(m for c in copies if (m := c.msg_id) is not None)), count=n,
            group=group,
            members=tuple(dict.fromkeys(m for c in copies if (m := c.origin.member) is not None)),
            explanation=(f"{plural(n, 'record')} of {where(topic, p)} ({offsets_phrase(offs)}) "
                         f"{'was' if n == 1 else 'were'} dead-lettered by group {group} to {shown}: "
                         f"{reason}.")))
    for (topic, p), found in sorted(dix.untraceable.items()):
        offs = [o for o, _ in found]
        n = len(found)
        out.append(Anomaly(
            kind=DEAD_LETTERED, judgement=VIOLATION, topic=topic, partition=p, offsets=tuple(offs),
            msg_ids=tuple(m for _, m in found if m is not None), count=n,
            explanation=(f"{plural(n, 'record')} of the dead-letter topic {where(topic, p)} "
                         f"({offsets_phrase(offs)}) {'carries' if n == 1 else 'carry'} no readable origin "
                         "(headers kx-dlt-topic, kx-dlt-partition, kx-dlt-offset): a dead-letter record must "
                         "say which source record it stands for.")))
    return out


def _dead_letter_reason(ix: Indexes, log: ConsumptionLog, key: GTPO, copies: list[DltCopy]) -> tuple[str, str]:
    group, topic, p, off = key
    part = ix.parts.get((topic, p))
    mid = copies[0].msg_id
    if part is not None and part.audit.low <= off < part.audit.high:
        stored = part.at.get(off)
        if off not in part.at:
            return VIOLATION, (f"its origin header points at {where(topic, p, off)}, where the source holds no "
                               "record")
        if stored is not None and mid is not None and stored != mid:
            return VIOLATION, (f"its origin header points at {where(topic, p, off)}, which holds {stored}, not "
                               f"{mid}")
    if key not in log.failures:
        return VIOLATION, (f"no member of group {group} recorded a failure of it, yet it is in the dead-letter "
                           "topic")
    reason = _failure_words(log, key)
    if off in log.processed_offsets.get((group, topic, p), {}):
        reason += "; it was also processed, on a later delivery"
    return EXPECTED, reason + " (expected: the dead-letter policy moves a failed record aside and goes on)"


def _failure_words(log: ConsumptionLog, key: GTPO) -> str:
    """'member m1 failed on it (invalid-json) and its policy dead-lettered it after 3 attempts'."""
    fails = log.failures.get(key)
    if not fails:
        return "no failure of it was recorded"
    first = log.events[fails[0]]
    action = log.last_action(key)
    attempts = action.attempt if action is not None and action.attempt else len(fails)
    retried = " after " + plural(attempts, "attempt") + " (retry, then dead-letter)" if attempts > 1 else ""
    return (f"member {first.member} failed on it ({first.error or 'error'}"
            + (f": {first.detail}" if first.detail else "")
            + f") and its error policy dead-lettered it{retried}")


# ---------------------------------------------------------------------------------------------- dlt-duplicate

def dlt_duplicates(dix: DltIndex, log: ConsumptionLog) -> list[Anomaly]:
    out: list[Anomaly] = []
    for key, copies in sorted(dix.copies.items()):
        if len(copies) < 2 or not _judged(log, key):
            continue
        group, topic, p, off = key
        judgement, reason = _duplicate_reason(log, key, copies)
        senders = [f"{c.text()} (from member {c.origin.member}, incarnation {c.origin.incarnation})"
                   if c.origin.member is not None else c.text() for c in copies]
        out.append(Anomaly(
            kind=DLT_DUPLICATE, judgement=judgement, topic=topic, partition=p, offsets=(off,),
            msg_ids=tuple(m for m in {c.msg_id for c in copies} if m is not None), count=1, group=group,
            members=tuple(dict.fromkeys(m for c in copies if (m := c.origin.member) is not None)),
            explanation=(f"{where(topic, p, off)} is in the dead-letter topic {len(copies)} times "
                         f"({listed(senders)}): {reason}.")))
    return out


def _duplicate_reason(log: ConsumptionLog, key: GTPO, copies: list[DltCopy]) -> tuple[str, str]:
    group, topic, p, off = key
    sends = [log.events[i] for i in log.dlt_sends.get(key, []) if log.events[i].ok]
    first = copies[0].sender or ((sends[0].member, sends[0].incarnation) if sends else None)
    if first is None:
        return VIOLATION, "the copies do not say which member sent them, so nothing explains the second copy"
    after = _first_touch(log, key, first)
    end = ending(log, first, after, None, topic, p)
    if end is None:
        return VIOLATION, (f"member {first[0]} (incarnation {first[1]}) sent it twice without a crash or "
                           "rebalance in between; the DLT producer is idempotent, so the member itself sent it "
                           "again")
    covered = [c for c in log.commits.get((group, topic, p), []) if after < c.idx < end and c.offset > off]
    if covered:
        c = covered[0]
        return VIOLATION, (f"a commit by member {c.member} had already moved past it (offset {c.offset}) "
                           f"before {ending_phrase(log, end, p)}, yet it was dead-lettered again")
    nxt = copies[1].origin
    inc = f" (incarnation {nxt.incarnation})" if nxt.incarnation is not None else ""
    again = f"member {nxt.member}{inc}" if nxt.member is not None else "another member"
    return EXPECTED, (f"{ending_phrase(log, end, p)} after the first DLT send was acknowledged and before a "
                      f"commit moved past offset {off}, so {again} met the record again and dead-lettered it "
                      "again: expected under the dead-letter policy, whose DLT send and commit are not atomic "
                      "(a crash between the two puts the record in the DLT twice)")


def _first_touch(log: ConsumptionLog, key: GTPO, mk: MemberKey) -> int:
    """Index of the member's first FAILED or DLT_SENT of the record (-1: none recorded)."""
    idxs = [i for i in (*log.failures.get(key, []), *log.dlt_sends.get(key, []))
            if _by(log.events[i], mk)]
    return min(idxs) if idxs else -1


def _by(ev: ConsumerEvent, mk: MemberKey) -> bool:
    return (ev.member, ev.incarnation) == mk
