"""Application-level resends: ``resend-duplicate``.

A resend is a new ``produce()`` of the same payload with its own msg_id (:attr:`ProducedRecord.resend_of`
names the record it re-sends). Idempotence deduplicates only the client's own retries of one produce()
call (one sequence number), so when the first send had in fact been written, both copies stay: the
logical message is in the log twice although no msg_id is (``log-duplicate`` cannot see it). One unit per
logical message (a record and all its resends) with more than one copy stored.

Expected when every resend followed a send that failed or whose outcome was unknown (that is what a resend
policy is for); a violation when the application re-sent a record that had been acknowledged.
"""

from __future__ import annotations

from tui.engine.checker.index import ACKED, Indexes
from tui.engine.checker.text import listed, plural, where
from tui.engine.checker.verdict import EXPECTED, RESEND_DUPLICATE, VIOLATION, Anomaly
from tui.engine.history import ProducedRecord

_Copies = tuple[list[ProducedRecord], list[tuple[int, int]]]
"""The stored records of one chain and their (partition, offset)."""


def resend_duplicates(ix: Indexes) -> list[Anomaly]:
    out: list[Anomaly] = []
    for topic, rows in ix.ledger.items():
        chains = _chains(rows, [r for found in ix.resends_of(topic).values() for r in found])
        if not chains:
            continue
        buckets: dict[tuple[int | None, str, str], list[_Copies]] = {}
        for chain in chains:
            stored = [(rec, loc) for rec in chain if (loc := ix.locate(topic, rec.msg_id, rec.partition))]
            if len(stored) < 2:
                continue
            judgement, reason = _reason(ix, chain)
            kept = [rec for rec, _ in stored]
            locs = [loc for _, loc in stored]
            buckets.setdefault((locs[0][0], judgement, reason), []).append((kept, locs))
        for (p, judgement, reason), items in sorted(buckets.items(), key=lambda kv: str(kv[0])):
            n = len(items)
            copies, locs = items[0]
            example = (f"{copies[0].msg_id} and its resend{'s' if len(copies) > 2 else ''} "
                       f"{listed([r.msg_id for r in copies[1:]])} are at "
                       f"{listed([where(topic, q, o) for q, o in locs])}")
            out.append(Anomaly(
                kind=RESEND_DUPLICATE, judgement=judgement, topic=topic, partition=p,
                offsets=tuple(sorted({o for _, ls in items for _q, o in ls})),
                msg_ids=tuple(r.msg_id for cs, _ in items for r in cs), count=n,
                explanation=(f"{plural(n, 'message')} of {where(topic, p)} {'was' if n == 1 else 'were'} "
                             "written more than once because the application re-sent "
                             f"{'it' if n == 1 else 'them'} ({example}): {reason}.")))
    return out


def _chains(rows: dict[str, ProducedRecord], resends: list[ProducedRecord]) -> list[list[ProducedRecord]]:
    """Each original with its resends, in send order (a resend of a resend joins its root's chain)."""
    if not resends:
        return []
    chains: dict[str, list[ProducedRecord]] = {}
    for rec in resends:
        root, seen = rec, {rec.msg_id}
        while root.resend_of is not None and root.resend_of in rows and root.resend_of not in seen:
            root = rows[root.resend_of]
            seen.add(root.msg_id)
        chain = chains.setdefault(root.msg_id, [root])
        chain.append(rec)
    return [sorted(chain, key=lambda r: (r.incarnation, r.seq)) for chain in chains.values()]


def _reason(ix: Indexes, chain: list[ProducedRecord]) -> tuple[str, str]:
    rows = {r.msg_id: r for r in chain}
    causes: list[str] = []
    for rec in chain[1:]:
        before = rows.get(rec.resend_of or "")
        if before is None:
            continue
        if before.outcome in ACKED:
            return VIOLATION, (f"the application re-sent {before.msg_id} although it was acknowledged: a "
                               "resend policy must re-send only records whose delivery failed or timed out")
        causes.append(before.error or before.outcome.value)
    settings = ix.settings.get(chain[0].producer)
    idem = settings is not None and (settings.idempotent or settings.transactional)
    lead = ("idempotence covers only the client's own retries of one produce() call: " if idem else
            "a resend is a new record to Kafka: ")
    return EXPECTED, (f"{lead}the application re-sent {chain[0].msg_id} after {listed(sorted(set(causes)))}, "
                      "and the first send had been written after all, so both copies stay (expected with an "
                      "application-level resend policy)")
