"""What a group passed over or never reached: A6 skipped and the liveness finding "unconsumed".

Per (group, topic, partition) of every topic a group consumed, each record of the final re-read that
no member of the group processed (at that offset, or at another offset holding the same msg_id) is:

* **skipped-by-policy** when its member failed on it and the error policy skipped it (expected, with the
  error), and not judged here when a dead-letter topic holds it (``dlt_rules`` counts it);
* **skipped** when the group moved past it: its committed offset is beyond it, or an assignment that
  had no committed offset started beyond it (``auto.offset.reset=latest``); the cause is read from the
  consumption log (crash after an at-most-once commit, reset before the group started, a commit past
  undelivered records...);
* **unconsumed** when no member received it before the run ended and nothing moved past it: not a loss,
  the group simply has not read it (yet); reported with the group's lag at the end;
* otherwise (received, not processed, not committed past) it is still in flight and only counts in the
  lag: a member resuming from the committed offset receives it again.

Records below the offset the group had committed when this log began belong to earlier runs.
"""

from __future__ import annotations

import bisect

from tui.engine.checker.consumer_log import GTP, GTPO, RESET_MODE, Commit, ConsumptionLog, FreshStart
from tui.engine.checker.consumer_rules import ending, ending_phrase
from tui.engine.checker.dlt_rules import DltIndex
from tui.engine.checker.index import Indexes, PartitionIndex
from tui.engine.checker.text import listed, offsets_phrase, plural, where
from tui.engine.checker.verdict import (
    EXPECTED,
    LIVENESS,
    POLL_SKIP,
    SKIPPED,
    SKIPPED_BY_POLICY,
    UNCONSUMED,
    VIOLATION,
    Anomaly,
)
from tui.engine.history import ConsumerEvent, ConsumerEventKind, GroupCommit
from tui.vocab import AT_MOST_ONCE_STRATEGIES, PolicyAction, Strategy

K = ConsumerEventKind
LATEST = frozenset({"latest", "largest", "end"})
STRATEGY_NOTES = {
    Strategy.AUTO.value: "librdkafka's auto-commit stores the offset of every record returned to the "
                         "application, processed or not",
    Strategy.COMMIT_BEFORE.value: "it commits a batch before processing it (at-most-once)",
}
Lag = dict[str, dict[str, int]]
"""group -> 'topic/partition' -> offsets from the group's final position to the high watermark."""
_Bucket = tuple[str, str, str, str, list[int], list[str], tuple[str, ...]]
"""(kind, judgement, verb, rest of the explanation, offsets, msg_ids, members)"""
_Found = tuple[tuple[object, ...], str, str, str, str, tuple[str, ...]]
"""(bucket key, kind, judgement, verb, rest of the explanation, members)"""


def final_committed(log: ConsumptionLog, finals: tuple[GroupCommit, ...]) -> dict[GTP, int | None]:
    """Committed offset per (group, topic, partition): the authoritative read, else the last commit."""
    out: dict[GTP, int | None] = {}
    for gtp, commits in log.commits.items():
        out[gtp] = commits[-1].offset
    for gc in finals:
        out[(gc.group, gc.topic, gc.partition)] = gc.offset if gc.offset is None or gc.offset >= 0 else None
    return out


class _ProcessedIds:
    """msg_ids each (group, topic) processed, from one pass over the log, built on first use."""

    def __init__(self, log: ConsumptionLog) -> None:
        self.log = log
        self._ids: dict[tuple[str, str], set[str]] | None = None

    def of(self, group: str, topic: str) -> set[str]:
        if self._ids is None:
            self._ids = {}
            done = K.PROCESSED
            for e in self.log.events:
                if e.kind is done and e.msg_id is not None:
                    self._ids.setdefault((e.group, e.topic), set()).add(e.msg_id)
        return self._ids.get((group, topic), set())


