"""Stalled partitions: ``stuck``, from the engine's stall detector, with the cause read from the log.

The engine samples every group's progress per partition (:class:`tui.engine.history.Stall`); a stall
that lasted at least ``History.stall_threshold`` seconds is one ``stuck`` episode per (group, topic,
partition, committed offset). The record it is stuck at and why come from the consumption log: the
offset the group's members failed on most often during the stall, and the last thing their error policy
did about it. A crash loop under ``fail``, a partition paused by ``pause`` and retries in progress are the
documented behaviour of those policies (expected); a skip or dead-letter that did not move the group on
is a violation; a stall with no failure recorded is a liveness finding (slow processing, a hung or
SIGSTOPped member, or nobody owning the partition).
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass

from tui.engine.checker.consumer_log import GTPO, ConsumptionLog
from tui.engine.checker.index import Indexes
from tui.engine.checker.text import listed, plural, where
from tui.engine.checker.verdict import EXPECTED, LIVENESS, STUCK, VIOLATION, Anomaly
from tui.engine.history import ConsumerEvent, ConsumerEventKind
from tui.vocab import PolicyAction

K = ConsumerEventKind
MOVE_ON = frozenset({PolicyAction.SKIP, PolicyAction.DEAD_LETTER})
"""Policy actions that give a record up, so the partition moves on."""
HELD: dict[str, str] = {PolicyAction.PAUSE: "paused", PolicyAction.RETRY: "retried",
                        PolicyAction.FAIL: "crashed on", PolicyAction.RESUME: "resumed"}
_SLACK = 1.0
"""Seconds around a stall in which its members' events still count (samples are about a second apart)."""


@dataclass
class _Span:
    since: float
    until: float
    ongoing: bool
    lag: int


def stuck(ix: Indexes, log: ConsumptionLog) -> list[Anomaly]:
    hist = ix.history
    spans: dict[tuple[str, str, int, int], _Span] = {}
    for st in hist.stalls:
        if st.until - st.since < hist.stall_threshold:
            continue
        key = (st.group, st.topic, st.partition, st.offset)
        span = spans.get(key)
        if span is None:
            spans[key] = _Span(st.since, st.until, st.ongoing, st.lag)
            continue
        if st.until >= span.until:
            span.until, span.ongoing, span.lag = st.until, st.ongoing, st.lag
        span.since = min(span.since, st.since)
    return [_anomaly(ix, log, key, span, hist.stall_threshold) for key, span in sorted(spans.items())]


def _anomaly(ix: Indexes, log: ConsumptionLog, key: tuple[str, str, int, int], span: _Span,
             threshold: float) -> Anomaly:
    group, topic, p, committed = key
    failing = _failing(log, key, span)
    at = failing[0][3] if failing is not None else committed
    fails = failing[1] if failing is not None else []
    mid = next((e.msg_id for e in fails if e.msg_id is not None), None)
    if mid is None and at >= 0:
        part = ix.parts.get((topic, p))
        mid = part.at.get(at) if part is not None else None
    members: tuple[str, ...] = ()
    if failing is None:
        judgement, cause = LIVENESS, _no_failure(log, group, topic, p, span)
    else:
        judgement, cause = _cause(log, failing[0], fails, span)
        members = tuple(dict.fromkeys(e.member for e in fails))
    duration = span.until - span.since
    still = ", still stuck when the evidence was gathered" if span.ongoing else ""
    position = f"committed offset {committed}" if committed >= 0 else "no committed offset"
    text = (f"group {group} made no progress on {where(topic, p)} for {duration:.0f} s ({_clock(span.since)}–"
            f"{_clock(span.until)}{still}; the threshold is {threshold:g} s) with a lag of "
            f"{plural(span.lag, 'record')} ({position}); it is stuck at offset {at}"
            + (f" ({mid})" if mid is not None else "") + f": {cause}.")
    return Anomaly(kind=STUCK, judgement=judgement, topic=topic, partition=p, offsets=(at,) if at >= 0 else (),
                   msg_ids=(mid,) if mid is not None else (), explanation=text, members=members, count=1,
                   group=group)


