"""``explain_record(history, msg_id)``: one record's life as plain lines, for drill-down views.

Sent -> acknowledged (or failed) -> re-sent by the application -> stored (final re-read, dead-letter
copies with their origin) -> delivered to members (with generation) or acquired by share members (with the
delivery count) -> failed, and what the error policy did -> processed -> acknowledged -> committed past
-> crashes/revocations of members that held it.
"""

from __future__ import annotations

from tui.engine.checker.consumer_log import sorted_events
from tui.engine.checker.index import READ_UNCOMMITTED
from tui.engine.checker.text import where
from tui.engine.history import ConsumerEvent, ConsumerEventKind, History, Outcome, ProducedRecord

K = ConsumerEventKind
_PER_RECORD = frozenset({K.FAILED, K.POLICY, K.DLT_SENT, K.ACQUIRED, K.ACK})
_ENDINGS = {K.CRASH: "crashed", K.KICKED: "was kicked out (max.poll.interval.ms exceeded)",
            K.LEAVE: "left the group", K.REVOKE: "had the partition revoked", K.LOST: "lost the partition"}


def _sent_lines(rec: ProducedRecord) -> list[tuple[float, str]]:
    lines = [(rec.t_send, f"sent by producer {rec.producer} (incarnation {rec.incarnation}, send #{rec.seq}) "
                          f"to {where(rec.topic, rec.partition)}")]
    t = rec.t_ack if rec.t_ack is not None else rec.t_send
    latency = f" after {(rec.t_ack - rec.t_send) * 1000:.0f} ms" if rec.t_ack is not None else ""
    if rec.outcome is Outcome.OK:
        text = f"acknowledged at {where(rec.topic, rec.partition, rec.offset)}{latency}"
    elif rec.outcome is Outcome.OK_NO_OFFSET:
        text = f"acknowledged without an offset{latency} (acks=0 or a duplicate-sequence ack)"
    elif rec.outcome is Outcome.FAIL_DEFINITE:
        text = f"failed definitely ({rec.error or 'error'}): not written"
    elif rec.outcome is Outcome.FAIL_INDEFINITE:
        text = f"outcome indefinite ({rec.error or 'error'}): it may or may not have been written"
        if rec.error == "NOT_ENOUGH_REPLICAS":
            text += (" (the producer retries, and an earlier attempt may have timed out in flight after the "
                     "leader appended it)")
    else:
        text = "no delivery report arrived (the producer was closed, purged or crashed first)"
    lines.append((t, text))
    if rec.txn_id is not None:
        state = rec.txn_outcome.value if rec.txn_outcome is not None else "open"
        verb = "was " if rec.txn_outcome else "is "
        lines.append((t, f"part of transaction {rec.txn_id}, which {verb}{state}"))
    if rec.resend_of is not None:
        lines.append((rec.t_send, f"an application-level resend of {rec.resend_of} (a new produce() call)"))
    return lines


def _resent_lines(history: History, msg_id: str) -> list[tuple[float, str]]:
    return [(r.t_send, f"re-sent by the application as {r.msg_id}") for r in history.produced
            if r.resend_of == msg_id]


def _policy_line(ev: ConsumerEvent) -> str | None:
    """FAILED / POLICY / DLT_SENT / ACQUIRED / ACK as one line of the timeline."""
    who = f"member {ev.member} (incarnation {ev.incarnation})"
    at = where(ev.topic, ev.partition, ev.offset)
    if ev.kind is K.FAILED:
        attempt = f", attempt {ev.attempt}" if ev.attempt and ev.attempt > 1 else ""
        return f"{who} failed to process it at {at}: {ev.error or 'error'}" + (
            f" ({ev.detail})" if ev.detail else "") + attempt
    if ev.kind is K.POLICY:
        target = f" ({ev.detail})" if ev.detail else ""
        return f"{who}'s error policy: {ev.action or '?'}{target}"
    if ev.kind is K.DLT_SENT:
        if not ev.ok:
            return f"{who}'s dead-letter send failed ({ev.error or 'error'})"
        dlt = ev.dlt
        return f"{who} dead-lettered it to " + (
            where(dlt.topic, dlt.partition, dlt.offset) if dlt is not None else "the DLT")
    if ev.kind is K.ACQUIRED:
        count = f", delivery count {ev.delivery_count}" if ev.delivery_count is not None else ""
        return (f"acquired by share member {ev.member} (incarnation {ev.incarnation}, group {ev.group}) from "
                f"{at}{count}")
    if ev.kind is K.ACK:
        return f"{who} acknowledged it: {ev.action or '?'}" + (f" ({ev.mode})" if ev.mode else "")
    return None


