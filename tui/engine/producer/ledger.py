"""The delivery ledger of one producer incarnation: one row per ``produce()`` call, in columns.

Columns are ``array`` objects (43 bytes per record with the ``done`` log, about 45 MB per million) instead
of a million Python objects. The row index is the record's ``seq``. The producer's runner thread is
the only writer: it appends ``key``/``t_send`` on send and runs the delivery callback made by
:meth:`Ledger.make_deliver`. Readers on other threads only copy counters or read single items, which
the GIL keeps consistent enough for a live view; ``records()`` is meant for after the runner ended.

The delivery callback is the hottest Python code of the producers, so it does the minimum: it
fills row ``seq`` and appends ``seq`` to ``done`` (every report, in arrival order). The runner folds
new ``done`` entries into the aggregates (outcome counts, acked records per partition, latency
histogram) about ten times a second with :meth:`Ledger.absorb`, which iterates in C (``map``,
``Counter``, float32 bit patterns) rather than in Python bytecode. Failures take a slower path that counts
them at once (errors by code, definite/indefinite).

Row encoding: ``latency`` is -1 until a successful report (so it also marks success), ``offset`` is
-1 when there is none (acks=0), ``error`` is 0 unless the report carried an error, in which case
``outcome`` holds the classified outcome code.
"""

from __future__ import annotations

from array import array
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

from tui.engine.history import Outcome, ProducedRecord
from tui.engine.producer.histogram import LatencyHistogram
from tui.engine.producer.outcomes import (
    CODE_DEFINITE,
    CODE_INDEFINITE,
    CODE_OK,
    CODE_OK_NO_OFFSET,
    CODE_UNKNOWN,
    DUPLICATE_SEQUENCE_NUMBER,
    OUTCOMES,
    definite_codes,
    error_name,
)
from tui.engine.producer.workload import KeyMode
from tui.engine.record_format import make_msg_id

CHUNK = 65_536  # DR-side columns grow in chunks so the send path appends only two values
TAIL = 20

Deliver = Callable[[int, Any, Any], None]
"""``deliver(seq, err, msg)``: the body of a delivery callback (bind seq with functools.partial)."""


