"""Producer-side and storage anomalies: the ledger joined with the final re-read (and deliveries).

A1 lost, A2 unseen, A3 inconsistent-offset, A4 log-duplicate, A9 producer-reorder, A10 producer-gap,
A11 aborted-visible, A12 torn-transaction. One linear pass over the ledger collects what every rule
needs; the rules then only touch the (usually few) suspicious records.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tui.engine.checker.consumer_log import ConsumptionLog
from tui.engine.checker.index import (
    ACKED,
    NEVER_COMMITTED,
    Indexes,
    PartitionIndex,
    iter_txn_records,
    must_exist,
)
from tui.engine.checker.text import listed, offsets_phrase, plural, where
from tui.engine.checker.txn_rules import TxnIndex, copy_writers
from tui.engine.checker.verdict import (
    ABORTED_VISIBLE,
    EXPECTED,
    INCONSISTENT_OFFSET,
    LIVENESS,
    LOG_DUPLICATE,
    LOST,
    PRODUCER_GAP,
    PRODUCER_REORDER,
    TORN_TRANSACTION,
    UNSEEN,
    VIOLATION,
    Anomaly,
)
from tui.engine.history import ConsumerEventKind, Fault, Outcome, ProducedRecord, TxnOutcome

_MISSING = object()
Position = tuple[str, int, int]
"""(topic, partition, offset)"""
SendKey = tuple[str, int, str, int]
"""(producer, incarnation, topic, partition)"""


@dataclass
class LedgerScan:
    """What one pass over the ledger found."""

    missing: list[ProducedRecord] = field(default_factory=list)
    """Records that must be in the log but are not in the final re-read."""
    sends: dict[tuple[str, int, str], dict[int, list[tuple[int, int | None, ProducedRecord]]]] = field(
        default_factory=dict)
    """(producer, incarnation, topic) -> partition -> [(seq, stored offset or None, record)]."""
    dr_only: dict[Position, str] = field(default_factory=dict)
    """Delivery-report positions the final re-read does not cover."""
    conflicts: dict[Position, dict[str, set[str]]] = field(default_factory=dict)
    """Position -> value label -> sources naming it (only positions with two values)."""
    failed_or_aborted: dict[str, set[str]] = field(default_factory=dict)
    """topic -> msg_ids that failed definitely or belong to an aborted transaction."""


def scan_ledger(ix: Indexes, log: ConsumptionLog, excluded: set[tuple[str, str]]) -> LedgerScan:
    scan = LedgerScan()
    sends = scan.sends
    fail, ok = Outcome.FAIL_DEFINITE, Outcome.OK
    for topic, rows in ix.ledger.items():
        audited = topic in ix.by_topic
        tparts = {part.partition: part for part in ix.by_topic.get(topic, ())}
        candidates: list[ProducedRecord] = []
        # per (producer, incarnation): partition -> (seq, stored offset, record); cached across rows
        last_pi: tuple[str, int] | None = None
        bypart: dict[int, list[tuple[int, int | None, ProducedRecord]]] = {}
        for mid, rec in rows.items():
            if rec.outcome is fail or rec.txn_outcome in NEVER_COMMITTED:
                scan.failed_or_aborted.setdefault(topic, set()).add(mid)
            if not audited:
                continue
            p = rec.partition
            part = tparts.get(p) if p is not None else None
            off = part.where.get(mid) if part is not None else None
            if off is None:
                loc = ix.locate(topic, mid, p)
                if loc is not None:
                    p, off = loc
            if p is not None:
                if last_pi is None or rec.producer != last_pi[0] or rec.incarnation != last_pi[1]:
                    last_pi = (rec.producer, rec.incarnation)
                    bypart = sends.setdefault(last_pi + (topic,), {})  # type: ignore[arg-type]
                lst = bypart.get(p)
                if lst is None:
                    lst = bypart[p] = []
                lst.append((rec.seq, off, rec))
            if (rec.outcome is ok and rec.offset != off and rec.offset is not None and rec.offset >= 0
                    and rec.partition is not None):
                _check_dr(scan, tparts.get(rec.partition), topic, rec)
            if off is None and must_exist(rec, True) and (topic, mid) not in excluded:
                candidates.append(rec)
        if candidates:
            unsure = {r.msg_id for r in candidates if not must_exist(r, False)}
            seen = log.delivered_among(topic, unsure)
            scan.missing.extend(r for r in candidates if r.msg_id not in unsure or r.msg_id in seen)
    return scan


def _check_dr(scan: LedgerScan, part: PartitionIndex | None, topic: str, rec: ProducedRecord) -> None:
    assert rec.partition is not None
    assert rec.offset is not None
    pos = (topic, rec.partition, rec.offset)
    stored = part.at.get(rec.offset, _MISSING) if part is not None else _MISSING
    if stored is _MISSING:
        scan.dr_only[pos] = rec.msg_id
    elif stored != rec.msg_id:
        _conflict(scan, pos, rec.msg_id, "its delivery report", stored, "the final re-read")


def _label(mid: object) -> str:
    return mid if isinstance(mid, str) else "a foreign record"


def _conflict(scan: LedgerScan, pos: Position, a: object, source_a: str, b: object, source_b: str) -> None:
    claims = scan.conflicts.setdefault(pos, {})
    claims.setdefault(_label(a), set()).add(source_a)
    claims.setdefault(_label(b), set()).add(source_b)


def check_deliveries(scan: LedgerScan, ix: Indexes,
                     log: ConsumptionLog) -> dict[tuple[str, str], set[Position]]:
    """A3 from deliveries that disagree with the re-read or a delivery report; returns extra stored
    positions of msg_ids (a delivery from an offset that has since vanished), for A4."""
    extra: dict[tuple[str, str], set[Position]] = {}
    delivered_at: dict[Position, str | None] = {}
    for idx in log.odd_deliveries:
        ev = log.events[idx]
        assert ev.partition is not None
        assert ev.offset is not None
        pos = (ev.topic, ev.partition, ev.offset)
        source = f"a delivery to member {ev.member}"
        part = ix.parts.get((ev.topic, ev.partition))
        stored = part.at.get(ev.offset, _MISSING) if part is not None else _MISSING
        if stored is not _MISSING:
            _conflict(scan, pos, ev.msg_id, source, stored, "the final re-read")
            continue
        dr = scan.dr_only.get(pos)
        if dr is not None and dr != ev.msg_id:
            _conflict(scan, pos, ev.msg_id, source, dr, "its delivery report")
        seen = delivered_at.get(pos, _MISSING)
        if seen is _MISSING:
            delivered_at[pos] = ev.msg_id
        elif seen != ev.msg_id:
            _conflict(scan, pos, ev.msg_id, source, seen, "an earlier delivery")
        if ev.msg_id is not None and part is not None and ev.msg_id in part.where:
            extra.setdefault((ev.topic, ev.msg_id), set()).add(pos)
    return extra


# ---------------------------------------------------------------------------------------------- A1 / A2

_EARLIER = (" (before this record was sent; the watcher only samples the cluster, so the leader move "
            "that lost it may have gone unseen)")


def _evidence(ix: Indexes, rec: ProducedRecord, p: int | None) -> tuple[str, bool] | None:
    """The recorded leader move or fault that explains a loss on this partition, as a phrase, and
    whether it came after the record was sent (else it is only the nearest earlier one)."""
    hist = ix.history
    moves = sorted(hist.leader_changes_on(rec.topic, p), key=lambda c: c.ts)
    faults = sorted(hist.faults_on(rec.topic, p), key=lambda f: f.ts)
    move = next((c for c in moves if c.ts >= rec.t_send), None)
    if move is not None:
        return move.text(), True
    fault = next((f for f in faults if f.ts >= rec.t_send), None)
    if fault is not None:
        return _fault_text(fault, rec.topic, p), True
    if moves:
        return moves[-1].text() + _EARLIER, False
    if faults:
        return _fault_text(faults[-1], rec.topic, p) + _EARLIER, False
    return None


def _fault_text(fault: Fault, topic: str, p: int | None) -> str:
    hosted = (f" (it hosted {where(topic, p)})" if fault.partitions is not None else
              " (which partitions it hosted was not recorded)")
    return f"{fault.text()}{hosted}"


_UNSEEN_CAUSES = ("The tool cannot see a leader change the watcher did not sample, a replica's disk being "
                  "wiped, or power loss (unflushed page cache); one of those, done outside this app, "
                  "would explain it")


def _settings_reason(ix: Indexes, rec: ProducedRecord, p: int | None) -> tuple[str, str]:
    """(judgement, reason) for a lost record, from its producer's settings, its topic's guarantees and
    the leader moves and faults recorded on *its* partition (never another topic's or partition's)."""
    hist = ix.history
    settings = ix.settings.get(rec.producer)
    acks = settings.acks if settings is not None else None
    place = where(rec.topic, p)
    found = _evidence(ix, rec, p)
    evidence = found[0] if found is not None else None
    after = found is not None and found[1]
    if acks == "0":
        return EXPECTED, "expected with acks=0, which gives no durability guarantee"
    if rec.topic in hist.unclean_topics:
        if evidence is not None:
            return EXPECTED, (f"expected because topic {rec.topic} allows unclean leader election and "
                              f"{evidence}: a replica outside the in-sync set may have become leader, and "
                              "its log is then the truth even without every acknowledged record")
        unclean = (f"; topic {rec.topic} allows unclean leader election, but no leader change or fault was "
                   f"recorded on {place}")
    else:
        unclean = ""
    if acks == "1":
        if evidence is not None:
            return EXPECTED, (f"expected with acks=1: only the leader had to have it, and {evidence}"
                              + (" before its followers copied the record" if after else ""))
        return VIOLATION, (f"a violation: with acks=1 a record is lost only when the leader of {place} changes "
                           f"before its followers copy it, and no leader change or fault was recorded on "
                           f"{place} during the run{unclean}. {_UNSEEN_CAUSES}")
    if acks in ("all", "-1"):
        if hist.min_insync.get(rec.topic) == 1:
            return VIOLATION, (f"a violation even with min.insync.replicas=1 on {rec.topic}: with unclean "
                               "leader election off, KRaft leaves a partition leaderless rather than elect a "
                               "replica outside its ISR (or ELR), and a node killed with SIGKILL keeps its "
                               f"page cache, so an acks=all record survives in this lab{unclean}. "
                               f"{_UNSEEN_CAUSES}")
        return VIOLATION, (f"a violation: acks=all means every in-sync replica had it{unclean}. "
                           f"{_UNSEEN_CAUSES}")
    if settings is None:
        return VIOLATION, f"the producer's settings were not recorded, so nothing excuses it{unclean}"
    return VIOLATION, f"a violation: acks={acks} should have kept it{unclean}"


def lost_and_unseen(scan: LedgerScan, ix: Indexes, log: ConsumptionLog) -> list[Anomaly]:
    if not scan.missing:
        return []
    max_seq: dict[SendKey, int] = {}
    max_t: dict[tuple[str, int], float] = {}
    for key, entries in _flat_sends(scan):
        for seq, off, rec in entries:
            if off is None:
                continue
            if seq > max_seq.get(key, -1):
                max_seq[key] = seq
            t = rec.t_ack if rec.t_ack is not None else rec.t_send
            tp = (key[2], key[3])
            if t > max_t.get(tp, float("-inf")):
                max_t[tp] = t
    buckets: dict[tuple[str, int | None, str, str], list[ProducedRecord]] = {}
    for rec in scan.missing:
        p = rec.partition
        part = ix.parts.get((rec.topic, p)) if p is not None else None
        later = _later_present(rec, max_seq, max_t)
        read_to = _read_to(part)
        past = rec.offset is not None and rec.offset >= 0 and read_to is not None and read_to > rec.offset
        if rec.offset is not None and part is not None and 0 <= rec.offset < part.audit.low:
            kind, judgement, reason = UNSEEN, LIVENESS, "below the log start offset (deleted by retention)"
        elif past or later:
            judgement, reason = _settings_reason(ix, rec, p)
            kind = LOST
        else:
            kind, judgement, reason = UNSEEN, LIVENESS, ""
        buckets.setdefault((rec.topic, p, kind, judgement + "|" + reason), []).append(rec)
    out: list[Anomaly] = []
    for (topic, p, kind, jr), recs in buckets.items():
        judgement, reason = jr.split("|", 1)
        part = ix.parts.get((topic, p)) if p is not None else None
        out.append(_missing_anomaly(kind, judgement, reason, topic, p, part, recs, log))
    return out


def _later_present(rec: ProducedRecord, max_seq: dict[SendKey, int],
                   max_t: dict[tuple[str, int], float]) -> bool:
    if rec.partition is None:
        return any(k[0] == rec.producer and k[1] == rec.incarnation and k[2] == rec.topic and s > rec.seq
                   for k, s in max_seq.items())
    if max_seq.get((rec.producer, rec.incarnation, rec.topic, rec.partition), -1) > rec.seq:
        return True
    acked_at = rec.t_ack if rec.t_ack is not None else None
    return acked_at is not None and max_t.get((rec.topic, rec.partition), float("-inf")) > acked_at


def _read_to(part: PartitionIndex | None) -> int | None:
    """The offset the final re-read provably reached (exclusive)."""
    if part is None:
        return None
    if part.audit.complete:
        return part.audit.high
    return max(part.at) + 1 if part.at else None


def _missing_anomaly(kind: str, judgement: str, reason: str, topic: str, p: int | None,
                     part: PartitionIndex | None, recs: list[ProducedRecord], log: ConsumptionLog) -> Anomaly:
    ids = [r.msg_id for r in recs]
    offsets = sorted({r.offset for r in recs if r.offset is not None and r.offset >= 0})
    place = where(topic, p)
    seen = len(log.delivered_among(topic, set(ids)))
    indefinite = sum(1 for r in recs if r.outcome not in ACKED and r.txn_outcome is not TxnOutcome.COMMITTED)
    n = len(recs)
    what = plural(n, "acknowledged record") if not indefinite else plural(n, "record")
    at = f" at {offsets_phrase(offsets)}" if offsets else ""
    if kind == LOST:
        reach = _read_to(part)
        text = (f"{what} of {place}{at} ({listed(ids)}) {'is' if n == 1 else 'are'} missing from the final "
                f"re-read, although it read past {'it' if n == 1 else 'them'}"
                + (f" (up to offset {reach})" if reach is not None else " (later records are present)"))
        if indefinite:
            pronoun = "it" if n == 1 else "them"
            text += f"; {indefinite} had an indefinite send outcome but a consumer saw {pronoun}"
        if seen:
            text += (f"; {seen} had been delivered to a consumer before vanishing (truncation after "
                     "consumption)")
        text += f". {reason[0].upper()}{reason[1:]}."
    else:
        if reason:
            text = f"{what} of {place}{at} ({listed(ids)}) {'is' if n == 1 else 'are'} {reason}."
        else:
            reach = _read_to(part)
            limit = (f"could only read up to offset {reach}" if reach is not None and part is not None
                     and not part.audit.complete else
                     "did not cover this partition" if part is None else
                     f"ended at high watermark {part.audit.high}")
            text = (f"{what} of {place}{at} ({listed(ids)}) {'was' if n == 1 else 'were'} not in the final "
                    f"re-read, which {limit}; no later record proves a loss, so this may be a delay.")
    return Anomaly(kind=kind, judgement=judgement, topic=topic, partition=p, offsets=tuple(offsets),
                   msg_ids=tuple(ids), explanation=text, count=n)


# ---------------------------------------------------------------------------------------------- A3

def inconsistent_offsets(scan: LedgerScan, lost: list[Anomaly]) -> list[Anomaly]:
    if not scan.conflicts:
        return []
    expected_lost = {m for a in lost if a.judgement == EXPECTED for m in a.msg_ids}
    by_part: dict[tuple[str, int], list[Position]] = {}
    for pos in sorted(scan.conflicts):
        by_part.setdefault((pos[0], pos[1]), []).append(pos)
    out: list[Anomaly] = []
    for (topic, p), positions in by_part.items():
        ids: list[str] = []
        examples: list[str] = []
        for pos in positions:
            claims = scan.conflicts[pos]
            ids.extend(label for label in claims if label != "a foreign record")
            if len(examples) < 2:
                said = "; ".join(f"{listed(sorted(src))} say{'s' if len(src) == 1 else ''} {label}"
                                 for label, src in sorted(claims.items()))
                examples.append(f"offset {pos[2]}: {said}")
        excused = any(m in expected_lost for m in ids)
        shown = offsets_phrase([x[2] for x in positions])
        verb = "is" if len(positions) == 1 else "are"
        text = (f"{plural(len(positions), 'offset')} of {where(topic, p)} ({shown}) "
                f"{verb} claimed by two different records ({'; '.join(examples)}). "
                "This is the signature of a log truncated and then rewritten")
        text += (", explained by the expected loss above." if excused else
                 "; Kafka promised each offset holds one record for good.")
        out.append(Anomaly(kind=INCONSISTENT_OFFSET, judgement=EXPECTED if excused else VIOLATION, topic=topic,
                           partition=p, offsets=tuple(x[2] for x in positions),
                           msg_ids=tuple(dict.fromkeys(ids)), explanation=text, count=len(positions)))
    return out


# ---------------------------------------------------------------------------------------------- A4

def log_duplicates(ix: Indexes, extra: dict[tuple[str, str], set[Position]], tix: TxnIndex,
                   dead_letter: set[str] | None = None) -> list[Anomaly]:
    """A4; dead-letter topics are left out (a source record in one twice is a ``dlt-duplicate``)."""
    stored: dict[tuple[str, str], set[Position]] = {}
    skip = dead_letter or set()
    for (topic, p), part in ix.parts.items():
        if topic in skip:
            continue
        rc_known = part.audit.committed_visible is not None
        for mid, offs in part.dups.items():
            visible = [o for o in offs if part.visible(o, True)] if rc_known else offs
            if len(visible) > 1:
                stored.setdefault((topic, mid), set()).update((topic, p, o) for o in visible)
    for topic, parts in ix.by_topic.items():
        if len(parts) > 1 and topic not in skip:
            total = sum(len(part.where) for part in parts)
            union: set[str] = set().union(*(part.where.keys() for part in parts))
            if len(union) < total:
                for mid in union:
                    holders = [part for part in parts if mid in part.where]
                    if len(holders) > 1:
                        stored.setdefault((topic, mid), set()).update(
                            (topic, h.partition, h.where[mid]) for h in holders)
    for key, positions in extra.items():
        topic, mid = key
        if topic in skip:
            continue
        loc = ix.locate(topic, mid)
        if loc is not None:
            stored.setdefault(key, set()).update(positions | {(topic, loc[0], loc[1])})
    buckets: dict[tuple[str, int, str, str], list[tuple[str, list[Position]]]] = {}
    for (topic, mid), positions in stored.items():
        if len(positions) < 2:
            continue
        pos = sorted(positions)
        judgement, reason = _dup_reason(ix, topic, mid)
        buckets.setdefault((topic, pos[0][1], judgement, reason), []).append((mid, pos))
    out: list[Anomaly] = []
    for (topic, p, judgement, reason), items in buckets.items():
        items.sort()
        ids = [mid for mid, _ in items]
        offsets = sorted({x[2] for _, pos in items for x in pos})
        first_mid, first_pos = items[0]
        example = (f"{first_mid} is at {listed([where(*x) for x in first_pos])}"
                   f"{copy_writers(tix, first_pos)}")
        text = (f"{plural(len(ids), 'record')} of {where(topic, p)} {'is' if len(ids) == 1 else 'are'} stored "
                f"more than once ({example}); {reason}.")
        out.append(Anomaly(kind=LOG_DUPLICATE, judgement=judgement, topic=topic, partition=p,
                           offsets=tuple(offsets), msg_ids=tuple(ids), explanation=text, count=len(ids)))
    return out


def _dup_reason(ix: Indexes, topic: str, mid: str) -> tuple[str, str]:
    rec = ix.record(topic, mid)
    output = any(t.output_topic == topic for t in ix.history.transactions)
    if rec is None and (output or any(mid in rows for t, rows in ix.ledger.items() if t != topic)):
        # a consume-transform-produce copy of a record produced elsewhere (kx-id travels with it)
        rc_read = any(p.audit.committed_visible is not None for p in ix.by_topic.get(topic, ()))
        if rc_read:
            return VIOLATION, ("it is a copy of an input record, and an exactly-once (transactional) copy "
                               "must hold each input record once under read_committed")
        return EXPECTED, "it is a copy of an input record; copies are only exactly-once under read_committed"
    settings = ix.settings.get(rec.producer) if rec is not None else None
    if settings is None:
        return EXPECTED, "the producer's settings are unknown, so this is reported without a judgement"
    if settings.idempotent or settings.transactional:
        return VIOLATION, (f"producer {settings.name} is idempotent, so one incarnation (one producer id) must "
                           "write each record exactly once")
    if settings.retries > 0:
        return EXPECTED, (f"producer {settings.name} retries without idempotence, so a retry after a lost "
                          "acknowledgement writes the record again")
    return VIOLATION, f"producer {settings.name} does not retry, so nothing explains a second copy"


# ---------------------------------------------------------------------------------------------- A9 / A10

def _flat_sends(scan: LedgerScan) -> list[tuple[SendKey, list[tuple[int, int | None, ProducedRecord]]]]:
    return [((producer, inc, topic, p), entries)
            for (producer, inc, topic), bypart in scan.sends.items() for p, entries in bypart.items()]


def reorders_and_gaps(scan: LedgerScan, ix: Indexes, lost_ids: set[str]) -> list[Anomaly]:
    out: list[Anomaly] = []
    for (producer, inc, topic, p), entries in _flat_sends(scan):
        if any(entries[i][0] > entries[i + 1][0] for i in range(len(entries) - 1)):
            entries.sort(key=lambda e: e[0])
        stored: list[tuple[int, int | None, ProducedRecord]] = [e for e in entries if e[1] is not None]
        if len(stored) < 2:
            continue
        out.extend(_reorder(ix, producer, inc, topic, p, stored))
        if len(stored) < len(entries):
            out.extend(_gap(ix, producer, inc, topic, p, entries, lost_ids))
    return out


def _reorder(ix: Indexes, producer: str, inc: int, topic: str, p: int,
             stored: list[tuple[int, int | None, ProducedRecord]]) -> list[Anomaly]:
    flagged: list[tuple[ProducedRecord, int, ProducedRecord, int]] = []
    top_off, top_rec = -1, None
    for _seq, off, rec in stored:
        assert off is not None
        if off < top_off and top_rec is not None:
            flagged.append((rec, off, top_rec, top_off))
        elif off > top_off:
            top_off, top_rec = off, rec
    if not flagged:
        return []
    settings = ix.settings.get(producer)
    if settings is None:
        judgement, reason = EXPECTED, "the producer's settings are unknown"
    elif settings.idempotent or settings.transactional:
        judgement, reason = VIOLATION, "an idempotent producer must keep send order within a partition"
    elif settings.retries > 0 and settings.max_in_flight > 1:
        judgement, reason = EXPECTED, (f"expected with retries and max.in.flight={settings.max_in_flight} "
                                       "without idempotence: a retried batch can land after a later one")
    else:
        judgement, reason = VIOLATION, (f"retries={settings.retries} and "
                                        f"max.in.flight={settings.max_in_flight} should keep send order")
    rec, off, before, boff = flagged[0]
    text = (f"{plural(len(flagged), 'record')} from producer {producer} (incarnation {inc}) landed in "
            f"{where(topic, p)} ahead of records sent before {'it' if len(flagged) == 1 else 'them'}: "
            f"{rec.msg_id} (send #{rec.seq}) is at offset {off} but {before.msg_id} (send #{before.seq}) is at "
            f"{boff}; {reason}.")
    return [Anomaly(kind=PRODUCER_REORDER, judgement=judgement, topic=topic, partition=p,
                    offsets=tuple(f[1] for f in flagged), msg_ids=tuple(f[0].msg_id for f in flagged),
                    explanation=text, count=len(flagged))]


def _gap(ix: Indexes, producer: str, inc: int, topic: str, p: int,
         entries: list[tuple[int, int | None, ProducedRecord]], lost_ids: set[str]) -> list[Anomaly]:
    first = next(i for i, e in enumerate(entries) if e[1] is not None)
    last = max(i for i, e in enumerate(entries) if e[1] is not None)
    holes = [rec for _seq, off, rec in entries[first:last + 1]
             if off is None and rec.outcome not in ACKED and rec.msg_id not in lost_ids
             and rec.txn_outcome is not TxnOutcome.COMMITTED]
    if not holes:
        return []
    errors = sorted({h.error or h.outcome.value for h in holes})
    settings = ix.settings.get(producer)
    idem = settings is not None and (settings.idempotent or settings.transactional)
    text = (f"{plural(len(holes), 'send')} from producer {producer} (incarnation {inc}) to {where(topic, p)} "
            f"{'is' if len(holes) == 1 else 'are'} missing between stored records "
            f"({listed([h.msg_id for h in holes])}; "
            f"{listed(errors)}): "
            + ("with idempotence, a send that expires (message.timeout.ms) or fails leaves a hole; only "
               "enable.gapless.guarantee would forbid it." if idem else
               "without idempotence each failed send simply leaves a hole while later sends succeed.")
            + _resent_holes(ix, topic, {h.msg_id for h in holes}))
    return [Anomaly(kind=PRODUCER_GAP, judgement=EXPECTED, topic=topic, partition=p, offsets=(),
                    msg_ids=tuple(h.msg_id for h in holes), explanation=text, count=len(holes))]


def _resent_holes(ix: Indexes, topic: str, holes: set[str]) -> str:
    """' The application re-sent 1 of them (as m7), so its payload is in the log after all.'"""
    resends = ix.resends_of(topic)
    again = [r for mid in sorted(holes) for r in resends.get(mid, ())
             if ix.locate(topic, r.msg_id, r.partition) is not None]
    if not again:
        return ""
    whose = "its" if len(again) == 1 else "their"
    return (f" The application re-sent {plural(len(again), 'of them', 'of them')} "
            f"(as {listed([r.msg_id for r in again])}), so {whose} payload is in the log after all.")


# ---------------------------------------------------------------------------------------------- A11

def aborted_visible(scan: LedgerScan, ix: Indexes, log: ConsumptionLog) -> list[Anomaly]:
    if not scan.failed_or_aborted:
        return []
    buckets: dict[tuple[str, int | None, str, str], dict[str, int | None]] = {}
    for topic, flagged_ids in scan.failed_or_aborted.items():
        for mid in flagged_ids:
            rec = ix.ledger[topic][mid]
            loc = ix.locate(topic, mid, rec.partition)
            if loc is None:
                continue
            p, off = loc
            part = ix.parts[(topic, p)]
            if rec.outcome is Outcome.FAIL_DEFINITE:
                why = f"its send failed definitely ({rec.error or 'error'}) yet it is stored in the log"
                buckets.setdefault((topic, p, VIOLATION, why), {})[mid] = off
            elif part.visible(off, True) and part.audit.committed_visible is not None:
                state = "was aborted" if rec.txn_outcome is TxnOutcome.ABORTED else "never committed"
                why = f"its transaction {rec.txn_id} {state} yet a read_committed re-read returns it"
                buckets.setdefault((topic, p, VIOLATION, why), {})[mid] = off
    flagged = {m for found_ids in scan.failed_or_aborted.values() for m in found_ids}
    members: dict[tuple[str, int | None, str, str], set[str]] = {}
    for ev in log.events:
        if ev.kind is not ConsumerEventKind.DELIVER or ev.msg_id not in flagged:
            continue
        seen = ix.record(ev.topic, ev.msg_id)
        if seen is None or ev.msg_id is None:
            continue
        rec = seen
        rc = ix.read_committed(ev.group)
        if rec.outcome is Outcome.FAIL_DEFINITE:
            key = (ev.topic, ev.partition, VIOLATION,
                   f"its send failed definitely ({rec.error or 'error'}) yet group {ev.group} received it")
        elif rc:
            key = (ev.topic, ev.partition, VIOLATION,
                   f"its transaction was aborted yet group {ev.group} received it under read_committed")
        else:
            key = (ev.topic, ev.partition, EXPECTED,
                   f"its transaction was aborted and group {ev.group} reads with read_uncommitted, which "
                   "returns aborted records by design")
        buckets.setdefault(key, {})[ev.msg_id] = ev.offset
        members.setdefault(key, set()).add(ev.member)
    out: list[Anomaly] = []
    for key, found in buckets.items():
        topic, part_no, judgement, why = key
        ids = sorted(found)
        offs = sorted({o for o in found.values() if o is not None})
        text = f"{plural(len(ids), 'record')} of {where(topic, part_no)} ({listed(ids)}) became visible: {why}."
        out.append(Anomaly(kind=ABORTED_VISIBLE, judgement=judgement, topic=topic, partition=part_no,
                           offsets=tuple(offs), msg_ids=tuple(ids), explanation=text,
                           members=tuple(sorted(members.get(key, ()))), count=len(ids)))
    return out


# ---------------------------------------------------------------------------------------------- A12

def torn_transactions(ix: Indexes) -> tuple[list[Anomaly], set[tuple[str, str]]]:
    """Torn transactions, and the (topic, msg_id) they account for (so A1 does not count them again)."""
    out: list[Anomaly] = []
    accounted: set[tuple[str, str]] = set()
    for txn, recs in iter_txn_records(ix.history.produced).items():
        live = [r for r in recs if r.outcome is not Outcome.FAIL_DEFINITE and r.topic in ix.by_topic]
        if not live:
            continue
        status = live[0].txn_outcome
        if status in NEVER_COMMITTED:
            continue
        present: list[ProducedRecord] = []
        visible: list[ProducedRecord] = []
        missing: list[ProducedRecord] = []
        offsets: list[int] = []
        for rec in live:
            loc = ix.locate(rec.topic, rec.msg_id, rec.partition)
            if loc is None:
                missing.append(rec)
                continue
            present.append(rec)
            offsets.append(loc[1])
            if ix.parts[(rec.topic, loc[0])].visible(loc[1], True):
                visible.append(rec)
            else:
                missing.append(rec)
        committed = status is TxnOutcome.COMMITTED
        if not missing or not (visible or (committed and present)):
            continue
        absent = [r for r in missing if r not in present]
        hidden = [r for r in missing if r in present]
        parts = sorted({(r.topic, r.partition) for r in live}, key=str)
        topic, p = (parts[0] if len(parts) == 1 else (live[0].topic, None))
        detail = []
        if absent:
            verb = "is" if len(absent) == 1 else "are"
            detail.append(f"{listed([r.msg_id for r in absent])} {verb} not in the log")
        if hidden:
            verb = "is" if len(hidden) == 1 else "are"
            detail.append(f"{listed([r.msg_id for r in hidden])} {verb} stored but not visible under "
                          "read_committed")
        state = "committed" if committed else "of unknown outcome"
        text = (f"transaction {txn} ({state}) is only partly visible: {len(visible)} of {len(live)} records "
                f"can be read with read_committed, while {'; '.join(detail)}. Transactions must be all or "
                "nothing.")
        out.append(Anomaly(kind=TORN_TRANSACTION, judgement=VIOLATION, topic=topic, partition=p,
                           offsets=tuple(sorted(offsets)), msg_ids=tuple(r.msg_id for r in missing),
                           explanation=text, count=len(missing)))
        accounted.update((r.topic, r.msg_id) for r in missing)
    return out, accounted
