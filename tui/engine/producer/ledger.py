"""The delivery ledger of one producer incarnation: one row per ``produce()`` call, in columns.

Columns are ``array`` objects (35 bytes per record, so a million records take about 37 MB) instead
of a million Python objects. The row index is the record's ``seq``. The producer's runner thread is
the only writer: it appends ``key``/``t_send`` on send and runs the delivery callback made by
:meth:`Ledger.make_deliver`. Readers on other threads only copy counters or read single items, which
the GIL keeps consistent enough for a live view; ``records()`` is meant for after the runner ended.

Aggregates are kept as they happen (never recomputed from the columns): outcome counts, errors by
code, acked records per partition, a latency histogram and the seqs of the last deliveries. The
delivery callback is the hottest Python code of the producer lab, so it is a closure over local
names rather than a method.
"""

from __future__ import annotations

import math
from array import array
from collections import deque
from collections.abc import Callable, Iterator
from typing import Any

from tui.engine.history import Outcome, ProducedRecord
from tui.engine.producer import histogram as hist_mod
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

CHUNK = 65_536  # DR-side columns grow in chunks so the send path appends only two values
_NAN = float("nan")
TAIL = 20

Deliver = Callable[[int, Any, Any], None]
"""``deliver(seq, err, msg)``: the body of a delivery callback (bind seq with functools.partial)."""


class Ledger:
    def __init__(self, run_id: str, producer: str, incarnation: int, topic: str,
                 key_mode: KeyMode, fixed_partition: int | None = None) -> None:
        self.run_id = run_id
        self.producer = producer
        self.incarnation = incarnation
        self.topic = topic
        self.key_mode = key_mode
        self.fixed_partition = fixed_partition
        # written on send (their length is the number of records sent)
        self.key = array("q")
        self.t_send = array("d")
        # written on delivery (pre-sized in chunks)
        self.partition = array("i")
        self.offset = array("q")
        self.latency = array("f")
        self.outcome = array("b")
        self.error = array("h")
        # aggregates
        self.counts = [0] * len(OUTCOMES)
        self.errors: dict[int, int] = {}
        self._by_partition = [0] * 16
        self.histogram = LatencyHistogram()
        self.recent: deque[int] = deque(maxlen=TAIL)
        """Seqs of the last delivery reports, oldest first."""

    # ---- writer side (the runner thread) ---------------------------------------------------

    def sent_one(self, key_number: int, t_send: float) -> int:
        """Record a send; returns its seq (the row index). The runner inlines this."""
        seq = len(self.key)
        if seq >= len(self.outcome):
            self.grow()
        self.key.append(key_number)
        self.t_send.append(t_send)
        return seq

    def unsend_last(self) -> None:
        """Forget the last send (``produce()`` raised before librdkafka took the record)."""
        self.key.pop()
        self.t_send.pop()

    def grow(self) -> int:
        """Add a chunk of rows to the delivery-side columns; returns the new capacity."""
        self.partition.extend(array("i", [-1]) * CHUNK)
        self.offset.extend(array("q", [-1]) * CHUNK)
        self.latency.extend(array("f", [_NAN]) * CHUNK)
        self.outcome.extend(array("b", [CODE_UNKNOWN]) * CHUNK)
        self.error.extend(array("h", [0]) * CHUNK)
        return len(self.outcome)

    def make_deliver(self) -> Deliver:
        """The delivery-callback body for this ledger (hot path: locals only, no method calls
        besides the message's own accessors)."""
        partition_col, offset_col, latency_col = self.partition, self.offset, self.latency
        outcome_col = self.outcome
        counts, by_partition = self.counts, self._by_partition
        hist = self.histogram
        hcounts = hist.counts
        last_bucket = len(hcounts) - 1
        scale, min_s = hist_mod.SCALE, hist_mod.MIN_S
        log = math.log
        recent = self.recent.append
        failed = self._failed

        def deliver(seq: int, err: Any, msg: Any) -> None:
            partition = msg.partition()
            recent(seq)
            if err is not None:
                failed(seq, err, partition)
                return
            partition_col[seq] = partition
            offset = msg.offset()
            if offset is not None and offset >= 0:
                offset_col[seq] = offset
                outcome_col[seq] = CODE_OK
                counts[CODE_OK] += 1
            else:
                outcome_col[seq] = CODE_OK_NO_OFFSET
                counts[CODE_OK_NO_OFFSET] += 1
            latency = msg.latency()
            if latency is not None:
                latency_col[seq] = latency
                if latency > hist.max:
                    hist.max = latency
                index = int(log(latency / min_s) * scale) + 1 if latency > min_s else 0
                hcounts[index if index < last_bucket else last_bucket] += 1
            try:
                by_partition[partition] += 1
            except IndexError:
                by_partition.extend([0] * (partition + 1 - len(by_partition)))
                by_partition[partition] += 1

        return deliver

    def _failed(self, seq: int, err: Any, partition: int | None) -> None:
        error_code = err.code()
        if partition is not None and partition >= 0:
            self.partition[seq] = partition
        self.error[seq] = error_code
        self.errors[error_code] = self.errors.get(error_code, 0) + 1
        if error_code == DUPLICATE_SEQUENCE_NUMBER:  # a success without offset
            code = CODE_OK_NO_OFFSET
            if partition is not None and partition >= 0:
                if partition >= len(self._by_partition):
                    self._by_partition.extend([0] * (partition + 1 - len(self._by_partition)))
                self._by_partition[partition] += 1
        else:
            code = CODE_DEFINITE if error_code in DEFINITE else CODE_INDEFINITE
        self.outcome[seq] = code
        self.counts[code] += 1

    def deliver(self, seq: int, err: Any, msg: Any) -> None:
        """Fill row ``seq`` from a delivery report (convenience; the runner uses make_deliver)."""
        self.make_deliver()(seq, err, msg)

    # ---- reader side -----------------------------------------------------------------------

    @property
    def sent(self) -> int:
        return len(self.key)

    @property
    def reported(self) -> int:
        return sum(self.counts)

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

    @property
    def per_partition(self) -> dict[int, int]:
        """Acked records per partition (partitions with none are left out)."""
        return {p: n for p, n in enumerate(list(self._by_partition)) if n}

    @property
    def first_send(self) -> float | None:
        return self.t_send[0] if len(self.t_send) else None

    @property
    def last_send(self) -> float | None:
        return self.t_send[-1] if len(self.t_send) else None

    def msg_id(self, seq: int) -> str:
        return make_msg_id(self.run_id, self.producer, self.incarnation, seq)

    def key_of(self, seq: int) -> bytes | None:
        return self.key_mode.key_bytes(self.key[seq])

    def record(self, seq: int) -> ProducedRecord:
        """Row ``seq`` as the checker's :class:`ProducedRecord`."""
        outcome = OUTCOMES[self.outcome[seq]]
        partition = self.partition[seq]
        if partition < 0 and self.fixed_partition is not None:
            partition = self.fixed_partition
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
