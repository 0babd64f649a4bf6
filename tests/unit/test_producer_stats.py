"""librdkafka statistics: windows accumulated (counts and sums added, p99 merged from the windows'
quantiles), compression ratio = txmsg_bytes / sum of batch bytes, batch fill, advice in the lines."""

from __future__ import annotations

import json

from tui.engine.producer.stats import ProducerStatsAccumulator, WindowMerge


def window(cnt: int, avg: float, p99: float, top: float) -> dict[str, float]:
    return {"cnt": cnt, "sum": cnt * avg, "avg": avg, "min": 1, "max": top, "p50": avg, "p75": avg,
            "p90": p99 * 0.9, "p95": p99 * 0.95, "p99": p99, "p99_99": top}


def emission(batches: int, per_batch: float, batch_bytes: float, txmsg_bytes: int) -> str:
    return json.dumps({
        "txmsgs": 4000, "txmsg_bytes": txmsg_bytes, "tx_bytes": 1, "msg_cnt": 3,
        "topics": {"t": {"batchcnt": window(batches, per_batch, per_batch * 2, per_batch * 3),
                         "batchsize": window(batches, batch_bytes, batch_bytes, batch_bytes)}},
        "brokers": {
            "bootstrap": {"nodeid": -1, "rtt": window(5, 1e6, 1e6, 1e6)},  # ignored: no produce traffic
            "1:9092/1": {"nodeid": 1, "rtt": window(10, 2000, 5000, 9000),
                         "int_latency": window(10, 4000, 8000, 9000),
                         "outbuf_latency": window(10, 100, 200, 300),
                         "throttle": window(0, 0, 0, 0), "waitresp_cnt": 2}}})


def test_windows_add_up() -> None:
    merge = WindowMerge()
    merge.add(window(10, 5.0, 9.0, 12.0))
    merge.add(window(30, 1.0, 2.0, 3.0))
    merge.add({"cnt": 0})  # an empty window changes nothing
    assert merge.cnt == 40
    assert merge.avg == (50 + 30) / 40
    assert merge.max == 12.0
    p99 = merge.quantile(0.99)
    assert p99 is not None
    assert 2.0 <= p99 <= 12.0


def test_accumulator_ratio_fill_and_advice() -> None:
    acc = ProducerStatsAccumulator("t", batch_size=1_000_000, linger_ms=0, compression="zstd",
                                   max_in_flight=5)
    assert acc.view() is None
    assert acc.feed(emission(4, 10.0, 1000.0, 20_000))
    assert acc.feed(emission(6, 10.0, 1000.0, 40_000))  # txmsg_bytes is a total, windows add up
    assert not acc.feed("{not json")
    view = acc.view()
    assert view is not None
    assert view.batches == 10
    assert view.records_per_batch == 10.0
    assert view.compression_ratio == 40_000 / 10_000
    assert view.batch_fill == 40_000 / 10 / 1_000_000
    assert view.rtt_avg is not None
    assert abs(view.rtt_avg - 0.002) < 1e-9  # microseconds -> seconds, bootstrap entry ignored
    assert view.in_flight == 2
    lines = {line.name: line for line in view.lines}
    assert "raise linger.ms" in lines["batch fill"].explanation
    assert lines["compression"].value == "4.00x"
    assert lines["throttle"].value == "none"


def test_a_long_linger_at_a_low_rate_blames_the_rate_not_the_linger() -> None:
    acc = ProducerStatsAccumulator("t", batch_size=1_000_000, linger_ms=50, compression="none",
                                   max_in_flight=5)
    acc.feed(emission(10, 25.0, 5000.0, 50_000))
    view = acc.view()
    assert view is not None
    fill = {line.name: line for line in view.lines}["batch fill"]
    assert "the rate sizes batches" in fill.explanation
    assert "raise linger.ms" not in fill.explanation
