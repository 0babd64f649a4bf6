"""librdkafka statistics of one producer, accumulated on its runner thread (``stats_cb``).

librdkafka emits a JSON document every ``statistics.interval.ms``. Its histograms (``rtt``,
``int_latency``, ``outbuf_latency``, ``throttle``, ``batchsize``, ``batchcnt``) are per-interval
windows, reset at each emission, so counts and sums are added up here; their percentiles cannot be
added, so each window's quantiles (p50, p75, p90, p95, p99, p99.99, max) go into a weighted histogram
and the merged p99 is read from it (approximate, like the HDR buckets it comes from). ``txmsgs``,
``txmsg_bytes`` and ``tx_bytes`` are totals; ``msg_cnt`` and ``waitresp_cnt`` are levels.

Compression ratio = ``txmsg_bytes`` (key + value bytes before compression) / the sum of
``topics.<t>.batchsize.sum`` (wire bytes of every batch): batching happens before compression, so the
codec does not change records per batch.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from typing import Any

from tui.engine.producer.histogram import SHIFT, bits_float, float_bits
from tui.engine.producer.views import ProducerStats

_QUANTILE_WEIGHTS = (("p50", 0.5), ("p75", 0.25), ("p90", 0.15), ("p95", 0.05), ("p99", 0.04),
                     ("p99_99", 0.0099), ("max", 0.0001))
"""Each window's mass, placed at the quantile that closes it (a step approximation)."""
_US = 1e-6
_MS = 1e-3


class WindowMerge:
    """Merges per-interval librdkafka histogram windows: exact count/sum/max, approximate p99."""

    __slots__ = ("cnt", "sum", "max", "_weights")

    def __init__(self) -> None:
        self.cnt = 0
        self.sum = 0.0
        self.max = 0.0
        self._weights: Counter[int] = Counter()

    def add(self, window: Any, scale: float = 1.0) -> None:
        if not isinstance(window, dict):
            return
        cnt = int(window.get("cnt", 0) or 0)
        if cnt <= 0:
            return
        top = float(window.get("max", 0) or 0) * scale
        self.cnt += cnt
        self.sum += float(window.get("sum", 0) or 0) * scale
        self.max = max(self.max, top)
        for key, weight in _QUANTILE_WEIGHTS:
            value = min(float(window.get(key, 0) or 0) * scale, top)
            if value > 0.0 and math.isfinite(value):
                self._weights[float_bits(value) >> SHIFT] += int(round(weight * cnt * 10_000))

    @property
    def avg(self) -> float | None:
        return self.sum / self.cnt if self.cnt else None

    def quantile(self, q: float) -> float | None:
        total = sum(self._weights.values())
        if not total:
            return None
        target = q * total
        seen = 0
        for key, weight in sorted(self._weights.items()):
            seen += weight
            if seen >= target:
                return min(bits_float((key + 1) << SHIFT), self.max)
        return self.max


class ProducerStatsAccumulator:
    """Fed by the runner's ``stats_cb`` (runner thread); read by views on any thread (the fields are
    plain numbers replaced whole, which the GIL keeps consistent enough for a live view)."""

    def __init__(self, topic: str, batch_size: int, linger_ms: int, compression: str,
                 max_in_flight: int) -> None:
        self.topic = topic
        self.batch_size = batch_size
        self.linger_ms = linger_ms
        self.compression = compression
        self.max_in_flight = max_in_flight
        self.emissions = 0
        self.batch_records = WindowMerge()
        self.batch_bytes = WindowMerge()
        self.rtt = WindowMerge()
        self.int_latency = WindowMerge()
        self.outbuf_latency = WindowMerge()
        self.throttle = WindowMerge()
        self.txmsgs = 0
        self.txmsg_bytes = 0
        self.tx_bytes = 0
        self.in_flight = 0
        self.in_flight_max = 0
        self.queued = 0
        self.batch_txmsg_bytes = 0
        """txmsg_bytes as of the emission that carried the last batch window (for the ratio)."""
        self._adopted: ProducerStats | None = None

    def adopt(self, view: ProducerStats | None, emissions: int) -> None:
        """Take the view accumulated in the producer's own process as this one's
        (producer/process.py): its emissions are read there, once."""
        self._adopted = view
        self.emissions = emissions
        if view is not None:
            self.txmsgs, self.txmsg_bytes = view.txmsgs, view.txmsg_bytes

    def feed(self, text: str) -> bool:
        """Fold one statistics emission in; False when it could not be read (never raises)."""
        try:
            doc = json.loads(text)
            self._fold(doc)
        except (ValueError, KeyError, TypeError, AttributeError):
            return False
        return True

    def _fold(self, doc: dict[str, Any]) -> None:
        self.emissions += 1
        self.txmsgs = int(doc.get("txmsgs", self.txmsgs))
        self.txmsg_bytes = int(doc.get("txmsg_bytes", self.txmsg_bytes))
        self.tx_bytes = int(doc.get("tx_bytes", self.tx_bytes))
        self.queued = int(doc.get("msg_cnt", 0))
        topic = doc.get("topics", {}).get(self.topic)
        if isinstance(topic, dict):
            self.batch_records.add(topic.get("batchcnt"))
            self.batch_bytes.add(topic.get("batchsize"))
            self.batch_txmsg_bytes = self.txmsg_bytes
        waiting = 0
        for broker in doc.get("brokers", {}).values():
            if not isinstance(broker, dict) or int(broker.get("nodeid", -1)) < 0:
                continue  # the bootstrap entries: no produce traffic
            self.rtt.add(broker.get("rtt"), _US)
            self.int_latency.add(broker.get("int_latency"), _US)
            self.outbuf_latency.add(broker.get("outbuf_latency"), _US)
            self.throttle.add(broker.get("throttle"), _MS)
            waiting += int(broker.get("waitresp_cnt", 0) or 0)
        self.in_flight = waiting
        self.in_flight_max = max(self.in_flight_max, waiting)

    def view(self) -> ProducerStats | None:
        if self._adopted is not None or not self.emissions:
            return self._adopted
        batches = self.batch_records.cnt
        wire = self.batch_bytes.sum
        uncompressed = self.batch_txmsg_bytes
        fill = (uncompressed / batches / self.batch_size) if batches and self.batch_size else None
        return ProducerStats(
            emissions=self.emissions, batches=batches,
            records_per_batch=self.batch_records.avg,
            records_per_batch_p99=self.batch_records.quantile(0.99),
            batch_bytes=self.batch_bytes.avg, batch_bytes_p99=self.batch_bytes.quantile(0.99),
            batch_size=self.batch_size, batch_fill=None if fill is None else min(fill, 1.0),
            linger_ms=self.linger_ms, compression=self.compression,
            compression_ratio=uncompressed / wire if wire > 0 and uncompressed > 0 else None,
            txmsgs=self.txmsgs, txmsg_bytes=self.txmsg_bytes, tx_bytes=self.tx_bytes,
            rtt_avg=self.rtt.avg, rtt_p99=self.rtt.quantile(0.99),
            queue_latency_avg=self.int_latency.avg, queue_latency_p99=self.int_latency.quantile(0.99),
            outbuf_latency_avg=self.outbuf_latency.avg, in_flight=self.in_flight,
            in_flight_max=self.in_flight_max, max_in_flight=self.max_in_flight,
            throttle_avg=self.throttle.avg, throttle_max=self.throttle.max or None,
            queued=self.queued)

    @property
    def record_bytes(self) -> float | None:
        """Key + value bytes per record sent (None before the first record was sent)."""
        return self.txmsg_bytes / self.txmsgs if self.txmsgs else None
