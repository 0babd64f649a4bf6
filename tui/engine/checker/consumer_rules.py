"""Consumer-group anomalies with causes: A5 redelivered (+ processed-twice); A6 is in gap_rules.

Causes are read from the consumption log: what ended the previous owner's assignment (CRASH, KICKED,
REVOKE, LOST, LEAVE, or a SEEK), the last successful commit before the redelivery, failed commits, and
the member's commit strategy at the time (the ``strategy`` field of its events). Processing again after
a revoke is judged by the member's rebalance listener (``commit_on_revoke`` of the REVOKE / LOST event):
without it, at-least-once; with it, the listener's commit should have covered what was processed.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

from tui.engine.checker.consumer_log import GTP, RESET_MODE, Commit, ConsumptionLog, MemberKey, Redelivery
from tui.engine.checker.text import offsets_phrase, plural, where
from tui.engine.checker.verdict import EXPECTED, PROCESSED_TWICE, REDELIVERED, VIOLATION, Anomaly
from tui.engine.history import ConsumerEventKind
from tui.vocab import Strategy

K = ConsumerEventKind


@dataclass
class _Episode:
    gtp: GTP
    prev: int
    cur: int
    cause: str
    cause_idx: int | None = None
    offsets: list[int] = field(default_factory=list)
    msg_ids: list[str] = field(default_factory=list)
    extra: int = 0


def ending(log: ConsumptionLog, mk: MemberKey, after: int, before: int | None, topic: str,
            p: int) -> int | None:
    """Index of the first event after ``after`` (and before ``before``) that ended ``mk``'s ownership of p."""
    ends = log.endings.get(mk)
    if not ends:
        return None
    for j in ends[bisect.bisect_right(ends, after):]:
        if before is not None and j >= before:
            return None
        ev = log.events[j]
        if ev.kind in (K.REVOKE, K.LOST) and (ev.topic != topic or p not in ev.partitions):
            continue
        return j
    return None


def _seek_between(log: ConsumptionLog, mk: MemberKey, after: int, before: int, topic: str,
                  p: int) -> int | None:
    seeks = log.seeks.get(mk)
    if not seeks:
        return None
    found = None
    for j in seeks[bisect.bisect_right(seeks, after):]:
        if j >= before:
            break
        ev = log.events[j]
        if ev.topic == topic and ev.partition == p:
            found = j
    return found


def _last_commit_before(log: ConsumptionLog, gtp: GTP, idx: int) -> Commit | None:
    commits = log.commits.get(gtp)
    if not commits:
        return None
    i = _bisect_commits(commits, idx)
    return commits[i - 1] if i > 0 else None


def _bisect_commits(commits: list[Commit], idx: int) -> int:
    lo, hi = 0, len(commits)
    while lo < hi:
        mid = (lo + hi) // 2
        if commits[mid].idx < idx:
            lo = mid + 1
        else:
            hi = mid
    return lo


def ending_phrase(log: ConsumptionLog, j: int, p: int, done: int | None = None) -> str:
    """'member m2 crashed after processing offset 117 (crash point: ...)' and the like."""
    ev = log.events[j]
    who = f"member {ev.member}"
    after = f" after processing offset {done}" if done is not None else ""
    if ev.kind is K.CRASH:
        return f"{who} crashed{after}" + (f" (crash point: {ev.detail})" if ev.detail else "")
    if ev.kind is K.KICKED:
        text = f"{who} was kicked out of the group for exceeding max.poll.interval.ms"
        return text + (f" (it had processed up to offset {done})" if done is not None else "")
    if ev.kind is K.LEAVE:
        return f"{who} left the group"
    gen = f" in generation {ev.generation}" if ev.generation is not None else ""
    if ev.kind is K.LOST:
        return f"{who} lost partition {p}{gen} (its session expired or it was fenced)"
    return f"partition {p} was revoked from {who}{gen}"


def _cause(log: ConsumptionLog, rd: Redelivery) -> tuple[int | None, str]:
    events = log.events
    prev, cur = events[rd.prev], events[rd.cur]
    _g, topic, p = rd.gtp
    pmk, cmk = (prev.member, prev.incarnation), (cur.member, cur.incarnation)
    seek = _seek_between(log, cmk, rd.prev, rd.cur, topic, p)
    if seek is not None:
        return seek, f"member {cur.member} seeked partition {p} back to offset {events[seek].offset}"
    reset = next((j for j in reversed(log.resets.get(rd.gtp, ())) if rd.prev < j < rd.cur), None)
    if reset is not None:
        rev = events[reset]
        how = f" ({rev.detail})" if rev.detail else ""
        return reset, (f"group {rd.gtp[0]}'s committed offset of partition {p} was reset to {rev.offset}"
                       f"{how} on purpose")
    end = ending(log, pmk, rd.prev, rd.cur, topic, p)
    if end is not None:
        done = log.last_processed.get((prev.member, prev.incarnation, topic, p))
        return end, ending_phrase(log, end, p, done)
    if pmk == cmk:
        return None, f"member {cur.member} received it again within one assignment"
    return None, f"member {prev.member} (incarnation {prev.incarnation}) stopped owning partition {p}"


