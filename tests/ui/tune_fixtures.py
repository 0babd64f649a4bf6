"""Producer views and a sweep for the Tune screen's tests (real view classes, fixed numbers)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from textual.app import App, ComposeResult

from tests.ui.fakes import runner, snapshot
from tui.engine import LatencySummary, PointResult, ProducerStats, ProducersView, Snapshot, SweepView
from tui.ui.tune import TUNE_CSS, TunePane


def latency(scale: float) -> LatencySummary:
    cdf = tuple((scale * f, q) for f, q in ((0.4, 0.01), (0.6, 0.1), (1.0, 0.5), (1.6, 0.9),
                                              (2.5, 0.99), (4.0, 1.0)))
    return LatencySummary(count=5000, p50=scale, p90=scale * 1.6, p99=scale * 2.5, p999=scale * 3.5,
                          max=scale * 4, cdf=cdf)


def stats(records: float, fill: float, ratio: float, linger: int) -> ProducerStats:
    return ProducerStats(emissions=4, batches=100, records_per_batch=records,
                         records_per_batch_p99=records * 1.5, batch_bytes=records * 150.0,
                         batch_bytes_p99=records * 200.0, batch_size=1_000_000, batch_fill=fill,
                         linger_ms=linger, compression="zstd", compression_ratio=ratio, txmsgs=5000,
                         txmsg_bytes=1_000_000, tx_bytes=400_000, rtt_avg=0.002, rtt_p99=0.006,
                         queue_latency_avg=0.004, queue_latency_p99=0.02, outbuf_latency_avg=0.0002,
                         in_flight=1, in_flight_max=3, max_in_flight=5)


def two_producers() -> Snapshot:
    """eager (linger 0) and patient (linger 50): the one setting that differs is linger.ms."""
    eager = replace(runner("eager", state="done"), linger_ms=0, summary="acks=all linger=0ms",
                    latency=latency(0.002), stats=stats(1.2, 0.0002, 2.7, 0))
    patient = replace(runner("patient", state="done"), linger_ms=50, summary="acks=all linger=50ms",
                      latency=latency(0.030), stats=stats(14.0, 0.003, 2.9, 50))
    return replace(snapshot(1), producers=ProducersView((eager, patient)))


def sweep() -> SweepView:
    def point(i: int, label: str, tput: float, p99: float, frontier: bool) -> PointResult:
        return PointResult(i, label, (("linger_ms", i),), sent=5000, acked=5000, throughput=tput,
                           ack=latency(p99 / 2.5), e2e=latency(p99 / 2.5), frontier=frontier)
    return SweepView(topic="demo", grid=(("linger_ms", (0, 5, 50)),), varied=("linger_ms",), total=3,
                     results=(point(0, "linger=0", 40_000, 0.004, True),
                              point(1, "linger=5", 90_000, 0.012, True),
                              point(2, "linger=50", 80_000, 0.070, False)),
                     state="done")


class TuneApp(App[None]):
    """The Tune screen alone, on a fixed snapshot."""

    CSS_PATH = [TUNE_CSS]

    def __init__(self, snap: Snapshot, with_sweep: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.snap = snap
        self.with_sweep = with_sweep

    def compose(self) -> ComposeResult:
        yield TunePane()

    def on_mount(self) -> None:
        pane = self.query_one(TunePane)
        if self.with_sweep:
            pane.sweep = sweep()
        pane.show(self.snap)