def gaps(log: ConsumptionLog, ix: Indexes, committed: dict[GTP, int | None],
         dlt: DltIndex | None = None) -> tuple[list[Anomaly], Lag]:
    """Skipped (by the group or by its error policy) and unconsumed records of every group, and each
    group's lag per partition."""
    dlt = dlt if dlt is not None else DltIndex()
    buckets: dict[tuple[object, ...], _Bucket] = {}
    lag: Lag = {}
    processed_ids = _ProcessedIds(log)
    poll_skipped: dict[tuple[str | None, str, int | None], set[int]] = {}
    for a in log.rewinds:
        if a.kind == POLL_SKIP:
            poll_skipped.setdefault((a.group, a.topic, a.partition), set()).update(a.offsets)
    for group, topics in sorted(log.groups.items()):
        rc = ix.read_committed(group)
        latest = ix.history.reset_policy.get(group) in LATEST
        for topic in sorted(topics):
            for part in sorted(ix.by_topic.get(topic, ()), key=lambda x: x.partition):
                gtp = (group, topic, part.partition)
                _Partition(log, ix, gtp, part, committed.get(gtp), rc, latest, processed_ids,
                           poll_skipped.get(gtp, set()), buckets, lag, dlt).walk()
    out: list[Anomaly] = []
    for key, (kind, judgement, verb, rest, offs, ids, members) in buckets.items():
        group, topic, p = str(key[0]), str(key[1]), int(str(key[2]))
        n = len(offs)
        lead = (f"{plural(n, 'record')} of {where(topic, p)} ({offsets_phrase(offs)}) "
                f"{'was' if n == 1 else 'were'} {verb} group {group}")
        if kind == UNCONSUMED:
            rest = _unconsumed_text(log, (group, topic, p), n, committed.get((group, topic, p)),
                                    lag[group][f"{topic}/{p}"], ix.parts[(topic, p)].audit.high)
        elif kind == SKIPPED_BY_POLICY:
            rest = _policy_skip_text(log, (group, topic, p, offs[0]), n)
        out.append(Anomaly(kind=kind, judgement=judgement, topic=topic, partition=p, offsets=tuple(offs),
                           msg_ids=tuple(ids), explanation=lead + rest, members=members, count=n, group=group))
    return out, lag


def _policy_skip_text(log: ConsumptionLog, first: GTPO, n: int) -> str:
    action = log.last_action(first)
    fails = log.failures.get(first, [])
    failed = log.events[fails[0]] if fails else None
    member = action.member if action is not None else "?"
    lead = "" if n == 1 else "first: "
    error = (f" ({lead}{failed.error or 'error'}" + (f": {failed.detail}" if failed.detail else "") + ")"
             if failed is not None else "")
    attempts = action.attempt if action is not None and action.attempt else 1
    retried = f" after {plural(attempts, 'attempt')} (retry, then skip)" if attempts > 1 else ""
    return (f": member {member} failed to process {'it' if n == 1 else 'them'}{error} and its error policy "
            f"skipped {'it' if n == 1 else 'them'}{retried} (expected: the skip policy logs a failed record "
            "and commits past it without processing it).")


def _unconsumed_text(log: ConsumptionLog, gtp: GTP, n: int, upto: int | None, lag: int, high: int) -> str:
    position = f"committed offset {upto}" if upto is not None else "no committed offset"
    owners = log.owners.get(gtp)
    if owners:
        owner = f"member{'s' if len(owners) > 1 else ''} {listed(sorted(set(owners)))} still owned it"
    elif gtp not in log.initial_commit:
        owner = "no member of the group was ever assigned it in this run"
    else:
        owner = "no member owned it when the log ended"
    return (f" received {'it' if n == 1 else 'them'} before the run ended; the group's lag at the end "
            f"was {lag:,} ({position}, high watermark {high}) and {owner}. Not a loss: the records are in "
            "the log, the group has not read them (yet).")


