"""The delivery ledger of one producer incarnation: one row per ``produce()`` call, in columns.

Columns are ``array`` objects (35 bytes per record, so a million records fit in about 40 MB
including growth slack) instead of a million Python objects. The row index is the record's ``seq``.
The producer's runner thread is the only writer: ``sent()`` on send, ``deliver()`` from the delivery
callback. Readers on other threads only copy counters or read single items, which the GIL keeps
consistent enough for a live view; ``records()`` is meant for after the runner finished.

Aggregates are kept as they happen (never recomputed from the columns): outcome counts, errors by
code, acked records per partition, a latency histogram and a short tail of recent deliveries.
"""

from __future__ import annotations

from array import array
from collections import deque
from collections.abc import Iterator
from typing import Any

from tui.engine.history import Outcome, ProducedRecord
from tui.engine.producer.histogram import LatencyHistogram
from tui.engine.producer.outcomes import (
    CODE_DEFINITE,
    CODE_INDEFINITE,
    CODE_OK,
    CODE_OK_NO_OFFSET,
    CODE_UNKNOWN,
    DEFINITE,
    DUPLICATE_SEQUENCE_NUMBER,
    OUTCOMES,
    error_name,
)
from tui.engine.producer.workload import KeyMode
from tui.engine.record_format import make_msg_id

_CHUNK = 65_536  # DR-side columns grow in chunks so the send path appends only two values
_NAN = float("nan")
TAIL = 20

Recent = tuple[int, int, int, float, int, int]
"""(seq, partition, offset, latency s, error code, key number) of one delivery report."""


class Ledger:
    def __init__(self, run_id: str, producer: str, incarnation: int, topic: str,
                 key_mode: KeyMode, fixed_partition: int | None = None) -> None:
        self.run_id = run_id
        self.producer = producer
        self.incarnation = incarnation
        self.topic = topic
        self.key_mode = key_mode
        self.fixed_partition = fixed_partition
        # written on send
        self.key = array("q")
        self.t_send = array("d")
        # written on delivery (pre-sized in chunks)
        self.partition = array("i")
        self.offset = array("q")
        self.latency = array("f")
        self.outcome = array("b")
        self.error = array("h")
        # aggregates
        self.sent = 0
        self.reported = 0
        self.counts = [0] * len(OUTCOMES)
        self.errors: dict[int, int] = {}
        self.per_partition: dict[int, int] = {}
        self.histogram = LatencyHistogram()
        self.recent: deque[Recent] = deque(maxlen=TAIL)
        self.first_send: float | None = None
        self.last_send: float | None = None
        self.last_ack: float | None = None

    # ---- writer side (the runner thread) ---------------------------------------------------

    def sent_one(self, key_number: int, t_send: float) -> int:
        """Record a send; returns its seq (the row index)."""
        seq = self.sent
        if seq >= len(self.outcome):
            self._grow()
        self.key.append(key_number)
        self.t_send.append(t_send)
        self.sent = seq + 1
        if self.first_send is None:
            self.first_send = t_send
        self.last_send = t_send
        return seq

    def unsend_last(self) -> None:
        """Forget the last send (``produce()`` raised before librdkafka took the record)."""
        self.key.pop()
        self.t_send.pop()
        self.sent -= 1
        self.last_send = self.t_send[-1] if self.sent else None

    def _grow(self) -> None:
        self.partition.extend(array("i", [-1]) * _CHUNK)
        self.offset.extend(array("q", [-1]) * _CHUNK)
        self.latency.extend(array("f", [_NAN]) * _CHUNK)
        self.outcome.extend(array("b", [CODE_UNKNOWN]) * _CHUNK)
        self.error.extend(array("h", [0]) * _CHUNK)

    def deliver(self, seq: int, err: Any, msg: Any) -> None:
        """Delivery callback body: fill row ``seq`` and the aggregates (hot path)."""
        partition = msg.partition()
        if err is None:
            offset = msg.offset()
            latency = msg.latency()
            if offset is None or offset < 0:
                code = CODE_OK_NO_OFFSET
                offset = -1
            else:
                code = CODE_OK
            self.offset[seq] = offset
            if latency is not None:
                self.latency[seq] = latency
                self.histogram.record(latency)
            self.per_partition[partition] = self.per_partition.get(partition, 0) + 1
            self.last_ack = self.t_send[seq] + (latency or 0.0)
            error_code = 0
        else:
            error_code = err.code()
            offset = -1
            latency = _NAN
            if error_code == DUPLICATE_SEQUENCE_NUMBER:
                code = CODE_OK_NO_OFFSET
                self.per_partition[partition] = self.per_partition.get(partition, 0) + 1
            else:
                code = CODE_DEFINITE if error_code in DEFINITE else CODE_INDEFINITE
            self.error[seq] = error_code
            self.errors[error_code] = self.errors.get(error_code, 0) + 1
        self.partition[seq] = partition if partition is not None else -1
        self.outcome[seq] = code
        self.counts[code] += 1
        self.reported += 1
        self.recent.append((seq, partition, offset, latency if latency is not None else _NAN,
                            error_code, self.key[seq]))

    # ---- reader side -----------------------------------------------------------------------

    @property
    def pending(self) -> int:
        """Records sent that have no delivery report (yet)."""
        return self.sent - self.reported

    @property
    def acked(self) -> int:
        return self.counts[CODE_OK] + self.counts[CODE_OK_NO_OFFSET]

    @property
    def failed_definite(self) -> int:
        return self.counts[CODE_DEFINITE]

    @property
    def failed_indefinite(self) -> int:
        return self.counts[CODE_INDEFINITE]

    def msg_id(self, seq: int) -> str:
        return make_msg_id(self.run_id, self.producer, self.incarnation, seq)

    def key_of(self, seq: int) -> bytes | None:
        return self.key_mode.key_bytes(self.key[seq])

    def record(self, seq: int) -> ProducedRecord:
        """Row ``seq`` as the checker's :class:`ProducedRecord`."""
        code = self.outcome[seq]
        outcome = OUTCOMES[code]
        partition = self.partition[seq]
        if partition < 0:
            partition = self.fixed_partition if self.fixed_partition is not None else -1
        offset = self.offset[seq]
        latency = self.latency[seq]
        t_send = self.t_send[seq]
        error_code = self.error[seq]
        return ProducedRecord(
            msg_id=self.msg_id(seq), producer=self.producer, incarnation=self.incarnation, seq=seq,
            topic=self.topic, partition=partition if partition >= 0 else None, key=self.key_of(seq),
            t_send=t_send, outcome=outcome,
            offset=offset if outcome is Outcome.OK else None,
            t_ack=t_send + latency if latency == latency else None,  # NaN != NaN: no ack time
            error=error_name(error_code) if error_code else None)

    def records(self) -> Iterator[ProducedRecord]:
        for seq in range(self.sent):
            yield self.record(seq)

    def nbytes(self) -> int:
        """Bytes held by the columns (allocated size, including chunk slack)."""
        return sum(col.buffer_info()[1] * col.itemsize for col in (
            self.key, self.t_send, self.partition, self.offset, self.latency, self.outcome,
            self.error))