def explain_record(history: History, msg_id: str) -> list[str]:
    """The timeline of one record, oldest first; a single line when nothing mentions ``msg_id``."""
    timed: list[tuple[float, str]] = []
    for rec in history.produced:
        if rec.msg_id == msg_id:
            timed.extend(_sent_lines(rec))
    timed.extend(_resent_lines(history, msg_id))
    held: dict[tuple[str, str, int], int] = {}
    """(group, topic, partition) -> offset this record was delivered from."""
    holders: set[tuple[str, int]] = set()
    covered: set[tuple[str, str, int]] = set()
    generation: dict[tuple[str, int], int | None] = {}
    for ev in sorted_events(history.consumption):
        mk = (ev.member, ev.incarnation)
        if ev.kind is K.ASSIGN:
            generation[mk] = ev.generation
        elif ev.kind is K.DELIVER and ev.msg_id == msg_id and ev.partition is not None:
            gen = generation.get(mk)
            held[(ev.group, ev.topic, ev.partition)] = ev.offset if ev.offset is not None else -1
            holders.add(mk)
            covered.discard((ev.group, ev.topic, ev.partition))
            timed.append((ev.ts, f"delivered to member {ev.member} (incarnation {ev.incarnation}"
                                  + (f", generation {gen}" if gen is not None else "")
                                  + f", group {ev.group}) from {where(ev.topic, ev.partition, ev.offset)}"
                                  + (f" [strategy {ev.strategy}]" if ev.strategy else "")))
        elif ev.kind is K.PROCESSED and ev.msg_id == msg_id:
            timed.append((ev.ts, f"processed by member {ev.member} (incarnation {ev.incarnation})"))
        elif ev.kind in _PER_RECORD and ev.msg_id == msg_id:
            line = _policy_line(ev)
            if line is not None:
                timed.append((ev.ts, line))
        elif ev.kind is K.COMMIT_RESULT:
            for p, off in ev.offsets:
                gtp = (ev.group, ev.topic, p)
                o = held.get(gtp)
                if o is None or off <= o or gtp in covered:
                    continue
                if ev.ok:
                    covered.add(gtp)
                    timed.append((ev.ts, f"committed past: {ev.mode or 'a'} commit by member {ev.member} moved "
                                         f"group {ev.group}'s offset for {where(ev.topic, p)} to {off}"))
                else:
                    timed.append((ev.ts, f"a {ev.mode or ''} commit by member {ev.member} covering it failed "
                                         f"({ev.error or 'error'})".replace("a  commit", "a commit")))
        elif ev.kind in _ENDINGS and mk in holders:
            if ev.kind in (K.REVOKE, K.LOST) and not any(
                    (ev.group, ev.topic, p) in held for p in ev.partitions):
                continue
            holders.discard(mk)
            detail = f" ({ev.detail})" if ev.detail else ""
            timed.append((ev.ts, f"member {ev.member} (incarnation {ev.incarnation}) "
                                 f"{_ENDINGS[ev.kind]}{detail}"))
    timed.sort(key=lambda item: item[0])
    base = timed[0][0] if timed else 0.0
    lines = [f"+{t - base:.3f}s {text}" for t, text in timed]
    lines.extend(_stored_lines(history, msg_id))
    if not lines:
        return [f"nothing recorded mentions {msg_id}"]
    return lines


def _stored_lines(history: History, msg_id: str) -> list[str]:
    if history.audit is None:
        return []
    lines: list[str] = []
    topics = {r.topic for r in history.produced if r.msg_id == msg_id}
    txns = {t.txn_id: t for t in history.transactions}
    origins = {(p.topic, p.partition, o.offset): o for p in history.audit.partitions for o in p.dlt_origins}
    stored: dict[str, int] = {}
    for part in history.audit.partitions:
        offs = [o for o, m in part.records if m == msg_id]
        tags = dict(part.txn_tags) if offs and part.txn_tags else {}
        for o in offs:
            vis = ""
            if part.committed_visible is not None:
                vis = ("; visible under read_committed" if o in part.committed_visible
                       else f"; hidden under read_committed (only {READ_UNCOMMITTED} sees it)")
            txn_id = tags.get(o)
            if part.topic in topics or (not topics and txn_id is None):
                stored[part.topic] = stored.get(part.topic, 0) + 1
                lines.append(f"final re-read: stored at {where(part.topic, part.partition, o)}{vis}")
                continue
            origin = origins.get((part.topic, part.partition, o))
            if origin is not None:
                lines.append(f"final re-read: a dead-letter copy at {where(part.topic, part.partition, o)} "
                             f"(from {where(origin.topic or '?', origin.partition, origin.source_offset)}"
                             + (f", {origin.error}" if origin.error else "")
                             + (f", sent by member {origin.member}" if origin.member else "") + ")")
                continue
            t = txns.get(txn_id) if txn_id is not None else None
            writer = "" if txn_id is None else f" written by transaction {txn_id}"
            if t is not None:
                writer += f" ({t.outcome.value}, member {t.member})"
            lines.append(f"final re-read: a copy at {where(part.topic, part.partition, o)}{writer}{vis}")
    audited = {p.topic for p in history.audit.partitions}
    if not stored and topics & audited:
        lines.append("final re-read: not stored in any partition it read")
    for topic, n in sorted(stored.items()):
        if n > 1:
            lines.append(f"stored {n} times in {topic}: a log duplicate")
    return lines
