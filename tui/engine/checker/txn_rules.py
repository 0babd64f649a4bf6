"""The transactions group members ran, judged against the final re-read of their output topics.

Each copy in an output topic carries the input's msg_id and a ``kx-txn`` header naming the transaction
that wrote it (:attr:`AuditPartition.txn_tags`), so a copy is attributed to its transaction exactly:

* A11 **aborted-visible**: a copy written by an aborted (or never committed) transaction is visible
  under read_committed, or was delivered to a read_committed reader of the output;
* A12 **torn-transaction**: a committed transaction (or one of unknown outcome with some copies
  visible) whose copies are not all visible under read_committed.

Without the header (an older member) a copy is attributed by its msg_id alone, which cannot tell two
transactions copying the same input apart; the explanations say so.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tui.engine.checker.consumer_log import ConsumptionLog
from tui.engine.checker.index import NEVER_COMMITTED, READ_UNCOMMITTED, Indexes
from tui.engine.checker.text import listed, offsets_phrase, plural, where
from tui.engine.checker.verdict import ABORTED_VISIBLE, EXPECTED, LIVENESS, TORN_TRANSACTION, VIOLATION, Anomaly
from tui.engine.history import ConsumerEventKind, Transaction, TxnOutcome

_BY_CONTENT = (" (the copies carry no kx-txn header, so they were matched to transactions by msg_id "
               "alone)")


@dataclass(frozen=True, slots=True)
class Copy:
    partition: int
    offset: int
    msg_id: str | None
    visible: bool
    """Returned by the read_committed re-read."""


@dataclass
class TxnIndex:
    by_id: dict[str, Transaction] = field(default_factory=dict)
    tagged: dict[str, list[Copy]] = field(default_factory=dict)
    """txn_id -> the copies the final re-read found with that kx-txn header."""
    tag_at: dict[tuple[str, int], dict[int, str]] = field(default_factory=dict)
    """(topic, partition) -> offset -> txn_id."""
    tagged_topics: set[str] = field(default_factory=set)
    by_content: dict[str, dict[str, list[Copy]]] = field(default_factory=dict)
    """Output topic without kx-txn headers -> msg_id -> its copies (built on first use)."""

    def state(self, txn_id: str) -> str:
        t = self.by_id.get(txn_id)
        return f"{txn_id} ({_state(t)})" if t is not None else f"{txn_id} (not recorded)"


def index_transactions(ix: Indexes) -> TxnIndex:
    tix = TxnIndex(by_id={t.txn_id: t for t in ix.history.transactions})
    for (topic, p), part in ix.parts.items():
        if not part.audit.txn_tags:
            continue
        tix.tagged_topics.add(topic)
        tags = tix.tag_at.setdefault((topic, p), {})
        for off, txn_id in part.audit.txn_tags:
            tags[off] = txn_id
            tix.tagged.setdefault(txn_id, []).append(
                Copy(p, off, part.at.get(off), part.visible(off, True)))
    return tix


def _state(t: Transaction) -> str:
    return {TxnOutcome.COMMITTED: "committed", TxnOutcome.ABORTED: "aborted",
            TxnOutcome.UNKNOWN: "commit requested, outcome unknown",
            TxnOutcome.OPEN: f"never committed: member {t.member} left it open"}[t.outcome]


def _rc_known(ix: Indexes, topic: str) -> bool:
    parts = ix.by_topic.get(topic, ())
    return bool(parts) and all(p.audit.committed_visible is not None for p in parts)


# ---------------------------------------------------------------------------------------------- A11

def aborted_copies(ix: Indexes, tix: TxnIndex, log: ConsumptionLog) -> list[Anomaly]:
    out: list[Anomaly] = []
    buckets: dict[tuple[str, int, str], list[Copy]] = {}
    for txn_id, copies in tix.tagged.items():
        t = tix.by_id.get(txn_id)
        if t is None or t.outcome not in NEVER_COMMITTED:
            continue
        for c in copies:
            if c.visible and _rc_known(ix, t.output_topic):
                buckets.setdefault((t.output_topic, c.partition, txn_id), []).append(c)
    for (topic, p, txn_id), copies in sorted(buckets.items()):
        n = len(copies)
        out.append(Anomaly(
            kind=ABORTED_VISIBLE, judgement=VIOLATION, topic=topic, partition=p,
            offsets=tuple(c.offset for c in copies), msg_ids=tuple(c.msg_id for c in copies if c.msg_id),
            count=n, members=(tix.by_id[txn_id].member,),
            explanation=(f"{plural(n, 'copy', 'copies')} in {where(topic, p)} "
                         f"({offsets_phrase([c.offset for c in copies])}) written by transaction "
                         f"{tix.state(txn_id)} {'is' if n == 1 else 'are'} visible under read_committed: "
                         "a transaction that did not commit must never become visible.")))
    out.extend(_untagged_aborted(ix, tix))
    out.extend(_delivered_aborted(ix, tix, log))
    return out


def _untagged_aborted(ix: Indexes, tix: TxnIndex) -> list[Anomaly]:
    """Without kx-txn headers: a visible copy of an input that only never-committed transactions copied."""
    never: dict[str, dict[str, str]] = {}
    maybe: dict[str, set[str]] = {}
    for t in ix.history.transactions:
        if t.output_topic in tix.tagged_topics or t.copies is None:
            continue
        target = never.setdefault(t.output_topic, {}) if t.outcome in NEVER_COMMITTED else None
        for mid in t.copies:
            if target is not None:
                target.setdefault(mid, t.txn_id)
            else:
                maybe.setdefault(t.output_topic, set()).add(mid)
    out: list[Anomaly] = []
    for topic, ids in sorted(never.items()):
        if not _rc_known(ix, topic):
            continue
        committed_ids = maybe.get(topic, set())
        for part in ix.by_topic.get(topic, ()):
            found = [(off, mid) for off, mid in part.audit.records
                     if mid in ids and mid not in committed_ids and part.visible(off, True)]
            if not found:
                continue
            txns = sorted({ids[mid] for _, mid in found if mid is not None})
            n = len(found)
            out.append(Anomaly(
                kind=ABORTED_VISIBLE, judgement=VIOLATION, topic=topic, partition=part.partition,
                offsets=tuple(o for o, _ in found), msg_ids=tuple(m for _, m in found if m), count=n,
                explanation=(f"{plural(n, 'copy', 'copies')} in {where(topic, part.partition)} "
                             f"({offsets_phrase([o for o, _ in found])}) {'is' if n == 1 else 'are'} visible "
                             f"under read_committed, yet only transactions that did not commit copied "
                             f"{'that input' if n == 1 else 'those inputs'} "
                             f"({listed([tix.state(x) for x in txns])}){_BY_CONTENT}.")))
    return out


def _delivered_aborted(ix: Indexes, tix: TxnIndex, log: ConsumptionLog) -> list[Anomaly]:
    """A group reading an output topic received a copy of a transaction that did not commit."""
    if not tix.tag_at:
        return []
    buckets: dict[tuple[str, int, str, str, str], dict[int, str | None]] = {}
    members: dict[tuple[str, int, str, str, str], set[str]] = {}
    for ev in log.events:
        if ev.kind is not ConsumerEventKind.DELIVER or ev.partition is None or ev.offset is None:
            continue
        tags = tix.tag_at.get((ev.topic, ev.partition))
        txn_id = tags.get(ev.offset) if tags is not None else None
        t = tix.by_id.get(txn_id) if txn_id is not None else None
        if t is None or t.outcome not in NEVER_COMMITTED:
            continue
        part = ix.parts[(ev.topic, ev.partition)]
        if part.at.get(ev.offset) != ev.msg_id:
            continue  # something else was at that offset when it was delivered
        ru = ix.history.isolation.get(ev.group) == READ_UNCOMMITTED
        key = (ev.topic, ev.partition, ev.group, t.txn_id, EXPECTED if ru else VIOLATION)
        buckets.setdefault(key, {})[ev.offset] = ev.msg_id
        members.setdefault(key, set()).add(ev.member)
    out: list[Anomaly] = []
    for key, found in sorted(buckets.items()):
        topic, p, group, txn_id, judgement = key
        n = len(found)
        why = (f"group {group} reads with read_uncommitted, which returns records of transactions that did not "
               "commit by design" if judgement == EXPECTED else
               f"group {group} reads with read_committed, which must never return them")
        out.append(Anomaly(
            kind=ABORTED_VISIBLE, judgement=judgement, topic=topic, partition=p, offsets=tuple(sorted(found)),
            msg_ids=tuple(m for _, m in sorted(found.items()) if m), count=n, group=group,
            members=tuple(sorted(members[key])),
            explanation=(f"{plural(n, 'copy', 'copies')} of {where(topic, p)} ({offsets_phrase(list(found))}) "
                         f"written by transaction {tix.state(txn_id)} {'was' if n == 1 else 'were'} delivered "
                         f"to group {group}: {why}.")))
    return out


# ---------------------------------------------------------------------------------------------- A12

def torn_copies(ix: Indexes, tix: TxnIndex) -> list[Anomaly]:
    out: list[Anomaly] = []
    for t in ix.history.transactions:
        if t.outcome in NEVER_COMMITTED or not _rc_known(ix, t.output_topic):
            continue
        found = _found_copies(ix, tix, t)
        reported = t.copies if t.copies is not None else [c.msg_id for c in found if c.msg_id]
        expected = list(dict.fromkeys(reported))
        visible = {c.msg_id for c in found if c.visible}
        hidden = {c.msg_id for c in found if not c.visible} - visible
        missing = [m for m in expected if m not in visible]
        if not missing or (t.outcome is not TxnOutcome.COMMITTED and not visible):
            continue
        absent = [m for m in missing if m not in hidden]
        stored_hidden = [m for m in missing if m in hidden]
        detail: list[str] = []
        if absent:
            detail.append(f"{listed(absent)} {'is' if len(absent) == 1 else 'are'} not in the log")
        if stored_hidden:
            verb = "is" if len(stored_hidden) == 1 else "are"
            detail.append(f"{listed(stored_hidden)} {verb} stored but not visible under read_committed")
        parts = sorted({c.partition for c in found})
        incomplete = [p.partition for p in ix.by_topic[t.output_topic] if not p.audit.complete]
        judgement = LIVENESS if incomplete and absent else VIOLATION
        unread = listed([where(t.output_topic, p) for p in incomplete])
        tail = (f" The re-read could not reach the end of {unread}, so the absent copies may lie beyond it."
                if judgement == LIVENESS else
                " Transactions must be all or nothing.")
        how = "" if t.output_topic in tix.tagged_topics else _BY_CONTENT
        out.append(Anomaly(
            kind=TORN_TRANSACTION, judgement=judgement, topic=t.output_topic,
            partition=parts[0] if len(parts) == 1 else None,
            offsets=tuple(sorted(c.offset for c in found)), msg_ids=tuple(missing), count=len(missing),
            members=(t.member,), group=t.group,
            explanation=(f"transaction {tix.state(t.txn_id)} of member {t.member} copied "
                         f"{plural(len(expected), 'record')} into {t.output_topic}, but only {len(visible)} of "
                         f"{len(expected)} can be read with read_committed, while {'; '.join(detail)}{how}."
                         f"{tail}")))
    return out


def _found_copies(ix: Indexes, tix: TxnIndex, t: Transaction) -> list[Copy]:
    if t.output_topic in tix.tagged_topics:
        return tix.tagged.get(t.txn_id, [])
    index = tix.by_content.get(t.output_topic)
    if index is None:
        index = tix.by_content[t.output_topic] = {}
        for part in ix.by_topic.get(t.output_topic, ()):
            for off, mid in part.audit.records:
                if mid is not None:
                    index.setdefault(mid, []).append(Copy(part.partition, off, mid, part.visible(off, True)))
    return [c for mid in dict.fromkeys(t.copies or ()) for c in index.get(mid, ())]


def copy_writers(tix: TxnIndex, positions: list[tuple[str, int, int]]) -> str:
    """'written by transactions a (committed) and b (committed)' for the copies at these positions."""
    txns = [tags.get(o) for (t, p, o) in positions if (tags := tix.tag_at.get((t, p))) is not None]
    named = list(dict.fromkeys(x for x in txns if x is not None))
    if not named:
        return ""
    return f" (written by transaction{'s' if len(named) > 1 else ''} {listed([tix.state(x) for x in named])})"
