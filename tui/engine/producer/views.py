"""Frozen views of the producers for snapshots (what the TUI and headless runners render).

Times are seconds (floats); latencies are seconds. Keys are raw bytes: escaping them before
display is the renderer's job (they are untrusted when the user typed them).
"""

from __future__ import annotations

from dataclasses import dataclass

from tui.engine.jsonview import JsonView


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
    """Delivery reports without error (including acked_no_offset)."""
    acked_no_offset: int
    """Acked without an offset (acks=0)."""
    failed_definite: int
    failed_indefinite: int
    pending: int
    """Sent, no delivery report yet (in the client's queue or in flight)."""
    unknown: int
    """Sent and never reported: the runner ended first (only non-zero once it ended)."""
    send_rate: float
    """Records/s sent over the last ~2 s."""
    ack_rate: float
    """Delivery reports/s over the last ~2 s."""
    avg_rate: float
    """Acked records/s from first send to last ack (or now)."""
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

    @property
    def failed(self) -> int:
        return self.failed_definite + self.failed_indefinite

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
