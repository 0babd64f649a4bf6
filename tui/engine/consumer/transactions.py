"""Every transaction the group members ran (the ``transactional`` strategy), as the checker needs it.

A member reports ``txn-begin`` after ``begin_transaction()`` and ``txn-end`` with the outcome and the
msg_ids it copied; a member that dies in between never says how it ended. Then the outcome is
``unknown`` if it had asked to commit (the commit may have completed), else ``open`` (Kafka aborts it
when the next incarnation calls ``init_transactions`` or at transaction.timeout.ms).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass, replace

from tui.engine.history import Transaction, TxnOutcome


@dataclass
class _Open:
    txn: Transaction
    commit_requested: bool = False


class TransactionBook:
    """Thread-safe; written by the member runners, read by the evidence gathering."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._open: dict[str, _Open] = {}
        self._done: list[Transaction] = []

    def begin(self, txn_id: str, member: str, incarnation: int, group: str, output_topic: str,
              ts: float) -> None:
        with self._lock:
            self._open[txn_id] = _Open(Transaction(txn_id, member, incarnation, group, output_topic,
                                                   TxnOutcome.OPEN, None, ts_begin=ts))

    def commit_requested(self, member: str, incarnation: int) -> None:
        """The member asked to commit its open transaction (a ``commit-req`` with mode ``txn``)."""
        with self._lock:
            for entry in self._open.values():
                if entry.txn.member == member and entry.txn.incarnation == incarnation:
                    entry.commit_requested = True

    def end(self, txn_id: str, outcome: str, copies: Iterable[str], error: str | None,
            ts: float) -> None:
        with self._lock:
            entry = self._open.pop(txn_id, None)
            if entry is None:
                return
            self._done.append(replace(entry.txn, outcome=_outcome(outcome), copies=tuple(copies),
                                      ts_end=ts, error=error))

    def transactions(self) -> tuple[Transaction, ...]:
        """Every transaction so far; one never ended is ``unknown`` (commit asked) or ``open``."""
        with self._lock:
            unfinished = [replace(e.txn, outcome=TxnOutcome.UNKNOWN if e.commit_requested
                                  else TxnOutcome.OPEN) for e in self._open.values()]
            return tuple(sorted((*self._done, *unfinished), key=lambda t: t.ts_begin))


def _outcome(text: str) -> TxnOutcome:
    try:
        return TxnOutcome(text)
    except ValueError:
        return TxnOutcome.UNKNOWN
