"""Frozen views of the producers for snapshots (what the TUI and headless runners render).

Times are seconds (floats); latencies are seconds. Keys are raw bytes: escaping them before
display is the renderer's job (they are untrusted when the user typed them).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tui.engine.jsonview import JsonView
from tui.engine.latency import LatencySummary


@dataclass(frozen=True, slots=True)
class DeliveryReportView(JsonView):
    """One recent delivery report."""

    seq: int
    msg_id: str
    partition: int | None
    """None when the record never reached a partition (e.g. purged from the queue)."""
    offset: int | None
    """None for acks=0 and for failures."""
    latency: float | None
    """Seconds from produce() to the broker's answer; None on failure."""
    outcome: str
    """A :class:`tui.engine.history.Outcome` value: ok, ok-no-offset, fail-definite, ..."""
    error: str | None
    """librdkafka error name, e.g. NOT_ENOUGH_REPLICAS; None on success."""
    key: bytes | None


@dataclass(frozen=True, slots=True)
class ErrorCount(JsonView):
    """How often one error ended a delivery, and whether it is a definite failure."""

    error: str
    outcome: str
    """fail-definite or fail-indefinite (or ok-no-offset for DUPLICATE_SEQUENCE_NUMBER)."""
    count: int
    explanation: str = ""
    """One line: what it means and the likely cause, e.g. ``not acknowledged within
    message.timeout.ms=15000; the topic does not exist``."""


@dataclass(frozen=True, slots=True)
class StatLine(JsonView):
    """One client-internal figure as shown: a label, its value, what it means and what moves it."""

    name: str
    value: str
    explanation: str


