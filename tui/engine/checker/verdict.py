"""The checker's output: anomalies with their records and causes, counted per kind.

Kinds are stable names (tests, scenarios and the TUI rely on them); each maps to a row of the anomaly
table in delivery-semantics.md §3. Each :class:`Anomaly` covers one *episode* (e.g. "offsets 110-117
of orders/2 were delivered again after m2 crashed") and says how many units it counts for. The unit
per kind (what ``Verdict.counts`` adds up):

* ``unconsumed``: records in the final re-read that no member of the group received (per group);
* ``lost``, ``unseen``, ``skipped``, ``aborted-visible``, ``producer-reorder``, ``producer-gap``:
  records;
* ``log-duplicate``: msg_ids stored at more than one offset;
* ``redelivered``: (group, partition, offset) triples delivered more than once (each offset once; the
  number of extra deliveries is in the explanation). A record returned to a member that crashed before
  processing it and then returned again *is* redelivered: every record ``consume()`` handed to the
  application counts, as in Kafka's own consumer system tests (``position <= total_consumed``);
* ``processed-twice``: the subset of those triples whose record was PROCESSED more than once (A5's
  "duplicate processing"), i.e. what an at-least-once application actually does twice;
* ``inconsistent-offset``: (partition, offset) positions claimed by two different records;
* ``poll-skip``: visible records passed over inside one assignment epoch;
* ``nonmonotonic-poll``: deliveries that went backwards (or repeated) inside one epoch;
* ``torn-transaction``: records (or copies) of a committed (or partly visible) transaction missing
  from the read_committed view;
* ``commit-anomaly``: offending commits (A14 a: past what was delivered, b: committed offset went
  backwards, c: for a partition the member did not own);
* ``stuck``: stalled partitions (one per group, partition and offset it stuck at);
* ``resend-duplicate``: logical messages (a record and the application's resends of it) stored more
  than once;
* ``skipped-by-policy``, ``rejected``, ``archived``: records;
* ``dead-lettered``: source records with a copy in a dead-letter topic (each once, however many
  copies), plus dead-letter records that cannot be traced to a source record;
* ``dlt-duplicate``: source records with more than one copy in a dead-letter topic;
* ``delivered-again``: records a share group acquired more than once (each once).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from tui.vocab import ANOMALY_TITLES, AnomalyKind, Judgement

UNCONSUMED: str = AnomalyKind.UNCONSUMED
LOST: str = AnomalyKind.LOST
UNSEEN: str = AnomalyKind.UNSEEN
INCONSISTENT_OFFSET: str = AnomalyKind.INCONSISTENT_OFFSET
LOG_DUPLICATE: str = AnomalyKind.LOG_DUPLICATE
REDELIVERED: str = AnomalyKind.REDELIVERED
PROCESSED_TWICE: str = AnomalyKind.PROCESSED_TWICE
SKIPPED: str = AnomalyKind.SKIPPED
POLL_SKIP: str = AnomalyKind.POLL_SKIP
NONMONOTONIC_POLL: str = AnomalyKind.NONMONOTONIC_POLL
PRODUCER_REORDER: str = AnomalyKind.PRODUCER_REORDER
PRODUCER_GAP: str = AnomalyKind.PRODUCER_GAP
ABORTED_VISIBLE: str = AnomalyKind.ABORTED_VISIBLE
TORN_TRANSACTION: str = AnomalyKind.TORN_TRANSACTION
COMMIT_ANOMALY: str = AnomalyKind.COMMIT_ANOMALY
STUCK: str = AnomalyKind.STUCK
RESEND_DUPLICATE: str = AnomalyKind.RESEND_DUPLICATE
DELIVERED_AGAIN: str = AnomalyKind.DELIVERED_AGAIN
SKIPPED_BY_POLICY: str = AnomalyKind.SKIPPED_BY_POLICY
DEAD_LETTERED: str = AnomalyKind.DEAD_LETTERED
DLT_DUPLICATE: str = AnomalyKind.DLT_DUPLICATE
REJECTED: str = AnomalyKind.REJECTED
ARCHIVED: str = AnomalyKind.ARCHIVED

KINDS: tuple[str, ...] = tuple(AnomalyKind)
"""Every anomaly kind, in report order (the vocabulary's order)."""

KIND_TITLES: Mapping[str, str] = {kind.value: title for kind, title in ANOMALY_TITLES.items()}
"""One-line human titles for the TUI and reports."""

VIOLATION: str = Judgement.VIOLATION
EXPECTED: str = Judgement.EXPECTED
LIVENESS: str = Judgement.LIVENESS
JUDGEMENTS: tuple[str, ...] = tuple(Judgement)


@dataclass(frozen=True, slots=True)
class Anomaly:
    """One episode of one kind: the records it concerns and the cause read from the recorded events."""

    kind: str
    judgement: str
    """'violation' (a broken promise), 'expected' (allowed by this configuration), 'liveness'."""
    topic: str
    partition: int | None
    offsets: tuple[int, ...]
    msg_ids: tuple[str, ...]
    explanation: str
    members: tuple[str, ...] = ()
    count: int = -1
    """Units this episode adds to ``Verdict.counts[kind]`` (see the module doc); -1 means "derive it":
    the number of offsets, else of msg_ids, else 1. 0 is legal (e.g. a third delivery of offsets
    already counted by an earlier redelivery episode)."""
    group: str | None = None
    """Consumer group, for consumer-side kinds."""

    def __post_init__(self) -> None:
        if self.count < 0:
            units = len(self.offsets) or len(self.msg_ids) or 1
            object.__setattr__(self, "count", units)

    def to_json(self, max_items: int | None = None) -> dict[str, Any]:
        offsets = self.offsets if max_items is None else self.offsets[:max_items]
        msg_ids = self.msg_ids if max_items is None else self.msg_ids[:max_items]
        return {
            "kind": self.kind,
            "judgement": self.judgement,
            "topic": self.topic,
            "partition": self.partition,
            "group": self.group,
            "count": self.count,
            "offsets": list(offsets),
            "msg_ids": list(msg_ids),
            "truncated": len(offsets) < len(self.offsets) or len(msg_ids) < len(self.msg_ids),
            "members": list(self.members),
            "explanation": self.explanation,
        }


@dataclass(frozen=True)
class VerdictSummary:
    """Totals behind the verdict, from the ledger, the consumption log and the final re-read."""

    produced: int = 0
    acked: int = 0
    """Acknowledged by the cluster: OK, and OK_NO_OFFSET of acks=1/all producers (duplicate-sequence
    acks); acks=0 records are ``sent_no_ack`` instead."""
    failed_definite: int = 0
    failed_indefinite: int = 0
    unknown: int = 0
    audited: int = 0
    """Records read by the final re-read (read_uncommitted), ours and foreign."""
    audited_partitions: int = 0
    incomplete_partitions: int = 0
    """Partitions the final re-read could not read to their high watermark."""
    delivered: int = 0
    """DELIVER events (every record returned to a member, repeats included)."""
    distinct_delivered: int = 0
    """Distinct (group, topic, partition, offset) delivered."""
    processed: int = 0
    """PROCESSED events."""
    processed_twice: int = 0
    """(group, topic, partition, offset) processed more than once."""
    committed: Mapping[str, Mapping[str, int | None]] = field(default_factory=dict)
    """group -> 'topic/partition' -> final committed offset (authoritative read, else last commit)."""
    groups: tuple[str, ...] = ()
    members: tuple[str, ...] = ()
    lag: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    """group -> 'topic/partition' -> offsets between the group's final position (its committed offset,
    else the first offset delivered to it) and the high watermark of the final re-read."""
    transactions: int = 0
    """Transactions recorded for group members (the transactional strategy's copies)."""
    failed: int = 0
    """FAILED events (records a member failed to process, each attempt counted)."""
    share_groups: tuple[str, ...] = ()
    acquired: int = 0
    """Share groups: ACQUIRED events (every delivery, redeliveries included)."""
    acknowledged: Mapping[str, int] = field(default_factory=dict)
    """Share groups: ACK events per acknowledgement type (accept / release / reject)."""
    remarks: tuple[str, ...] = ()
    """What the verdict does not judge, and why (e.g. no ordering findings for share groups)."""
    sent_no_ack: int = 0
    """acks=0 records librdkafka reported sent: no broker acknowledged them (OK_NO_OFFSET)."""

    def to_json(self) -> dict[str, Any]:
        return {
            "produced": self.produced,
            "acked": self.acked,
            "sent_no_ack": self.sent_no_ack,
            "failed_definite": self.failed_definite,
            "failed_indefinite": self.failed_indefinite,
            "unknown": self.unknown,
            "audited": self.audited,
            "audited_partitions": self.audited_partitions,
            "incomplete_partitions": self.incomplete_partitions,
            "delivered": self.delivered,
            "distinct_delivered": self.distinct_delivered,
            "processed": self.processed,
            "processed_twice": self.processed_twice,
            "committed": {g: dict(parts) for g, parts in self.committed.items()},
            "groups": list(self.groups),
            "members": list(self.members),
            "lag": {g: dict(parts) for g, parts in self.lag.items()},
            "transactions": self.transactions,
            "failed": self.failed,
            "share_groups": list(self.share_groups),
            "acquired": self.acquired,
            "acknowledged": dict(self.acknowledged),
            "remarks": list(self.remarks),
        }


def _zero_counts() -> dict[str, int]:
    return dict.fromkeys(KINDS, 0)


@dataclass(frozen=True)
class Verdict:
    """The checker's answer. ``counts`` and ``ok`` are derived from ``anomalies`` (never passed in)."""

    anomalies: tuple[Anomaly, ...] = ()
    summary: VerdictSummary = field(default_factory=VerdictSummary)
    notes: tuple[str, ...] = ()
    """What limited the evidence (from the History); they excuse nothing."""
    counts: Mapping[str, int] = field(init=False, default_factory=_zero_counts)
    """Units per kind (see the module doc); every kind present, zeros included."""
    violations: Mapping[str, int] = field(init=False, default_factory=_zero_counts)
    """Units per kind judged 'violation'."""
    ok: bool = field(init=False, default=True)
    """True when no anomaly is a violation."""

    def __post_init__(self) -> None:
        counts = _zero_counts()
        violations = _zero_counts()
        for anomaly in self.anomalies:
            counts[anomaly.kind] = counts.get(anomaly.kind, 0) + anomaly.count
            if anomaly.judgement == VIOLATION:
                violations[anomaly.kind] = violations.get(anomaly.kind, 0) + anomaly.count
        object.__setattr__(self, "counts", counts)
        object.__setattr__(self, "violations", violations)
        object.__setattr__(self, "ok", not any(violations.values()))

    def count(self, kind: str, judgement: str | None = None) -> int:
        """Units of ``kind`` (optionally only those with this judgement)."""
        if kind not in self.counts:
            raise ValueError(f"unknown anomaly kind {kind!r}; known kinds: {', '.join(KINDS)}")
        if judgement is None:
            return self.counts[kind]
        return sum(a.count for a in self.anomalies if a.kind == kind and a.judgement == judgement)

    def of_kind(self, kind: str) -> tuple[Anomaly, ...]:
        if kind not in self.counts:
            raise ValueError(f"unknown anomaly kind {kind!r}; known kinds: {', '.join(KINDS)}")
        return tuple(a for a in self.anomalies if a.kind == kind)

    @property
    def unconsumed(self) -> int:
        """Records in the log that a group never received before the run ended (all groups)."""
        return self.counts[UNCONSUMED]

    @property
    def headline(self) -> str:
        """One line for people: never plain "ok" while records are unconsumed or unseen, or a partition
        was stuck.

        ``ok`` / ``ok so far: 27,940 records not yet consumed by G`` / ``not ok: 2 lost (violations);
        ...``."""
        pending: list[str] = []
        by_group: dict[str, int] = {}
        for a in self.anomalies:
            if a.kind == UNCONSUMED:
                by_group[a.group or "?"] = by_group.get(a.group or "?", 0) + a.count
        for group, n in sorted(by_group.items()):
            pending.append(f"{n:,} {'record' if n == 1 else 'records'} not yet consumed by {group}")
        stuck = self.counts[STUCK]
        if stuck:
            pending.append(f"{stuck:,} {'partition' if stuck == 1 else 'partitions'} stuck")
        unseen = self.counts[UNSEEN]
        if unseen:
            pending.append(f"{unseen:,} acknowledged {'record' if unseen == 1 else 'records'} not (yet) "
                           "readable")
        if not self.ok:
            broken = ", ".join(f"{n:,} {kind}" for kind, n in self.violations.items() if n)
            return f"not ok: {broken} (violations)" + "".join(f"; {p}" for p in pending)
        if pending:
            return "ok so far: " + "; ".join(pending)
        return "ok"

    def to_json(self, max_items: int | None = None) -> dict[str, Any]:
        """Stable JSON shape; ``max_items`` caps the offsets/msg_ids listed per anomaly."""
        return {
            "ok": self.ok,
            "headline": self.headline,
            "unconsumed": self.unconsumed,
            "notes": list(self.notes),
            "counts": dict(self.counts),
            "violations": dict(self.violations),
            "summary": self.summary.to_json(),
            "anomalies": [a.to_json(max_items) for a in self.anomalies],
        }