def _failing(log: ConsumptionLog, key: tuple[str, str, int, int],
             span: _Span) -> tuple[GTPO, list[ConsumerEvent]] | None:
    """The record the group's members failed on most often during the stall (the lowest on a tie)."""
    group, topic, p, committed = key
    seen: Counter[GTPO] = Counter()
    events: dict[GTPO, list[ConsumerEvent]] = {}
    for rec, idxs in log.failures.items():
        if rec[:3] != (group, topic, p) or rec[3] < committed:
            continue
        inside = [log.events[i] for i in idxs if _within(log.events[i], span)]
        if inside:
            seen[rec] = len(inside)
            events[rec] = inside
    if not seen:
        return None
    rec = min(seen, key=lambda r: (-seen[r], r[3]))
    return rec, events[rec]


def _within(ev: ConsumerEvent, span: _Span) -> bool:
    return span.since - _SLACK <= ev.ts <= span.until + _SLACK


def _cause(log: ConsumptionLog, rec: GTPO, fails: list[ConsumerEvent], span: _Span) -> tuple[str, str]:
    first = fails[0]
    error = f"{first.error or 'error'}" + (f": {first.detail}" if first.detail else "")
    who = listed(list(dict.fromkeys(f"member {e.member}" for e in fails)))
    actions = [e for i in log.actions.get(rec, []) if _within(e := log.events[i], span)]
    ended_by = None
    if not span.ongoing and actions and actions[-1].action in MOVE_ON:
        # the skip or dead-letter that ended the stall: what held the partition came before it
        ended_by = actions.pop()
    last = actions[-1] if actions else None
    times = plural(len(fails), "time")
    if ended_by is not None:
        held = "" if last is None else f" while its error policy {HELD.get(str(last.action), 'held')} it"
        return EXPECTED, (f"{who} failed on it {times} ({error}){held}, until the error policy "
                          f"{ended_by.action} moved the group past it at {_clock(ended_by.ts)} (expected: the "
                          "stall ends when the policy gives the record up)")
    if last is None:
        return LIVENESS, f"{who} failed on it {times} ({error}) without a recorded policy action"
    act = last.action
    if act == PolicyAction.FAIL:
        crashes = sum(1 for e in actions if e.action == PolicyAction.FAIL)
        return EXPECTED, (f"a crash loop: {who} failed on it ({error}) and the error policy fail crashed the "
                          f"member {plural(crashes, 'time')}, each restart meeting the record again; the rest "
                          "of the group moves on (expected under fail: a poison record stops its partition)")
    if act in (PolicyAction.PAUSE, PolicyAction.RESUME):
        if act == PolicyAction.RESUME:
            return EXPECTED, (f"{who} paused it after failing on it ({error}), was resumed and failed again: "
                              "the pause policy holds the partition until the record can be processed")
        return EXPECTED, (f"{who} failed on it ({error}) and the error policy pause paused the partition; it "
                          "was not resumed (expected under pause: resume it once the cause is fixed, or switch "
                          "the policy)")
    if act == PolicyAction.RETRY:
        return EXPECTED, (f"{who} failed on it {times} ({error}) and the error policy retry was still "
                          f"retrying it ({last.detail or 'with backoff'})")
    if act == PolicyAction.DEAD_LETTER:
        failed = [e for i in log.dlt_sends.get(rec, []) if not (e := log.events[i]).ok]
        if failed:
            return EXPECTED, (f"{who} failed on it ({error}) and its dead-letter sends fail "
                              f"({failed[-1].error or 'error'}); the dead-letter policy does not commit past a "
                              "record before its DLT send is acknowledged")
        return VIOLATION, (f"{who} failed on it ({error}) and the error policy dead-lettered it, yet the group "
                           "did not move past it")
    return VIOLATION, (f"{who} failed on it ({error}) and the error policy {act or 'skip'} moved on, yet the "
                       "group did not move past it")


def _no_failure(log: ConsumptionLog, group: str, topic: str, p: int, span: _Span) -> str:
    owners = log.owners.get((group, topic, p))
    kicked = {e.member for e in log.events if e.kind is K.KICKED and e.group == group and _within(e, span)}
    text = "no member reported a failure there (slow processing, a hung or paused member process"
    text += ", or a partition nobody owned)"
    if kicked:
        verb = "was" if len(kicked) == 1 else "were"
        text += f"; {listed(sorted(kicked))} {verb} kicked out for exceeding max.poll.interval.ms meanwhile"
    if owners:
        text += f"; {listed(sorted(set(owners)))} owned it at the end"
    elif (group, topic, p) in log.initial_commit:
        text += "; no member owned it at the end"
    return text


def _clock(ts: float) -> str:
    return time.strftime("%H:%M:%S", time.localtime(ts))