class _Partition:
    """One (group, topic, partition): classifies each record the group never processed."""

    def __init__(self, log: ConsumptionLog, ix: Indexes, gtp: GTP, part: PartitionIndex, upto: int | None,
                 rc: bool, latest: bool, processed_ids: _ProcessedIds, poll_skipped: set[int],
                 buckets: dict[tuple[object, ...], _Bucket], lag: Lag, dlt: DltIndex) -> None:
        self.log, self.ix, self.gtp, self.part, self.upto = log, ix, gtp, part, upto
        self.rc, self.latest, self.processed_ids, self.poll_skipped = rc, latest, processed_ids, poll_skipped
        self.buckets, self.lag, self.dlt = buckets, lag, dlt
        self.dmap = log.deliveries.get(gtp, {})
        self.initial = log.initial_commit.get(gtp)
        """Committed offset when first assigned in this log (-1: none); None: never assigned."""
        self.resets: list[FreshStart] = log.fresh_starts.get(gtp, []) if latest else []
        self.first_delivered = min(self.dmap, default=None)

    def floor(self) -> int:
        low = self.part.audit.low
        if self.initial is not None:
            return max(low, self.initial)
        # never assigned in this run: what the group had committed before belongs to earlier runs
        return max(low, self.upto) if self.upto is not None else low

    def walk(self) -> None:
        group, topic, p = self.gtp
        floor, high = self.floor(), self.part.audit.high
        first = self.first_delivered
        position = self.upto if self.upto is not None else (first if first is not None else floor)
        self.lag.setdefault(group, {})[f"{topic}/{p}"] = max(0, high - max(position, floor))
        done = self.log.processed_offsets.get(self.gtp, {})
        at = self.part.at
        # processed at this offset, unless the offset was rewritten since (truncation) with another record
        pending = [o for o in self.part.between(floor, high, self.rc)
                   if o not in done or (done[o] != at[o] and done[o] is not None and at[o] is not None)]
        if not pending:
            return
        elsewhere = self.processed_ids.of(group, topic)
        finder = _CoverFinder(self.log.commits.get(self.gtp, []))
        for o in pending:
            mid = self.part.at[o]
            if mid is not None and mid in elsewhere:
                continue  # processed at another offset (a log duplicate): not skipped
            record = (group, topic, p, o)
            if self.dlt.covers(record):
                continue  # in a dead-letter topic: dlt_rules judges it
            action = self.log.last_action(record)
            if action is not None and action.action == PolicyAction.SKIP:
                failed = self.log.failures.get(record)
                error = self.log.events[failed[0]].error if failed else None
                found: _Found | None = ((*self.gtp, "policy-skip", action.member, error), SKIPPED_BY_POLICY,
                                        EXPECTED, "skipped by the error policy of", "", (action.member,))
            else:
                found = self._judge(o, mid, self.dmap.get(o), finder)
            if found is None:
                continue
            key, kind, judgement, verb, rest, members = found
            entry = self.buckets.get(key)
            if entry is None:
                entry = self.buckets[key] = (kind, judgement, verb, rest, [], [], members)
            entry[4].append(o)
            if mid is not None:
                entry[5].append(mid)

    def _judge(self, o: int, mid: str | None, didx: int | None, finder: _CoverFinder) -> _Found | None:
        group, topic, p = self.gtp
        if didx is None and self._before_start(o, mid):
            reset = self.ix.history.reset_policy.get(group)
            text = (f": they were produced before group {group} first got an assignment, and with "
                    f"auto.offset.reset={reset} a new group starts at the end of the partition (before group "
                    "start; not a loss).")
            return (*self.gtp, "before-start"), SKIPPED, EXPECTED, "skipped by", text, ()
        fresh = self._reset_past(o, didx)
        if fresh is not None:
            gen = f" in generation {fresh.generation}" if fresh.generation is not None else ""
            held = (f"member {self.log.events[didx].member} had received them without processing them; "
                    if didx is not None else "")
            text = (f" (never processed): {held}member {fresh.member} "
                    f"(incarnation {fresh.incarnation}) was then assigned {where(topic, p)}{gen} with no "
                    f"committed offset, and auto.offset.reset={self.ix.history.reset_policy.get(group)} "
                    f"started it at offset {fresh.offset}, past them (expected with that reset policy: "
                    "a group without a committed offset does not read what was written before it starts).")
            key = (*self.gtp, "reset", fresh.idx, didx is not None)
            return key, SKIPPED, EXPECTED, "skipped by", text, (fresh.member,)
        if self.upto is not None and o < self.upto:
            return self._skip_cause(o, didx, finder, self.upto)
        if didx is None and o not in self.poll_skipped:
            return (*self.gtp, "unconsumed"), UNCONSUMED, LIVENESS, "in the log, but no member of", "", ()
        return None  # received but not processed nor committed past: in flight, counted in the lag

    def _before_start(self, o: int, mid: str | None) -> bool:
        """Produced before the group's first assignment, on a partition assigned without a committed
        offset, under a latest reset."""
        if not self.latest or self.initial is None or self.initial >= 0:
            return False
        hist = self.ix.history
        started = hist.group_started_at.get(self.gtp[0])
        rec = self.ix.record(self.gtp[1], mid)
        if rec is not None and started is not None:
            return rec.t_send < started
        first = self.first_delivered
        return first is None or o < first

    def _reset_past(self, o: int, didx: int | None) -> FreshStart | None:
        """A latest-reset start beyond ``o`` after the record's last delivery (if any)."""
        for reset in self.resets:
            if reset.offset > o and (didx is None or didx < reset.idx):
                return reset
        return None

    def _reset_skip(self, cover: Commit, members: tuple[str, ...]) -> _Found:
        """Records an admin reset moved the group past: skipped on purpose, not by a member."""
        text = f" but never processed: {_reset_words(self.log, cover)}, which jumps over them."
        return ((*self.gtp, "reset", cover.idx), SKIPPED, EXPECTED, "committed past by", text, members)

    def _skip_cause(self, o: int, didx: int | None, finder: _CoverFinder, upto: int) -> _Found:
        log = self.log
        group, topic, p = self.gtp
        if didx is not None:
            dev: ConsumerEvent = log.events[didx]
            mk = (dev.member, dev.incarnation)
            end = ending(log, mk, didx, None, topic, p)
            cover = finder.find(didx, o)
            if cover is not None and cover.mode == RESET_MODE:
                return self._reset_skip(cover, (dev.member,))
            commit_text = _commit_words(cover, upto)
            # the committing member's strategy decides (a timer, close or revoke commit reports mode
            # "auto" under every strategy); without a recorded commit, the receiving member's
            strategy = (cover.strategy if cover is not None and cover.strategy else dev.strategy) or "unknown"
            if end is not None:
                done = log.last_processed.get((dev.member, dev.incarnation, topic, p))
                what = ending_phrase(log, end, p, done)
            else:
                what = f"member {dev.member} received them and did not process them"
            excused = strategy in AT_MOST_ONCE_STRATEGIES
            note = STRATEGY_NOTES.get(strategy, "")
            judgement = EXPECTED if excused else VIOLATION
            verdict = (", the documented at-most-once outcome." if excused else
                       ", which should only commit processed records.")
            dead = _dead_letter_note(log, (group, topic, p, o))
            text = (f" but never processed: {what}; {commit_text} (strategy {strategy}"
                    + (f": {note}" if note else "") + ")" + verdict + dead)
            key = (*self.gtp, "delivered", mk, end, cover.idx if cover else None, judgement, dead)
            return key, SKIPPED, judgement, "committed past by", text, tuple(dict.fromkeys(
                (dev.member, *((cover.member,) if cover is not None else ()))))
        cover = finder.find(-1, o)
        if cover is not None and cover.mode == RESET_MODE:
            return self._reset_skip(cover, ())
        text = (f" but never processed: no member of the group ever received them, yet "
                f"{_commit_words(cover, upto)}; committing past undelivered records loses them for the group.")
        members = (cover.member,) if cover is not None else ()
        return ((*self.gtp, "undelivered", cover.idx if cover else None), SKIPPED, VIOLATION,
                "committed past by", text, members)


