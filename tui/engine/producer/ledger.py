"""The delivery ledger of one producer incarnation, in columns (``array`` objects, not objects).

Two kinds of rows. *Sends*, indexed by the record's ``seq``: ``t_send`` (its length is the number
of records sent), ``key`` (only for key modes that vary), and ``error``/``outcome`` (written only
when a report carried an error). *Reports*, one per delivery report in arrival order: ``done`` (the
record's seq), ``rep_partition``, ``rep_offset``, ``rep_latency``. About 43 bytes per record, 45 MB per
million; reading by seq builds a seq -> report index on first use (8 bytes more per record).

The producer's runner thread is the only writer: it appends ``key``/``t_send`` on send and runs the
delivery callback made by :meth:`Ledger.make_callbacks`. That callback is the hottest Python code of
the producers, so it only appends four values. The runner folds new reports into the aggregates
(outcome counts, acked records per partition, latency histogram) about ten times a second with
:meth:`Ledger.absorb`: reports are in arrival order, so that is a few C-level passes over array
slices (``Counter`` over partitions, the float32 latencies' high 16 bits as histogram buckets), no
Python loop. Failures take a slower path that counts them at once (errors by code,
definite/indefinite). Readers on other threads copy counters or read single items, which the GIL
keeps consistent enough for a live view; ``records()`` is meant for after the runner ended.

Encoding: a report row's ``rep_latency`` is -1 unless the report was a success, ``rep_offset`` is -1
when there is none (acks=0, failures), ``rep_partition`` is -1 when the record never reached one.
``done`` is appended last, so ``len(done)`` counts complete rows.

Counting: *acked* means acknowledged by the cluster with an offset (acks=1/all). An acks=0 success is
*sent, unacknowledged* (its report only says librdkafka wrote it to a socket): it is never counted as
acked and adds no ack latency to the histogram. A DUPLICATE_SEQUENCE ack (an idempotent retry of a
record the broker already had) is *acked without offset*.

Resends: with ``resend_max`` > 0 a failed delivery puts its seq on :attr:`Ledger.to_resend` (unless
re-sending cannot help: an oversized record); the runner sends it again as a new record (the next seq)
and :meth:`Ledger.resent` notes which record it re-sends.
"""

from __future__ import annotations

import sys
import threading
import types
from array import array
from collections import Counter, deque
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
    MSG_SIZE_TOO_LARGE,
    OUTCOMES,
    definite_codes,
    error_name,
)
from tui.engine.producer.workload import KeyMode
from tui.engine.record_format import make_msg_id

CHUNK = 65_536  # error/outcome grow in chunks so the send path appends only two values
TAIL = 20
_HIGH_HALF = 1 if sys.byteorder == "little" else 0
"""Where a float32's high 16 bits are among its two uint16 halves."""

Deliver = Callable[[int, Any, Any], None]
"""``deliver(seq, err, msg)``: the body of a delivery callback (see :meth:`Ledger.make_callbacks`)."""