def redelivered(log: ConsumptionLog) -> list[Anomaly]:
    episodes: dict[tuple[object, ...], _Episode] = {}
    counted: dict[GTP, set[int]] = {}
    events = log.events
    for rd in log.redeliveries:
        prev, cur = events[rd.prev], events[rd.cur]
        cause_idx, cause = _cause(log, rd)
        # one episode per (partition, previous owner, new owner, cause): e.g. a crashed member's batch
        key = (rd.gtp, prev.member, prev.incarnation, cur.member, cur.incarnation, cause_idx, cause)
        ep = episodes.get(key)
        if ep is None:
            ep = episodes[key] = _Episode(gtp=rd.gtp, prev=rd.prev, cur=rd.cur, cause=cause,
                                          cause_idx=cause_idx)
        ep.extra += 1
        seen = counted.setdefault(rd.gtp, set())
        if rd.offset not in seen:
            seen.add(rd.offset)
            ep.offsets.append(rd.offset)
            if cur.msg_id is not None:
                ep.msg_ids.append(cur.msg_id)
    out: list[Anomaly] = []
    for ep in episodes.values():
        out.extend(_episode_anomalies(log, ep))
    out.extend(_unexplained_double_processing(log, counted))
    return out


def _episode_anomalies(log: ConsumptionLog, ep: _Episode) -> list[Anomaly]:
    events = log.events
    prev, cur = events[ep.prev], events[ep.cur]
    group, topic, p = ep.gtp
    commit = _last_commit_before(log, ep.gtp, ep.cur)
    committed = ("the group resumed from there" if commit is not None and commit.mode == RESET_MODE else
                 f"the last successful commit before that was {commit.offset} (member {commit.member}, "
                 f"{commit.mode or 'commit'})" if commit is not None else
                 f"group {group} had no successful commit of partition {p} before that")
    failures = [j for j in log.failed_commits.get((prev.member, prev.incarnation), []) if ep.prev < j < ep.cur]
    if failures:
        fev = events[failures[-1]]
        committed += f"; a commit by {prev.member} had failed ({fev.error or 'error'})"
    strategy = f" (strategy {prev.strategy})" if prev.strategy else ""
    if prev.strategy == "transactional":
        strategy = (" (strategy transactional: its open transaction is aborted, so read_committed readers "
                    "of the output never see the first copies)")
    gen = cur.generation if cur.generation is not None else _generation_of(log, ep.cur)
    to = f"member {cur.member}" + (f" (incarnation {cur.incarnation})" if cur.member == prev.member else "")
    to += f" in generation {gen}" if gen is not None else ""
    twice = log.processed_twice.get(ep.gtp, set())
    again = [o for o in ep.offsets if o in twice]
    extra = f"{plural(ep.extra, 'extra delivery', 'extra deliveries')}"
    if again:
        extra += f"; {len(again)} processed twice"
    fresh = len(ep.offsets) - len(again)
    if fresh and again:
        extra += f", {fresh} never processed before"
    members = tuple(dict.fromkeys((prev.member, cur.member)))
    shown = offsets_phrase(ep.offsets or [events[ep.cur].offset or 0])
    text = (f"{ep.cause}{strategy}; {committed}, so {shown} "
            f"of {where(topic, p)} {'was' if len(set(ep.offsets)) == 1 else 'were'} delivered again to {to} "
            f"({extra}).")
    out = [Anomaly(kind=REDELIVERED, judgement=EXPECTED, topic=topic, partition=p, offsets=tuple(ep.offsets),
                   msg_ids=tuple(ep.msg_ids), explanation=text, members=members, count=len(ep.offsets),
                   group=group)]
    if again:
        ids = [m for o in again if (m := _msg_at(log, ep.gtp, o)) is not None]
        listener = _listener_judgement(log, ep, again, to, committed, failures)
        if listener is not None:
            judgement, text = listener
        else:
            judgement, why = _twice_judgement(log, ep, prev.strategy, failures)
            text = (f"{ep.cause}{strategy}; {committed}, so {to} processed {offsets_phrase(again)} of "
                    f"{where(topic, p)} a second time ({why}).")
        out.append(Anomaly(
            kind=PROCESSED_TWICE, judgement=judgement, topic=topic, partition=p,
            offsets=tuple(again), msg_ids=tuple(ids), members=members, count=len(again), group=group,
            explanation=text))
    return out