def _reset_words(log: ConsumptionLog, cover: Commit) -> str:
    ev = log.events[cover.idx]
    how = f" ({ev.detail})" if ev.detail else ""
    return f"the group's committed offset was reset to {cover.offset}{how} on purpose"


def _dead_letter_note(log: ConsumptionLog, key: GTPO) -> str:
    """What the dead-letter policy did about a record the group committed past without a DLT copy."""
    action = log.last_action(key)
    if action is None or action.action != PolicyAction.DEAD_LETTER:
        return ""
    sends = [log.events[i] for i in log.dlt_sends.get(key, [])]
    done = next((e for e in sends if e.ok), None)
    if done is not None and done.dlt is not None:
        return (f" Its error policy dead-lettered it and the send was acknowledged "
                f"({where(done.dlt.topic, done.dlt.partition, done.dlt.offset)}), yet the dead-letter topic's "
                "re-read does not hold it.")
    if sends:
        return (" Its error policy tried to dead-letter it, but the DLT send failed "
                f"({sends[-1].error or 'error'}), and the dead-letter policy must not commit past a record "
                "before its DLT send is acknowledged.")
    return (" Its error policy chose dead-letter, but no DLT send was acknowledged before the commit, and the "
            "dead-letter policy must not commit past a record before its DLT send is acknowledged.")


def _commit_words(c: Commit | None, upto: int) -> str:
    if c is None:
        return f"the group's committed offset is {upto}"
    how = "auto-commit" if c.mode == "auto" else f"a {c.mode} commit" if c.mode else "a commit"
    return f"{how} by member {c.member} committed offset {c.offset}"


class _CoverFinder:
    """First successful commit after a given event whose offset passes a given record (amortised)."""

    def __init__(self, commits: list[Commit]) -> None:
        self.commits = commits
        self.idxs = [c.idx for c in commits]
        self._memo: dict[int, tuple[int, int]] = {}

    def find(self, after: int, offset: int) -> Commit | None:
        start = bisect.bisect_right(self.idxs, after)
        memo = self._memo.get(start)
        i = memo[1] if memo is not None and memo[0] <= offset else start
        while i < len(self.commits) and self.commits[i].offset <= offset:
            i += 1
        self._memo[start] = (offset, i)
        return self.commits[i] if i < len(self.commits) else None

