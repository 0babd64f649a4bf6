"""The delivery ledger: rows, outcomes, aggregates and its memory footprint."""

from __future__ import annotations

from dataclasses import dataclass

from confluent_kafka import KafkaError

from tui.engine.history import Outcome
from tui.engine.producer.ledger import Ledger
from tui.engine.producer.workload import parse_key_mode
from tui.engine.record_format import parse_msg_id


@dataclass
class FakeMsg:
    p: int
    o: int | None
    lat: float | None

    def partition(self) -> int:
        return self.p

    def offset(self) -> int | None:
        return self.o

    def latency(self) -> float | None:
        return self.lat


def _ledger() -> Ledger:
    # retries=0: a NOT_ENOUGH_REPLICAS report then proves the record was not written
    return Ledger("run00001", "acks1", 2, "t", parse_key_mode("cycle:3"), retries=0)


def test_rows_become_produced_records() -> None:
    led = _ledger()
    for seq in range(5):
        assert led.sent_one(seq % 3, 100.0 + seq) == seq
    led.deliver(0, None, FakeMsg(1, 10, 0.004))
    led.deliver(1, None, FakeMsg(0, 11, 0.002))
    led.deliver(2, KafkaError(KafkaError.NOT_ENOUGH_REPLICAS), FakeMsg(2, -1, None))
    led.deliver(3, KafkaError(KafkaError._MSG_TIMED_OUT), FakeMsg(2, -1, None))
    assert led.absorb() == 4
    assert led.absorb() == 0
    recs = list(led.records())
    assert [r.outcome for r in recs] == [Outcome.OK, Outcome.OK, Outcome.FAIL_DEFINITE,
                                         Outcome.FAIL_INDEFINITE, Outcome.UNKNOWN]
    first = recs[0]
    assert (first.partition, first.offset, first.key) == (1, 10, b"key-0")
    assert first.t_ack is not None
    assert abs(first.t_ack - 100.004) < 1e-6
    assert parse_msg_id(first.msg_id) is not None
    assert (first.producer, first.incarnation, first.seq) == ("acks1", 2, 0)
    assert recs[1].offset == 11
    assert recs[2].error == "NOT_ENOUGH_REPLICAS"
    assert recs[2].t_ack is None
    assert recs[4].partition is None
    assert recs[4].error is None
    assert (led.acked, led.failed_definite, led.failed_indefinite, led.pending) == (2, 1, 1, 1)
    assert led.per_partition == {1: 1, 0: 1}
    assert led.errors == {KafkaError.NOT_ENOUGH_REPLICAS: 1, KafkaError._MSG_TIMED_OUT: 1}
    assert led.histogram.total == 2
    assert abs(led.histogram.max - 0.004) < 1e-6  # float32 column
    assert led.counts[1:] == [2, 0, 1, 1]  # ok, ok-no-offset, definite, indefinite
    assert list(led.recent) == [0, 1, 2, 3]


def test_unsend_last_forgets_a_refused_record() -> None:
    led = _ledger()
    led.sent_one(0, 1.0)
    led.sent_one(1, 2.0)
    led.unsend_last()
    assert led.sent == 1
    assert led.last_send == 1.0
    assert [r.seq for r in led.records()] == [0]


def test_a_million_rows_fit_in_50_mb() -> None:
    """Budget is 150 MB per million; the columns need ~35 bytes a row plus chunk slack."""
    led = _ledger()
    msg = FakeMsg(0, 1, 0.001)
    deliver = led.make_deliver()
    for seq in range(200_000):
        led.sent_one(seq % 3, float(seq))
        deliver(seq, None, msg)
    per_million = led.nbytes() * 5
    assert per_million < 50_000_000, per_million


def test_duplicate_sequence_is_an_ack_without_offset() -> None:
    led = _ledger()
    for seq in range(3):
        led.sent_one(0, float(seq))
    deliver = led.make_deliver()
    deliver(0, None, FakeMsg(0, 7, 0.01))
    deliver(1, KafkaError(KafkaError.DUPLICATE_SEQUENCE_NUMBER), FakeMsg(0, -1, None))
    deliver(2, None, FakeMsg(1, 8, 0.02))
    led.absorb()
    assert [led.outcome_of(s) for s in range(3)] == [Outcome.OK, Outcome.OK_NO_OFFSET, Outcome.OK]
    assert (led.acked, led.acked_no_offset, led.counts[1], led.counts[2], led.failed_definite) == \
        (2, 1, 2, 1, 0)
    assert led.per_partition == {0: 2, 1: 1}
    assert led.histogram.total == 2


def test_acks0_rows_have_no_offset_and_no_key_column() -> None:
    led = Ledger("run00001", "fire", 0, "t", parse_key_mode("none"), offsets_expected=False)
    deliver = led.make_deliver()
    for seq in range(4):
        led.sent_one(-1, float(seq))
        deliver(seq, None, FakeMsg(seq % 2, None, 0.001))  # acks=0 reports offset None
    led.absorb()
    assert len(led.key) == 0
    assert {led.outcome_of(s) for s in range(4)} == {Outcome.OK_NO_OFFSET}
    # sent, never acknowledged: not acked, and no ack latency in the histogram
    assert (led.acked, led.sent_unacknowledged, led.counts[1], led.counts[2]) == (0, 4, 0, 4)
    assert led.histogram.total == 0
    assert [r.offset for r in led.records()] == [None] * 4
    assert [r.key for r in led.records()] == [None] * 4


def test_reports_out_of_send_order_are_found_by_seq() -> None:
    """Report rows are kept in arrival order; reading by seq goes through the index."""
    led = _ledger()
    for seq in range(5):
        led.sent_one(seq % 3, 10.0 + seq)
    deliver = led.make_deliver()
    deliver(3, None, FakeMsg(2, 30, 0.003))
    deliver(0, None, FakeMsg(1, 7, 0.001))
    assert led.report_of(3) == (2, 30, led.rep_latency[0])
    assert led.report_of(1) is None
    deliver(4, KafkaError(KafkaError._MSG_TIMED_OUT), FakeMsg(0, -1, None))
    deliver(1, None, FakeMsg(1, 8, 0.002))
    assert led.absorb() == 4
    recs = list(led.records())
    assert [(r.partition, r.offset, r.outcome) for r in recs] == [
        (1, 7, Outcome.OK), (1, 8, Outcome.OK), (None, None, Outcome.UNKNOWN), (2, 30, Outcome.OK),
        (0, None, Outcome.FAIL_INDEFINITE)]
    assert recs[3].t_ack is not None
    assert abs(recs[3].t_ack - 13.003) < 1e-6
    assert [seq for seq, *_ in led.recent_reports()] == [3, 0, 4, 1] == led.recent
    assert led.recent_reports()[2][1:] == (0, -1, -1.0)
    assert led.per_partition == {1: 2, 2: 1}
    assert led.histogram.total == 3
    assert led.histogram.percentiles((1.0,)) == (led.histogram.max,)