class Ledger:
    def __init__(self, run_id: str, producer: str, incarnation: int, topic: str,
                 key_mode: KeyMode, fixed_partition: int | None = None,
                 offsets_expected: bool = True, retries: int | None = None) -> None:
        self.run_id = run_id
        self.producer = producer
        self.incarnation = incarnation
        self.topic = topic
        self.key_mode = key_mode
        self.fixed_partition = fixed_partition
        # acks=1/all acks always carry an offset (a DUPLICATE_SEQUENCE ack, which does not, takes
        # the failure path), so absorb() can count OK vs OK_NO_OFFSET from acks alone;
        # outcome_of() still reads every row's own offset
        self.offsets_expected = offsets_expected
        self.definite = definite_codes(retries)
        """Error codes that prove a record was not written, for this producer's retries."""
        self.constant_key = key_mode.constant_key()
        """Set for key modes none/fixed: the key column then stays empty (saves time and 8 B/row)."""
        # written on send (t_send's length is the number of records sent)
        self.key = array("q")
        self.t_send = array("d")
        # written on delivery (pre-sized in chunks)
        self.partition = array("i")
        self.offset = array("q")
        self.latency = array("f")
        self.outcome = array("b")
        self.error = array("h")
        self.done = array("q")
        """Seqs of every delivery report, in arrival order (its length = reports received)."""
        # aggregates
        self.counts = [0] * len(OUTCOMES)
        """Per outcome code; OK / OK_NO_OFFSET lag the reports by up to one absorb()."""
        self.errors: dict[int, int] = {}
        self._errors_total = 0
        self._by_partition: Counter[int] = Counter()
        self._failed_by_partition: Counter[int] = Counter()
        self._failed_since_absorb = 0
        self._absorbed = 0
        self.histogram = LatencyHistogram()

    # ---- writer side (the runner thread) ---------------------------------------------------

    def sent_one(self, key_number: int, t_send: float) -> int:
        """Record a send; returns its seq (the row index). The runner inlines this."""
        seq = len(self.t_send)
        if seq >= len(self.outcome):
            self.grow()
        if self.constant_key is None:
            self.key.append(key_number)
        self.t_send.append(t_send)
        return seq

    def unsend_last(self) -> None:
        """Forget the last send (``produce()`` raised before librdkafka took the record)."""
        if self.constant_key is None:
            self.key.pop()
        self.t_send.pop()

    def grow(self) -> int:
        """Add a chunk of rows to the delivery-side columns; returns the new capacity."""
        self.partition.extend(array("i", [-1]) * CHUNK)
        self.offset.extend(array("q", [-1]) * CHUNK)
        self.latency.extend(array("f", [-1.0]) * CHUNK)
        self.outcome.extend(array("b", [CODE_UNKNOWN]) * CHUNK)
        self.error.extend(array("h", [0]) * CHUNK)
        return len(self.outcome)

    def make_deliver(self) -> Deliver:
        """The delivery-callback body for this ledger (hot path: locals only)."""
        partition_col, offset_col, latency_col = self.partition, self.offset, self.latency
        done = self.done.append
        failed = self._failed

        def deliver(seq: int, err: Any, msg: Any) -> None:
            if err is None:
                offset = msg.offset()
                offset_col[seq] = -1 if offset is None else offset  # acks=0: no offset
                latency_col[seq] = msg.latency() or 0.0
                partition_col[seq] = msg.partition()
                done(seq)
            else:
                failed(seq, err, msg.partition())

        return deliver

    def _failed(self, seq: int, err: Any, partition: int | None) -> None:
        error_code = err.code()
        if partition is not None and partition >= 0:
            self.partition[seq] = partition
        self.error[seq] = error_code
        self.errors[error_code] = self.errors.get(error_code, 0) + 1
        if error_code == DUPLICATE_SEQUENCE_NUMBER:  # librdkafka: a success without offset
            code = CODE_OK_NO_OFFSET
        else:
            code = CODE_DEFINITE if error_code in self.definite else CODE_INDEFINITE
            self._errors_total += 1
            if partition is not None and partition >= 0:
                self._failed_by_partition[partition] += 1
        self.outcome[seq] = code
        self.counts[code] += 1
        self._failed_since_absorb += 1
        self.done.append(seq)

    def deliver(self, seq: int, err: Any, msg: Any) -> None:
        """Fill row ``seq`` from a delivery report (convenience; the runner uses make_deliver)."""
        self.make_deliver()(seq, err, msg)

    def absorb(self) -> int:
        """Fold reports received since the last call into the aggregates; returns how many.

        Runs on the writer thread (the runner's tick), so no report can slip in between.
        """
        end = len(self.done)
        if end == self._absorbed:
            return 0
        new = self.done[self._absorbed:end]
        self._absorbed = end
        failed, self._failed_since_absorb = self._failed_since_absorb, 0
        # latencies as float32 bit patterns (failures carry -1.0: negative, skipped)
        with memoryview(self.latency) as raw, raw.cast("B").cast("i") as bits:
            self.histogram.record_bits(list(map(bits.__getitem__, new)))
        self._by_partition.update(map(self.partition.__getitem__, new))
        successes = len(new) - failed
        self.counts[CODE_OK if self.offsets_expected else CODE_OK_NO_OFFSET] += successes
        return len(new)

    # ---- reader side -----------------------------------------------------------------------

    @property
    def sent(self) -> int:
        return len(self.t_send)

    @property
    def reported(self) -> int:
        return len(self.done)

    @property
    def pending(self) -> int:
        """Records sent that have no delivery report (yet)."""
        return self.sent - self.reported

    @property
    def acked(self) -> int:
        """Reports without error (live; includes acks without offset)."""
        return len(self.done) - self._errors_total

    @property
    def failed_definite(self) -> int:
        return self.counts[CODE_DEFINITE]

    @property
    def failed_indefinite(self) -> int:
        return self.counts[CODE_INDEFINITE]

    @property
    def recent(self) -> list[int]:
        """Seqs of the last delivery reports (up to 20), oldest first."""
        return self.done[-TAIL:].tolist()

    @property
    def per_partition(self) -> dict[int, int]:
        """Acked records per partition (as of the last absorb; partitions with none left out)."""
        counts = dict(self._by_partition)
        for partition, n in dict(self._failed_by_partition).items():
            counts[partition] = counts.get(partition, 0) - n
        return {p: n for p, n in sorted(counts.items()) if n > 0 and p >= 0}

    @property
    def first_send(self) -> float | None:
        return self.t_send[0] if len(self.t_send) else None

    @property
    def last_send(self) -> float | None:
        return self.t_send[-1] if len(self.t_send) else None

    def msg_id(self, seq: int) -> str:
        return make_msg_id(self.run_id, self.producer, self.incarnation, seq)

    def key_of(self, seq: int) -> bytes | None:
        number = self.constant_key if self.constant_key is not None else self.key[seq]
        return self.key_mode.key_bytes(number)

    def outcome_of(self, seq: int) -> Outcome:
        if self.error[seq]:
            return OUTCOMES[self.outcome[seq]]
        if self.latency[seq] >= 0.0:
            return Outcome.OK if self.offset[seq] >= 0 else Outcome.OK_NO_OFFSET
        return Outcome.UNKNOWN

    def record(self, seq: int) -> ProducedRecord:
        """Row ``seq`` as the checker's :class:`ProducedRecord`."""
        outcome = self.outcome_of(seq)
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
            t_ack=t_send + latency if latency >= 0.0 else None,
            error=error_name(error_code) if error_code else None)

    def records(self) -> Iterator[ProducedRecord]:
        for seq in range(self.sent):
            yield self.record(seq)

    def nbytes(self) -> int:
        """Bytes held by the columns (allocated size, including chunk slack)."""
        return sum(col.buffer_info()[1] * col.itemsize for col in (
            self.key, self.t_send, self.partition, self.offset, self.latency, self.outcome,
            self.error, self.done))