@dataclass(frozen=True, slots=True)
class ProducerStats(JsonView):
    """What librdkafka's statistics (``statistics.interval.ms``) say about one producer, accumulated
    over every emission (their histograms are per-interval windows: counts and sums are added up,
    percentiles merged approximately from each window's quantiles).

    Bytes: ``txmsg_bytes`` is the records' key+value bytes before compression; batch sizes are wire
    bytes (after compression). Latencies in seconds.
    """

    emissions: int = 0
    batches: int = 0
    records_per_batch: float | None = None
    records_per_batch_p99: float | None = None
    batch_bytes: float | None = None
    """Wire bytes per batch (after compression), average."""
    batch_bytes_p99: float | None = None
    batch_size: int = 0
    """The producer's batch.size setting."""
    batch_fill: float | None = None
    """Uncompressed bytes per batch / batch.size (0..1)."""
    linger_ms: int = 0
    compression: str = "none"
    compression_ratio: float | None = None
    """Uncompressed record bytes / wire batch bytes (txmsg_bytes / sum of batchsize)."""
    txmsgs: int = 0
    txmsg_bytes: int = 0
    tx_bytes: int = 0
    """Bytes sent to brokers, request headers included."""
    rtt_avg: float | None = None
    rtt_p99: float | None = None
    queue_latency_avg: float | None = None
    """int_latency: produce() until the record is in a request being built."""
    queue_latency_p99: float | None = None
    outbuf_latency_avg: float | None = None
    """A request waiting in the broker connection's output buffer."""
    in_flight: int = 0
    """Requests sent and awaiting a response, now (all brokers)."""
    in_flight_max: int = 0
    max_in_flight: int = 0
    """The producer's max.in.flight setting."""
    throttle_avg: float | None = None
    throttle_max: float | None = None
    queued: int = 0
    """Records in the client's queue now (msg_cnt)."""

    @property
    def lines(self) -> tuple[StatLine, ...]:
        """Every figure with a one-line explanation and, where the numbers call for it, advice."""
        out: list[StatLine] = []
        if self.records_per_batch is not None:
            out.append(StatLine(
                "records/batch", f"{self.records_per_batch:,.1f} avg, {_num(self.records_per_batch_p99)} p99",
                "records per produce batch; linger.ms and batch.size let batches grow"))
        if self.batch_bytes is not None:
            out.append(StatLine(
                "bytes/batch", f"{_bytes(self.batch_bytes)} avg, {_bytes(self.batch_bytes_p99)} p99",
                "wire bytes per batch after compression"))
        if self.batch_fill is not None:
            pct = self.batch_fill * 100.0
            if pct < 50.0 and self.linger_ms < 20:
                advice = (f"batches end before they fill (linger.ms={self.linger_ms}): raise linger.ms "
                          "to fill batches, at the cost of latency")
            elif pct < 50.0:
                advice = (f"at this send rate a batch holds what arrives in linger.ms={self.linger_ms}: "
                          "the rate sizes batches, batch.size does not")
            elif pct >= 90.0:
                advice = "batches are full: raise batch.size for bigger requests"
            else:
                advice = "how full a batch is when sent; linger.ms and the send rate fill it"
            out.append(StatLine("batch fill", f"{pct:.0f} % of batch.size={self.batch_size:,}", advice))
        if self.compression_ratio is not None:
            ratio = self.compression_ratio
            small = self.records_per_batch is not None and self.records_per_batch < 5
            if self.compression == "none":
                advice = "compression.type=none: wire bytes = record bytes plus batch framing"
            elif ratio < 1.2 and small:
                advice = (f"{self.compression} compresses each batch, and these hold "
                          f"{self.records_per_batch:.1f} records: raise linger.ms for bigger batches")
            elif ratio < 1.2:
                advice = (f"{self.compression} barely shrinks these values (random or already "
                          "compressed data): it costs CPU for nothing")
            else:
                advice = f"{self.compression} shrinks what is sent and stored; bigger batches compress better"
            out.append(StatLine("compression", f"{ratio:.2f}x", advice))
        if self.rtt_avg is not None:
            out.append(StatLine(
                "broker rtt", f"{_ms(self.rtt_avg)} avg, {_ms(self.rtt_p99)} p99",
                "request to response at the broker: acks=all waits for the followers; "
                "a slow or remote broker raises it"))
        if self.queue_latency_avg is not None:
            out.append(StatLine(
                "queue time", f"{_ms(self.queue_latency_avg)} avg, {_ms(self.queue_latency_p99)} p99",
                "produce() until the record is in a request: linger.ms adds to it, and so does a "
                "full pipeline (max.in.flight reached)"))
        if self.outbuf_latency_avg is not None:
            out.append(StatLine("output buffer", _ms(self.outbuf_latency_avg),
                                "a request waiting to be written to the socket: the network or the "
                                "broker is not keeping up"))
        out.append(StatLine(
            "in flight", f"{self.in_flight} now, {self.in_flight_max} max of {self.max_in_flight}",
            "requests awaiting a response; at max.in.flight the producer waits (1 keeps order without "
            "idempotence, but serialises every request)"))
        if self.throttle_max:
            out.append(StatLine("throttle", f"{_ms(self.throttle_avg)} avg, {_ms(self.throttle_max)} max",
                                "the broker delayed answers to enforce a quota"))
        else:
            out.append(StatLine("throttle", "none", "the broker delays answers when a quota is exceeded"))
        return tuple(out)


def _ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1000.0:.1f} ms"


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f}"


def _bytes(value: float | None) -> str:
    if value is None:
        return "-"
    if value >= 1_000_000:
        return f"{value / 1_000_000:.2f} MB"
    if value >= 1_000:
        return f"{value / 1_000:.1f} kB"
    return f"{value:.0f} B"


