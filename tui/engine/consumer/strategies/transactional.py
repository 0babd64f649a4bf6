"""transactional: consume-transform-produce with a transactional producer (transactional.id
kx-<group>-<member>, the same for every incarnation so a restart fences the crashed one). Per batch:
begin_transaction(); produce one output record per input record into the output topic (same key,
value and headers plus kx-src=<topic>/<partition>/<offset> and kx-txn=<transaction id>);
send_offsets_to_transaction(<last+1 per
partition>, consumer_group_metadata()); commit_transaction(). The input offsets count as committed only
when commit_transaction() returns. A retriable error (e.g. _TIMED_OUT: the commit goes on in the
background) is retried, never answered with an abort -- aborting and rewinding after a commit that
later completes would copy the batch twice. Only an error that requires an abort
(txn_requires_abort()) aborts the transaction and seeks back to the start of the batch; a fatal one
(fenced by a newer incarnation) drops the producer. A crash in the middle leaves the transaction open;
the restarted member's init_transactions() aborts it, so a read_committed reader of the output topic
sees every input record exactly once. A clean leave finishes the batch in hand (its transaction
commits) before the member closes. Records the error policy skipped or dead-lettered are not copied,
but their offsets are committed with the transaction."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from confluent_kafka import KafkaException, Message, TopicPartition

from tui.engine.consumer.strategies.base import (
    MemberIO,
    Strategy,
    first_offsets,
)
from tui.engine.record_format import HEADER_SRC, HEADER_TXN, msg_id_of

TXN_TIMEOUT = 10.0
"""Seconds per attempt of a transactional call."""
TXN_RETRY_FOR = 120.0
"""How long retriable errors of one call are retried before the member gives the batch up."""


class Transactional(Strategy):
    name = "transactional"
    title = "exactly-once copy into an output topic"
    guarantee = "exactly-once (read_committed output)"
    needs_output_topic = True

    def __init__(self) -> None:
        self._producer: Any = None
        self._begun = 0
        """begin_transaction() calls of this incarnation (numbers its transactions from 0)."""
        self._txn: str | None = None
        self._copies: list[str] = []

    def _ensure(self, io: MemberIO) -> Any:
        if self._producer is None:
            self._producer = io.make_producer()
        return self._producer

    def batch_start(self, io: MemberIO, records: Sequence[Message]) -> None:
        self._ensure(io).begin_transaction()
        # every transaction is reported, and every copy carries its id, so the verdict can tell a
        # visible copy of an aborted transaction from the committed redo of the same input
        self._txn = f"{io.transactional_id}/{io.incarnation}/{self._begun}"
        self._begun += 1
        self._copies = []
        io.emit("txn-begin", txn=self._txn, out=io.output_topic)

    def record_done(self, io: MemberIO, record: Message) -> None:
        headers = list(record.headers() or [])
        headers.append((HEADER_SRC, f"{record.topic()}/{record.partition()}/{record.offset()}".encode()))
        headers.append((HEADER_TXN, (self._txn or "").encode()))
        producer = self._ensure(io)
        producer.produce(io.output_topic, value=record.value(), key=record.key(), headers=headers)
        producer.poll(0)
        pairs = [(k, v if isinstance(v, bytes) else None) for k, v in headers if isinstance(k, str)]
        self._copies.append(msg_id_of(record.value(), pairs) or "")

    def _end(self, io: MemberIO, outcome: str, error: str | None = None) -> None:
        if self._txn is not None:
            io.emit("txn-end", txn=self._txn, outcome=outcome, copies=self._copies, error=error)
        self._txn = None

    def batch_end(self, io: MemberIO, records: Sequence[Message]) -> None:
        producer = self._ensure(io)
        offsets = io.next_offsets(records)
        io.emit("commit-req", offsets=_pairs(offsets), mode="txn")
        try:
            if offsets:  # none when the pause policy held the batch's first record
                _retrying(lambda: producer.send_offsets_to_transaction(
                    offsets, io.consumer.consumer_group_metadata(), TXN_TIMEOUT))
            _retrying(lambda: producer.commit_transaction(TXN_TIMEOUT))
        except KafkaException as exc:
            error = str(exc.args[0].name() if exc.args else exc)
            io.emit("commit-result", offsets=_pairs(offsets), mode="txn", ok=False, error=error)
            self._end(io, "aborted" if self._abort(producer, exc) else "unknown", error)
            io.seek_back(first_offsets(records))
            return
        io.emit("commit-result", offsets=_pairs(offsets), mode="txn", ok=True)
        self._end(io, "committed")

    def _abort(self, producer: Any, exc: KafkaException) -> bool:
        """Abort after a failed commit; True when the abort is known to have happened."""
        err = exc.args[0] if exc.args else None
        if err is not None and getattr(err, "txn_requires_abort", lambda: False)():
            try:
                producer.abort_transaction(TXN_TIMEOUT)
                return True
            except KafkaException:
                pass
        # fenced, fatal, or still retriable after TXN_RETRY_FOR: a new producer's init_transactions()
        # fences this one and aborts whatever it left open -- unless the commit completed meanwhile
        self._producer = None
        return False

    def close(self, io: MemberIO, processed: list[TopicPartition]) -> None:
        """A clean leave: the member finished its batch, so a transaction is open here only when its
        commit raised; abort it (and say so) rather than leave it to transaction.timeout.ms."""
        producer = self._producer
        if producer is None:
            return
        if self._txn is not None:
            try:
                producer.abort_transaction(TXN_TIMEOUT)
                self._end(io, "aborted", "aborted on a clean leave")
            except KafkaException as exc:
                self._end(io, "unknown", str(exc.args[0].name() if exc.args else exc))
        producer.flush(5.0)
        self._producer = None

    def before_crash(self, io: MemberIO) -> None:
        # put the open transaction's records into the log, so the crash leaves real uncommitted data
        if self._producer is not None:
            self._producer.flush(5.0)
        self._end(io, "open")


def _retrying(call: Callable[[], object]) -> None:
    """Run a transactional call, retrying while librdkafka says the error is retriable (the
    operation may still complete); raise the first error that is not, or the last one at the end."""
    deadline = time.monotonic() + TXN_RETRY_FOR
    while True:
        try:
            call()
            return
        except KafkaException as exc:
            err = exc.args[0] if exc.args else None
            retriable = err is not None and getattr(err, "retriable", lambda: False)()
            if not retriable or time.monotonic() >= deadline:
                raise


def _pairs(offsets: list[TopicPartition]) -> list[list[Any]]:
    return [[tp.topic, tp.partition, tp.offset] for tp in offsets]