LISTENER_COMMITS = frozenset({"on-revoke", "on-lost"})
"""``detail`` of the rebalance listener's COMMIT_REQ / COMMIT_RESULT."""


def _listener_judgement(log: ConsumptionLog, ep: _Episode, again: list[int], to: str, committed: str,
                        failures: list[int]) -> tuple[str, str] | None:
    """Processing again after a revoke (or loss) whose member recorded its rebalance listener setting."""
    if ep.cause_idx is None:
        return None
    cev = log.events[ep.cause_idx]
    if cev.kind not in (K.REVOKE, K.LOST) or cev.commit_on_revoke is None:
        return None
    prev = log.events[ep.prev]
    p = ep.gtp[2]
    lost = cev.kind is K.LOST
    had = (f"member {prev.member} had processed {offsets_phrase(again)} when partition {p} was "
           f"{'lost' if lost else 'revoked'}")
    tail = f"they were processed again by {to}"
    if not cev.commit_on_revoke:
        why = (" A lost partition cannot be committed any more (the coordinator has fenced the member's "
               "generation), so a listener would not have helped; at-least-once." if lost else
               " A rebalance listener that commits processed offsets on revoke prevents exactly this; "
               "at-least-once without it.")
        return EXPECTED, f"{had} and did not commit them (no commit-on-revoke; {committed}): {tail}.{why}"
    tried = [j for j in failures if log.events[j].detail in LISTENER_COMMITS] or failures
    if tried:
        err = log.events[tried[-1]].error or "error"
        return EXPECTED, (f"{had}; its commit on {'lost' if lost else 'revoke'} failed ({err}), so nothing "
                          f"covered them: {tail} (at-least-once).")
    if lost:
        return EXPECTED, (f"{had}; commit-on-revoke was on, but a lost partition cannot be committed any more "
                          f"(the coordinator has fenced the member's generation): {tail} (at-least-once).")
    return VIOLATION, (f"{had}; commit-on-revoke was on, yet no commit covered them before the partition moved "
                       f"({committed}): {tail}. The rebalance listener must commit processed offsets before it "
                       "gives a partition up, so this is the member's fault, not Kafka's.")


def _twice_judgement(log: ConsumptionLog, ep: _Episode, strategy: str | None,
                     failures: list[int]) -> tuple[str, str]:
    """kafkatest consumer bounce: after a clean shutdown nothing may be consumed twice, because every
    strategy but ``never`` commits what it processed before leaving. Re-processing after a clean leave
    is then the member's own fault, unless its commit on the way out failed."""
    if ep.cause_idx is not None and log.events[ep.cause_idx].kind is K.RESET:
        return EXPECTED, "the group was rewound on purpose, so every record from there is processed again"
    left = ep.cause_idx is not None and log.events[ep.cause_idx].kind is K.LEAVE
    if not left:
        return EXPECTED, "at-least-once: processed, then redelivered before a commit covered it"
    if strategy is None:
        return EXPECTED, ("the member's strategy was not recorded, so whether its leave should have committed "
                          "is unknown")
    if strategy == Strategy.NEVER:
        return EXPECTED, "strategy never commits no offset at all, not even on a clean leave"
    if failures:
        err = log.events[failures[-1]].error or "error"
        return EXPECTED, f"its commit before leaving failed ({err}), so at-least-once redelivery followed"
    return VIOLATION, (f"the member left cleanly without committing what it processed: strategy {strategy} "
                       "commits processed records on a clean leave, so this is the member's fault, not Kafka's")


def _unexplained_double_processing(log: ConsumptionLog, counted: dict[GTP, set[int]]) -> list[Anomaly]:
    """Offsets processed twice although delivered once: the application repeated work by itself."""
    out: list[Anomaly] = []
    for gtp, offs in log.processed_twice.items():
        lone = sorted(o for o in offs if o not in counted.get(gtp, set()))
        if not lone:
            continue
        group, topic, p = gtp
        out.append(Anomaly(
            kind=PROCESSED_TWICE, judgement=VIOLATION, topic=topic, partition=p, offsets=tuple(lone),
            msg_ids=tuple(m for o in lone if (m := _msg_at(log, gtp, o)) is not None), count=len(lone),
            group=group,
            explanation=(f"group {group} processed {offsets_phrase(lone)} of {where(topic, p)} more than once "
                         "although each was delivered only once.")))
    return out


def _msg_at(log: ConsumptionLog, gtp: GTP, offset: int) -> str | None:
    idx = log.deliveries.get(gtp, {}).get(offset)
    return log.events[idx].msg_id if idx is not None else None


def _generation_of(log: ConsumptionLog, idx: int) -> int | None:
    ev = log.events[idx]
    for j in range(idx, -1, -1):
        e = log.events[j]
        if e.kind is K.ASSIGN and e.member == ev.member and e.incarnation == ev.incarnation:
            return e.generation
    return None