@dataclass(frozen=True, slots=True)
class RunnerView(JsonView):
    """One producer runner (one profile, one client incarnation)."""

    name: str
    """Profile name; the runner thread is ``producer-runner:<name>``."""
    incarnation: int
    """0 for the first run of this name, +1 for each later run (a new client, a new PID)."""
    topic: str
    state: str
    """starting | running | draining (all sent, waiting for acks) | done | stopping | stopped | failed"""
    summary: str
    """Profile in one line, e.g. ``acks=all idempotent in-flight=5 linger=5ms``."""
    acks: str
    idempotent: bool
    transactional: bool
    retries: int
    max_in_flight: int
    linger_ms: int
    batch_size: int
    compression: str
    key_mode: str
    target_count: int | None
    """None: until stopped."""
    target_rate: float | None
    """Records/s asked for; None: as fast as possible."""
    sent: int
    """produce() calls accepted by librdkafka."""
    acked: int
    """Acknowledged by the cluster with an offset (acks=1/all). acks=0 records are never counted here:
    see ``sent_unacknowledged``."""
    acked_no_offset: int
    """Acknowledged without an offset: DUPLICATE_SEQUENCE acks of an idempotent producer's retries."""
    failed_definite: int
    failed_indefinite: int
    pending: int
    """Sent, no delivery report yet (in the client's queue or in flight)."""
    unknown: int
    """Sent and never reported: the runner ended first (only non-zero once it ended)."""
    send_rate: float
    """Records/s sent over the last ~2 s."""
    ack_rate: float
    """Records/s acknowledged (successes only; for acks=0: reported sent) over the last ~2 s."""
    avg_rate: float
    """Acked (acks=0: reported sent) records/s from first send to the last report (or now)."""
    latency_p50: float | None
    latency_p90: float | None
    latency_p99: float | None
    latency_max: float | None
    errors: tuple[ErrorCount, ...]
    """Most frequent first."""
    partitions: tuple[tuple[int, int], ...]
    """(partition, acked records), by partition."""
    avg_batch_records: float | None
    """Records per batch (librdkafka statistics, averaged over the run)."""
    avg_batch_bytes: float | None
    recent: tuple[DeliveryReportView, ...]
    """The last ~20 delivery reports, oldest first."""
    started_at: float
    ended_at: float | None
    message: str | None
    """Why it failed or stopped early, one sentence; None otherwise."""
    sent_unacknowledged: int = 0
    """acks=0: records librdkafka reported sent; no broker acknowledged them, they have no offset and
    no ack latency (the verdict's re-read tells which were written)."""
    latency: LatencySummary = field(default_factory=LatencySummary)
    """Send -> acknowledged latency (librdkafka's per-message latency; empty for acks=0)."""
    send_mb_rate: float = 0.0
    """MB/s of record bytes (key + value, before compression) sent over the last ~2 s."""
    ack_mb_rate: float = 0.0
    """MB/s of record bytes acknowledged over the last ~2 s."""
    avg_record_bytes: float | None = None
    """Key + value bytes per record sent (from the statistics)."""
    value_content: str = "kx"
    value_size: int = 100
    poison: str | None = None
    """The poison spec (``invalid-json:every=100``), None when none is injected."""
    poisoned: int = 0
    """Poison records sent."""
    resend: int = 0
    """Resends allowed per record (0: no application-level resends)."""
    resent: int = 0
    """Application-level resends sent."""
    cpu_seconds: float = 0.0
    """CPU time of the runner thread (librdkafka's own threads not included)."""
    stats: ProducerStats | None = None
    """librdkafka's statistics, once the first emission arrived."""
    last_report_at: float | None = None
    """When the last delivery report arrived, if every record got one (the end of its throughput)."""

    @property
    def failed(self) -> int:
        return self.failed_definite + self.failed_indefinite

    @property
    def reported_ok(self) -> int:
        """Successful delivery reports: acked, acked without offset, or (acks=0) sent."""
        return self.acked + self.acked_no_offset + self.sent_unacknowledged

    @property
    def active(self) -> bool:
        return self.state in ("starting", "running", "draining", "stopping")

    @property
    def acknowledged(self) -> bool:
        """Brokers acknowledge this producer's records (acks=1 or all). With acks=0 a delivery
        report only says librdkafka sent the record: no offset, no acknowledgement, no ack latency."""
        return self.acks != "0"


@dataclass(frozen=True)
class ProducersView(JsonView):
    """Every producer runner of this engine run, in start order (finished ones stay listed)."""

    runners: tuple[RunnerView, ...] = ()

    def get(self, name: str) -> RunnerView | None:
        """The latest incarnation of ``name``."""
        for runner in reversed(self.runners):
            if runner.name == name:
                return runner
        return None

    @property
    def active(self) -> tuple[RunnerView, ...]:
        """Runners that are starting, sending, draining or stopping."""
        return tuple(r for r in self.runners if r.active)

    @property
    def topics(self) -> frozenset[str]:
        """Every topic a runner of this engine produced to."""
        return frozenset(r.topic for r in self.runners if r.topic)
