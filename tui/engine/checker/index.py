"""Lookup tables over the ledger and the final re-read, built once per check (linear time)."""

from __future__ import annotations

import bisect
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from operator import itemgetter

from tui.engine.history import (
    AuditPartition,
    History,
    Outcome,
    ProducedRecord,
    ProducerSettings,
    TxnOutcome,
)

_SECOND = itemgetter(1)
READ_COMMITTED = "read_committed"
READ_UNCOMMITTED = "read_uncommitted"


@dataclass
class PartitionIndex:
    """One audited partition: offset -> msg_id, msg_id -> lowest offset, and duplicates."""

    audit: AuditPartition
    at: dict[int, str | None]
    where: dict[str, int]
    """msg_id -> lowest offset holding it."""
    dups: dict[str, list[int]]
    """msg_id -> every offset holding it, only for msg_ids stored more than once."""
    _sorted: dict[bool, list[int]] = field(default_factory=dict)

    @property
    def topic(self) -> str:
        return self.audit.topic

    @property
    def partition(self) -> int:
        return self.audit.partition

    def visible(self, offset: int, read_committed: bool) -> bool:
        """Whether a reader at that isolation level sees the record at ``offset`` (must be stored)."""
        if offset not in self.at:
            return False
        cv = self.audit.committed_visible
        return not read_committed or cv is None or offset in cv

    def sorted_offsets(self, read_committed: bool) -> list[int]:
        key = read_committed and self.audit.committed_visible is not None
        cached = self._sorted.get(key)
        if cached is None:
            if key:
                cv = self.audit.committed_visible or frozenset()
                cached = sorted(o for o in self.at if o in cv)
            else:
                cached = sorted(self.at)
            self._sorted[key] = cached
        return cached

    def between(self, low: int, high: int, read_committed: bool) -> list[int]:
        """Visible stored offsets o with low <= o < high (the dense positions a reader must pass)."""
        if high <= low:
            return []
        offs = self.sorted_offsets(read_committed)
        return offs[bisect.bisect_left(offs, low):bisect.bisect_left(offs, high)]


def index_partition(audit: AuditPartition) -> PartitionIndex:
    records = audit.records
    at = dict(records)
    # reversed: the lowest offset wins for a msg_id stored twice
    where = {mid: off for off, mid in reversed(records) if mid is not None}
    dups: dict[str, list[int]] = {}
    ours = len(records) - list(map(_SECOND, records)).count(None)
    if len(where) < ours:
        counts = Counter(mid for _, mid in records if mid is not None)
        for off, mid in records:
            if mid is not None and counts[mid] > 1:
                dups.setdefault(mid, []).append(off)
    return PartitionIndex(audit=audit, at=at, where=where, dups=dups)


@dataclass
class Indexes:
    """Everything the producer-side rules look up, keyed for O(1) access."""

    history: History
    ledger: dict[str, dict[str, ProducedRecord]]
    """topic -> msg_id -> ledger row."""
    settings: dict[str, ProducerSettings]
    parts: dict[tuple[str, int], PartitionIndex]
    by_topic: dict[str, list[PartitionIndex]]
    _resends: dict[str, dict[str, list[ProducedRecord]]] = field(default_factory=dict)

    def resends_of(self, topic: str) -> dict[str, list[ProducedRecord]]:
        """msg_id -> the application's resends of it, for ``topic`` (built on first use)."""
        found = self._resends.get(topic)
        if found is None:
            found = self._resends[topic] = {}
            for rec in self.ledger.get(topic, {}).values():
                if rec.resend_of is not None:
                    found.setdefault(rec.resend_of, []).append(rec)
        return found

    def locate(self, topic: str, msg_id: str, hint: int | None = None) -> tuple[int, int] | None:
        """(partition, lowest offset) of ``msg_id`` in the final re-read of ``topic``, else None."""
        if hint is not None:
            part = self.parts.get((topic, hint))
            if part is not None:
                off = part.where.get(msg_id)
                if off is not None:
                    return hint, off
        for part in self.by_topic.get(topic, ()):
            if part.partition == hint:
                continue
            off = part.where.get(msg_id)
            if off is not None:
                return part.partition, off
        return None

    def read_committed(self, group: str) -> bool:
        """librdkafka's default isolation is read_committed; only an explicit read_uncommitted differs."""
        return self.history.isolation.get(group, READ_COMMITTED) != READ_UNCOMMITTED

    def record(self, topic: str, msg_id: str | None) -> ProducedRecord | None:
        if msg_id is None:
            return None
        rows = self.ledger.get(topic)
        return rows.get(msg_id) if rows is not None else None


def build_indexes(history: History) -> Indexes:
    ledger: dict[str, dict[str, ProducedRecord]] = {}
    topics = {rec.topic for rec in history.produced}
    if len(topics) == 1:
        ledger[topics.pop()] = {rec.msg_id: rec for rec in history.produced}
    else:
        for rec in history.produced:
            rows = ledger.get(rec.topic)
            if rows is None:
                rows = ledger[rec.topic] = {}
            rows[rec.msg_id] = rec
    parts: dict[tuple[str, int], PartitionIndex] = {}
    by_topic: dict[str, list[PartitionIndex]] = {}
    if history.audit is not None:
        for audit in history.audit.partitions:
            pidx = index_partition(audit)
            parts[(audit.topic, audit.partition)] = pidx
            by_topic.setdefault(audit.topic, []).append(pidx)
    settings = {s.name: s for s in history.producers}
    return Indexes(history=history, ledger=ledger, settings=settings, parts=parts, by_topic=by_topic)


ACKED = frozenset({Outcome.OK, Outcome.OK_NO_OFFSET})
NEVER_COMMITTED = frozenset({TxnOutcome.ABORTED, TxnOutcome.OPEN})
"""Transactions whose records must never become visible under read_committed."""
MAYBE_WRITTEN = frozenset({Outcome.FAIL_INDEFINITE, Outcome.UNKNOWN})


def must_exist(rec: ProducedRecord, observed: bool) -> bool:
    """Whether the record must be in the log (Jepsen's must-have-committed): acked, or indefinite but
    seen by a consumer. Transactional records follow their transaction: a committed transaction wrote
    every send that did not fail definitely; an aborted one promises nothing."""
    if rec.txn_outcome in NEVER_COMMITTED or rec.outcome is Outcome.FAIL_DEFINITE:
        return False
    if rec.txn_outcome is TxnOutcome.COMMITTED:
        return True
    if rec.txn_outcome is TxnOutcome.UNKNOWN or rec.outcome in MAYBE_WRITTEN:
        return observed
    return True


def iter_txn_records(records: Iterable[ProducedRecord]) -> dict[str, list[ProducedRecord]]:
    txns: dict[str, list[ProducedRecord]] = {}
    for rec in records:
        if rec.txn_id is not None:
            txns.setdefault(rec.txn_id, []).append(rec)
    return txns
