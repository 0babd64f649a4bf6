"""``check(history) -> Verdict``: join the ledger, the consumption log and the final re-read.

Pure and linear: one pass over the ledger, one over the consumption log, one over the re-read; the
rules then only look at suspicious records. See delivery-semantics.md §3 for the anomaly table.
"""

from __future__ import annotations

from dataclasses import replace

from tui.engine.checker.consumer_log import GTP, ConsumptionLog, read_log
from tui.engine.checker.consumer_rules import redelivered
from tui.engine.checker.dlt_rules import dead_lettered, dlt_duplicates, index_dlt
from tui.engine.checker.gap_rules import Lag, final_committed, gaps
from tui.engine.checker.index import ACKED, Indexes, build_indexes
from tui.engine.checker.producer_rules import (
    aborted_visible,
    check_deliveries,
    inconsistent_offsets,
    log_duplicates,
    lost_and_unseen,
    reorders_and_gaps,
    scan_ledger,
    torn_transactions,
)
from tui.engine.checker.resend_rules import resend_duplicates
from tui.engine.checker.share_rules import ShareLog, judge_share, read_share, remarks
from tui.engine.checker.stuck_rules import stuck
from tui.engine.checker.text import where
from tui.engine.checker.txn_rules import aborted_copies, index_transactions, torn_copies
from tui.engine.checker.verdict import EXPECTED, KINDS, LOST, VIOLATION, Anomaly, Verdict, VerdictSummary
from tui.engine.history import History, Outcome

_KIND_ORDER = {k: i for i, k in enumerate(KINDS)}


def check(history: History) -> Verdict:
    """Judge a recorded run. Never raises on odd input: unknown pieces are simply not judged."""
    ix = build_indexes(history)
    tix = index_transactions(ix)
    log = read_log(history.consumption, ix)
    dix = index_dlt(ix, log)
    share = read_share(ix, log)
    torn, accounted = torn_transactions(ix)
    scan = scan_ledger(ix, log, accounted)
    extra_positions = check_deliveries(scan, ix, log)
    missing = lost_and_unseen(scan, ix, log)
    lost_ids = {m for a in missing for m in a.msg_ids}
    committed = final_committed(log, history.final_commits)
    gap_anomalies, lag = gaps(log, ix, committed, dix)
    anomalies: list[Anomaly] = [
        *missing,
        *inconsistent_offsets(scan, [a for a in missing if a.kind == LOST]),
        *log_duplicates(ix, extra_positions, tix, dix.topics),
        *resend_duplicates(ix),
        *redelivered(log),
        *gap_anomalies,
        *log.anomalies,
        *excuse_truncation(log.rewinds, missing),
        *reorders_and_gaps(scan, ix, lost_ids),
        *aborted_visible(scan, ix, log),
        *aborted_copies(ix, tix, log),
        *torn,
        *torn_copies(ix, tix),
        *dead_lettered(dix, ix, log),
        *dlt_duplicates(dix, log),
        *stuck(ix, log),
        *judge_share(ix, share),
    ]
    anomalies.sort(key=_order)
    return Verdict(anomalies=tuple(anomalies), summary=_summary(history, ix, log, share, committed, lag),
                   notes=history.notes)


def excuse_truncation(rewinds: list[Anomaly], missing: list[Anomaly]) -> list[Anomaly]:
    """Poll skips, nonmonotonic polls and commit regressions on a partition whose log lost records
    expectedly (acks=1 leader change, unclean election...) follow from that truncation: librdkafka
    detects it and seeks to the new log end by itself, without logging it, so the tool cannot see
    that seek and judges these by the loss instead."""
    truncated = {(a.topic, a.partition) for a in missing
                 if a.kind == LOST and a.judgement == EXPECTED and a.partition is not None}
    if not truncated:
        return rewinds
    out: list[Anomaly] = []
    for a in rewinds:
        if a.judgement != VIOLATION or (a.topic, a.partition) not in truncated:
            out.append(a)
            continue
        out.append(replace(a, judgement=EXPECTED, explanation=(
            f"{a.explanation} Explained by the expected loss on {where(a.topic, a.partition)}: its log was "
            "truncated, and librdkafka, on detecting a truncation, seeks to the new log end by itself without "
            "logging it, so this tool cannot see that seek and reads it as a jump or rewind.")))
    return out


def _order(a: Anomaly) -> tuple[int, int, str, str, int, int]:
    first = min(a.offsets) if a.offsets else -1
    return (_KIND_ORDER.get(a.kind, len(KINDS)), 0 if a.judgement == VIOLATION else 1, a.group or "",
            a.topic, a.partition if a.partition is not None else -1, first)


def _summary(history: History, ix: Indexes, log: ConsumptionLog, share: ShareLog,
             committed: dict[GTP, int | None], lag: Lag) -> VerdictSummary:
    outcomes = [r.outcome for r in history.produced]
    # acks=0 successes were sent, never acknowledged: counted apart from acked (lost/unseen unchanged)
    no_ack_producers = {s.name for s in history.producers if s.acks == "0"}
    no_ack = sum(1 for r in history.produced
                 if r.outcome is Outcome.OK_NO_OFFSET and r.producer in no_ack_producers)
    by_group: dict[str, dict[str, int | None]] = {}
    for (group, topic, p), off in sorted(committed.items(), key=lambda kv: (kv[0][0], kv[0][1], kv[0][2])):
        if group in log.groups:
            by_group.setdefault(group, {})[f"{topic}/{p}"] = off
    return VerdictSummary(
        produced=len(outcomes),
        acked=len(outcomes) - no_ack - sum(1 for o in outcomes if o not in ACKED),
        sent_no_ack=no_ack,
        failed_definite=outcomes.count(Outcome.FAIL_DEFINITE),
        failed_indefinite=outcomes.count(Outcome.FAIL_INDEFINITE),
        unknown=outcomes.count(Outcome.UNKNOWN),
        audited=sum(len(p.at) for p in ix.parts.values()),
        audited_partitions=len(ix.parts),
        incomplete_partitions=sum(1 for p in ix.parts.values() if not p.audit.complete),
        delivered=log.delivered,
        distinct_delivered=sum(len(d) for d in log.deliveries.values()),
        processed=log.processed + share.processed,
        processed_twice=sum(len(s) for s in log.processed_twice.values()),
        committed=by_group,
        groups=tuple(sorted(log.groups)),
        members=tuple(sorted({*log.members, *share.members})),
        lag=lag,
        transactions=len(history.transactions),
        failed=sum(map(len, log.failures.values())) + sum(len(r.failed) for r in share.records.values()),
        share_groups=tuple(sorted(share.groups)),
        acquired=share.acquired,
        acknowledged=dict(sorted(share.acked.items())),
        remarks=remarks(share),
    )