class Ledger:
    def __init__(self, run_id: str, producer: str, incarnation: int, topic: str,
                 key_mode: KeyMode, fixed_partition: int | None = None,
                 offsets_expected: bool = True, retries: int | None = None,
                 resend_max: int = 0) -> None:
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
        # written on a failed delivery (pre-sized in chunks)
        self.outcome = array("b")
        self.error = array("h")
        # one row per delivery report, in arrival order
        self.rep_partition = array("i")
        self.rep_offset = array("q")
        self.rep_latency = array("f")
        self.done = array("q")
        """Seqs of every delivery report, in arrival order (its length = reports received)."""
        self._row_of = array("q")
        """seq -> report row (-1: none yet), built by readers on demand (:meth:`_row`)."""
        self._indexed = 0
        self._index_lock = threading.Lock()
        # aggregates
        self.counts = [0] * len(OUTCOMES)
        """Per outcome code; OK / OK_NO_OFFSET lag the reports by up to one absorb()."""
        self.errors: dict[int, int] = {}
        self._errors_total = 0
        self._by_partition: Counter[int] = Counter()
        self._failed_by_partition: Counter[int] = Counter()
        self._failed_since_absorb = 0
        self._dup_acks = 0
        self._absorbed = 0
        self.histogram = LatencyHistogram()
        """Send -> ack latencies of acknowledged records (none for acks=0)."""
        # application-level resends (rare: plain dicts)
        self.resend_max = resend_max
        self.to_resend: list[int] = []
        """Seqs whose delivery failed and that the runner should send again (runner thread only)."""
        self.resend_of: dict[int, int] = {}
        """Resend seq -> the seq it re-sends."""
        self._depth: dict[int, int] = {}
        """Resend seq -> how many resends lead to it (1 for a resend of an original)."""

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
        """Add a chunk of rows to the failure columns; returns the new capacity."""
        self.outcome.extend(array("b", [CODE_UNKNOWN]) * CHUNK)
        self.error.extend(array("h", [0]) * CHUNK)
        return len(self.outcome)

    def make_deliver(self) -> Deliver:
        """The delivery-callback body for this ledger (hot path: locals only, four appends)."""
        partition, offset, latency = (self.rep_partition.append, self.rep_offset.append,
                                      self.rep_latency.append)
        done = self.done.append
        failed = self._failed

        if self.offsets_expected:
            def deliver(seq: int, err: Any, msg: Any) -> None:
                if err is None:
                    partition(msg.partition())
                    offset(msg.offset())
                    latency(msg.latency() or 0.0)
                    done(seq)
                else:
                    failed(seq, err, msg.partition())
            return deliver

        def deliver_no_offset(seq: int, err: Any, msg: Any) -> None:  # acks=0: no offsets
            if err is None:
                partition(msg.partition())
                found = msg.offset()
                offset(-1 if found is None else found)
                latency(msg.latency() or 0.0)
                done(seq)
            else:
                failed(seq, err, msg.partition())
        return deliver_no_offset

    def make_callbacks(self) -> Callable[[int], Callable[[Any, Any], None]]:
        """``on_delivery_for(seq)``: the per-message delivery callback of record ``seq``.

        A bound method of :meth:`make_deliver`'s function (``seq`` as its ``self``): about a third of
        the cost of ``functools.partial`` to make, and a fifth to call.
        """
        deliver = self.make_deliver()
        assert isinstance(deliver, types.FunctionType)
        return deliver.__get__

    def _failed(self, seq: int, err: Any, partition: int | None) -> None:
        self._count_failure(seq, err.code(), partition, resend=True)
        self.rep_partition.append(partition if partition is not None and partition >= 0 else -1)
        self.rep_offset.append(-1)
        self.rep_latency.append(-1.0)
        self.done.append(seq)

    def _count_failure(self, seq: int, error_code: int, partition: int | None,
                       resend: bool) -> None:
        """A failed report's bookkeeping (everything but its report row)."""
        self.error[seq] = error_code
        self.errors[error_code] = self.errors.get(error_code, 0) + 1
        if error_code == DUPLICATE_SEQUENCE_NUMBER:  # librdkafka: a success without offset
            code = CODE_OK_NO_OFFSET
            self._dup_acks += 1
        else:
            code = CODE_DEFINITE if error_code in self.definite else CODE_INDEFINITE
            self._errors_total += 1
            if partition is not None and partition >= 0:
                self._failed_by_partition[partition] += 1
            if resend and self.resend_max and error_code != MSG_SIZE_TOO_LARGE \
                    and self._depth.get(seq, 0) < self.resend_max:
                self.to_resend.append(seq)
        self.outcome[seq] = code
        self.counts[code] += 1
        self._failed_since_absorb += 1

    def refused(self, seq: int, err: Any) -> None:
        """Record ``seq`` as failed without a delivery report: produce() itself refused it (e.g. a
        record above message.max.bytes)."""
        self._failed(seq, err, None)

    def resent(self, seq: int, original: int) -> None:
        """Record ``seq`` (just sent) as the application's resend of record ``original``."""
        self.resend_of[seq] = original
        self._depth[seq] = self._depth.get(original, 0) + 1

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
        start, self._absorbed = self._absorbed, end
        failed, self._failed_since_absorb = self._failed_since_absorb, 0
        if self.offsets_expected:  # acks=0 reports carry no ack latency (nothing acknowledged them)
            # the histogram buckets are the latencies' high 16 bits (failures carry -1.0: skipped)
            with memoryview(self.rep_latency) as raw, raw.cast("B").cast("H") as halves:
                keys = halves[2 * start + _HIGH_HALF:2 * end:2].tolist()
            self.histogram.record_keys(keys, max(self.rep_latency[start:end]))
        self._by_partition.update(self.rep_partition[start:end])
        successes = end - start - failed
        self.counts[CODE_OK if self.offsets_expected else CODE_OK_NO_OFFSET] += successes
        return end - start

    # ---- the mirror of a ledger kept in another process (producer/process.py) ---------------

    def mirror_sends(self, sent: int, t_send: bytes, keys: bytes) -> None:
        """The sends from number ``sent`` on arrive. When ``sent`` is below what the mirror holds,
        the child took its last sends back (produce() raised after they had been shipped)."""
        if sent < len(self.t_send):
            del self.t_send[sent:]
            if self.constant_key is None:
                del self.key[sent:]
        self.t_send.frombytes(t_send)
        if self.constant_key is None:
            self.key.frombytes(keys)
        while len(self.outcome) < len(self.t_send):
            self.grow()

    def mirror_reports(self, done: bytes, partitions: bytes, offsets: bytes, latencies: bytes,
                       failures: list[tuple[int, int, int]],
                       resent: list[tuple[int, int]]) -> None:
        """Report rows in arrival order; ``failures`` (seq, error code, partition) are the failed ones
        among them; ``resent`` (resend seq, original seq) the resends sent meanwhile. The writer
        side (the mirror's owner) absorbs afterwards, as a runner does."""
        for seq, original in resent:
            self.resent(seq, original)
        for seq, code, partition in failures:
            self._count_failure(seq, code, partition, resend=False)
        self.rep_partition.frombytes(partitions)
        self.rep_offset.frombytes(offsets)
        self.rep_latency.frombytes(latencies)
        self.done.frombytes(done)  # last, as on the writer side: len(done) counts complete rows

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
        """Records acknowledged with an offset (live): successes of an acks=1/all producer."""
        if not self.offsets_expected:
            return 0
        return len(self.done) - self._errors_total - self._dup_acks

    @property
    def acked_no_offset(self) -> int:
        """Acknowledged without an offset: DUPLICATE_SEQUENCE acks of an idempotent producer."""
        return self._dup_acks if self.offsets_expected else 0

    @property
    def sent_unacknowledged(self) -> int:
        """acks=0: records librdkafka reported sent (no broker acknowledged them; live)."""
        if self.offsets_expected:
            return 0
        return len(self.done) - self._errors_total

    @property
    def resends(self) -> int:
        """Application-level resends sent so far."""
        return len(self.resend_of)

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

    def recent_reports(self) -> list[tuple[int, int, int, float]]:
        """(seq, partition, offset, latency) of the last delivery reports (up to 20), oldest first;
        -1 for what a report did not carry."""
        end = len(self.done)
        rows = range(max(0, end - TAIL), end)
        return [(self.done[r], self.rep_partition[r], self.rep_offset[r], float(self.rep_latency[r]))
                for r in rows]

    def report_of(self, seq: int) -> tuple[int, int, float] | None:
        """(partition, offset, latency) of record ``seq``'s delivery report (-1 for what it did not
        carry); None while it has none."""
        row = self._row(seq)
        if row < 0:
            return None
        return self.rep_partition[row], self.rep_offset[row], float(self.rep_latency[row])

    def _row(self, seq: int) -> int:
        with self._index_lock:
            end = len(self.done)
            if self._indexed < end:
                index = self._row_of
                if len(index) < len(self.t_send):
                    index.extend(array("q", [-1]) * (len(self.t_send) - len(index)))
                start, self._indexed = self._indexed, end
                deque(map(index.__setitem__, self.done[start:end], range(start, end)), maxlen=0)
            return self._row_of[seq] if seq < len(self._row_of) else -1

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

    def outcome_of(self, seq: int, report: tuple[int, int, float] | None = None) -> Outcome:
        """Record ``seq``'s outcome (``report``: its :meth:`report_of`, when the caller has it)."""
        if self.error[seq]:
            return OUTCOMES[self.outcome[seq]]
        if report is None:
            report = self.report_of(seq)
        if report is not None and report[2] >= 0.0:
            return Outcome.OK if report[1] >= 0 else Outcome.OK_NO_OFFSET
        return Outcome.UNKNOWN

    def record(self, seq: int) -> ProducedRecord:
        """Record ``seq`` as the checker's :class:`ProducedRecord`."""
        report = self.report_of(seq)
        outcome = self.outcome_of(seq, report)
        partition, offset, latency = report or (-1, -1, -1.0)
        if partition < 0 and self.fixed_partition is not None:
            partition = self.fixed_partition
        t_send = self.t_send[seq]
        error_code = self.error[seq]
        return ProducedRecord(
            msg_id=self.msg_id(seq), producer=self.producer, incarnation=self.incarnation, seq=seq,
            topic=self.topic, partition=partition if partition >= 0 else None, key=self.key_of(seq),
            t_send=t_send, outcome=outcome,
            offset=offset if outcome is Outcome.OK else None,
            t_ack=t_send + latency if latency >= 0.0 else None,
            error=error_name(error_code) if error_code else None,
            resend_of=self.msg_id(self.resend_of[seq]) if seq in self.resend_of else None)

    def records(self) -> Iterator[ProducedRecord]:
        for seq in range(self.sent):
            yield self.record(seq)

    def nbytes(self) -> int:
        """Bytes held by the columns (allocated size, including chunk slack)."""
        return sum(col.buffer_info()[1] * col.itemsize for col in (
            self.key, self.t_send, self.outcome, self.error, self.rep_partition, self.rep_offset,
            self.rep_latency, self.done, self._row_of))
