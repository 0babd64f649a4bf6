"""Sweeps of producer and consumer settings: what each point costs in throughput and latency.

A :class:`TuneGrid` lists the values to try per setting (its cartesian product are the *points*);
:func:`run_sweep` runs them one after another on an engine: for each point a fresh topic
(``<base>-tune-<run>-<n>``, so neither its records nor its batches mix with another point's), a group
member reading it (so produce -> first delivery latency is real), a producer sending a fixed count or
for a fixed time at a fixed or open rate; then the point's figures are read from the views:

* throughput: records/s and MB/s acknowledged, first send to last report;
* send -> ack latency (the producer's histogram) and produce -> first delivery (the group's);
* records per batch, batch fill and compression ratio (librdkafka statistics);
* producer CPU per record: the producer process's CPU time over the point (its runner loop and
  librdkafka's threads, which do the compression; the interpreter's start is not counted) / records.

librdkafka has no ``max.poll.records``: the member's batch size (records per consume call) plays its
part. A sweep can be cancelled between and inside points; what was measured is kept.
The Pareto frontier is the set of points no other point beats on both throughput (higher) and p99
latency (lower; e2e when a group read the point, else send -> ack).
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Protocol

from tui.engine.jsonview import JsonView
from tui.engine.latency import LatencySummary
from tui.engine.producer.profile import ProducerProfile
from tui.engine.producer.workload import VALUE_CONTENTS, Workload
from tui.vocab import Acks, Compression, names

if TYPE_CHECKING:
    from tui.engine.commands import Command
    from tui.engine.snapshot import Snapshot


class SweepPort(Protocol):
    """What a sweep needs from an engine: the engine itself, or the UI's port to it."""

    def submit(self, cmd: Command) -> Future[Any]: ...

    def snapshot(self) -> Snapshot: ...


def _call(port: SweepPort, cmd: Command, timeout: float) -> Any:
    return port.submit(cmd).result(timeout)

TUNE_AXES: dict[str, str] = {
    # axis: (what it sets)
    "linger_ms": "linger.ms",
    "batch_size": "batch.size",
    "compression": "compression.type",
    "acks": "acks",
    "max_in_flight": "max.in.flight",
    "idempotence": "enable.idempotence",
    "value_content": "value content",
    "fetch_min_bytes": "fetch.min.bytes",
    "fetch_max_wait_ms": "fetch.wait.max.ms",
    "max_poll_records": "max.poll.records (member batch size)",
}
"""Every setting a grid can vary, with the client setting it maps to."""
_INT_AXES = {"linger_ms": (0, 900_000), "batch_size": (1, 2_147_483_647), "max_in_flight": (1, 1_000_000),
             "fetch_min_bytes": (1, 100_000_000), "fetch_max_wait_ms": (0, 300_000),
             "max_poll_records": (1, 100_000)}
_CHOICES: dict[str, tuple[str, ...]] = {"compression": names(Compression), "acks": names(Acks),
                                        "value_content": VALUE_CONTENTS,
                                        "idempotence": ("false", "true")}
MAX_POINTS = 200
SWEEP_PREFIX = "tune-"
"""Names of a sweep's producers and groups start with this (``tune-<run>-<n>``)."""
DEFAULT_MAX_MESSAGE_BYTES = 1_048_588


class TuneError(ValueError):
    """A grid or sweep that cannot run; the message is one sentence for the user."""


def parse_axis(axis: str, text: str) -> tuple[Any, ...]:
    """``"0,5,50"`` for ``linger_ms`` -> (0, 5, 50); raises :class:`TuneError` naming the bad value."""
    label = TUNE_AXES.get(axis)
    if label is None:
        raise TuneError(f"Unknown setting {axis!r}; a grid varies {', '.join(TUNE_AXES)}.")
    items = [t.strip() for t in text.split(",") if t.strip()]
    if not items:
        raise TuneError(f"{label}: give at least one value (e.g. 0,5,50).")
    out: list[Any] = []
    for item in items:
        if axis in _INT_AXES:
            low, high = _INT_AXES[axis]
            try:
                value = int(item)
            except ValueError:
                raise TuneError(f"{label} takes whole numbers, not {item!r}.") from None
            if not low <= value <= high:
                raise TuneError(f"{label} must be between {low} and {high}, not {value}.")
            out.append(value)
        else:
            word = item.lower()
            word = "all" if axis == "acks" and word == "-1" else word
            if word not in _CHOICES[axis]:
                raise TuneError(f"Unknown {label} {item!r}; use {', '.join(_CHOICES[axis])}.")
            out.append(word == "true" if axis == "idempotence" else word)
    if len(set(out)) != len(out):
        raise TuneError(f"{label} lists a value twice.")
    return tuple(out)


@dataclass(frozen=True)
class TuneGrid:
    """Values to try per setting; one value: fixed for every point."""

    linger_ms: tuple[int, ...] = (5,)
    batch_size: tuple[int, ...] = (1_000_000,)
    compression: tuple[str, ...] = ("none",)
    acks: tuple[str, ...] = ("all",)
    max_in_flight: tuple[int, ...] = (5,)
    idempotence: tuple[bool, ...] = (False,)
    value_content: tuple[str, ...] = ("text",)
    fetch_min_bytes: tuple[int, ...] = (1,)
    fetch_max_wait_ms: tuple[int, ...] = (500,)
    max_poll_records: tuple[int, ...] = (500,)

    @property
    def varied(self) -> tuple[str, ...]:
        """The axes with more than one value (what a point's label names)."""
        return tuple(a for a in TUNE_AXES if len(getattr(self, a)) > 1)

    def points(self) -> tuple[TunePoint, ...]:
        axes = tuple(TUNE_AXES)
        combos = itertools.product(*(getattr(self, a) for a in axes))
        return tuple(TunePoint(i, tuple(zip(axes, combo, strict=True)), self.varied)
                     for i, combo in enumerate(combos))

    def validate(self, max_message_bytes: int | None = None) -> TuneGrid:
        """One sentence for the first thing that cannot work, before anything runs."""
        count = 1
        for axis in TUNE_AXES:
            count *= len(getattr(self, axis))
        if count > MAX_POINTS:
            raise TuneError(f"The grid has {count} points; at most {MAX_POINTS} run in one sweep.")
        if True in self.idempotence:
            weak = [a for a in self.acks if a != "all"]
            if weak:
                raise TuneError(f"Idempotence needs acks=all, and the grid pairs it with acks={weak[0]}: "
                                "drop that acks value or run idempotence in its own sweep.")
            if max(self.max_in_flight) > 5:
                raise TuneError("Idempotence allows at most 5 requests in flight; the grid asks for "
                                f"{max(self.max_in_flight)}.")
        limit = max_message_bytes or DEFAULT_MAX_MESSAGE_BYTES
        too_big = [b for b in self.batch_size if b > limit]
        if too_big:
            raise TuneError(f"batch.size {too_big[0]:,} is above the broker's message.max.bytes "
                            f"({limit:,}): such a batch could never be written; use at most {limit:,}.")
        return self


@dataclass(frozen=True)
class TunePoint:
    index: int
    settings: tuple[tuple[str, Any], ...]
    """(axis, value) for every axis."""
    varied: tuple[str, ...] = ()

    def get(self, axis: str) -> Any:
        return dict(self.settings)[axis]

    @property
    def label(self) -> str:
        """The varied settings, e.g. ``linger=50 lz4``; ``defaults`` for a one-point grid."""
        parts = [_short(a, v) for a, v in self.settings if a in self.varied]
        return " ".join(parts) or "defaults"

    def profile(self, name: str) -> ProducerProfile:
        get = self.get
        return ProducerProfile(name=name, acks=str(get("acks")), idempotence=bool(get("idempotence")),
                               max_in_flight=int(get("max_in_flight")), linger_ms=int(get("linger_ms")),
                               batch_size=int(get("batch_size")), compression=str(get("compression")))

    def consumer_settings(self) -> tuple[tuple[str, str], ...]:
        return (("fetch.min.bytes", str(self.get("fetch_min_bytes"))),
                ("fetch.wait.max.ms", str(self.get("fetch_max_wait_ms"))))


def _short(axis: str, value: Any) -> str:
    if axis == "linger_ms":
        return f"linger={value}"
    if axis == "batch_size":
        return f"batch={value}"
    if axis == "max_in_flight":
        return f"in-flight={value}"
    if axis == "acks":
        return f"acks={value}"
    if axis == "idempotence":
        return "idempotent" if value else "not-idempotent"
    if axis == "fetch_min_bytes":
        return f"fetch.min={value}"
    if axis == "fetch_max_wait_ms":
        return f"fetch.wait={value}"
    if axis == "max_poll_records":
        return f"poll={value}"
    return str(value)


@dataclass(frozen=True)
class TuneWorkload:
    """What every point sends: ``count`` records, or for ``duration`` seconds when set."""

    count: int = 20_000
    duration: float | None = None
    rate: float | None = None
    """Records/s; None: as fast as possible (open rate)."""
    value_size: int = 200
    partitions: int = 1
    consumer: bool = True
    """A group member reads each point's topic (produce -> first delivery latency)."""
    timeout: float = 120.0
    """Per point: producing plus reading at most this long."""


@dataclass(frozen=True, slots=True)
class PointResult(JsonView):
    """What one point measured."""

    index: int
    label: str
    settings: tuple[tuple[str, Any], ...]
    sent: int = 0
    acked: int = 0
    seconds: float = 0.0
    """First send to the last delivery report."""
    throughput: float = 0.0
    """Records/s acknowledged (acks=0: reported sent), first send to last report."""
    mb_rate: float = 0.0
    """MB/s of record bytes (key + value, before compression)."""
    ack: LatencySummary = field(default_factory=LatencySummary)
    e2e: LatencySummary | None = None
    """Produce -> first delivery to the point's group; None without a consumer."""
    records_per_batch: float | None = None
    batch_fill: float | None = None
    compression_ratio: float | None = None
    cpu_us_per_record: float | None = None
    failed: int = 0
    error: str | None = None
    """Why the point did not complete, one sentence."""
    frontier: bool = False
    """On the Pareto frontier: no other point has higher throughput and lower p99 latency."""

    @property
    def p99(self) -> float | None:
        """The latency the frontier uses: e2e p99 when a group read the point, else send -> ack p99."""
        if self.e2e is not None and self.e2e.p99 is not None:
            return self.e2e.p99
        return self.ack.p99


@dataclass(frozen=True, slots=True)
class SweepView(JsonView):
    """A sweep as far as it went (the TUI's scatter plot and the reports render it)."""

    topic: str
    grid: tuple[tuple[str, tuple[Any, ...]], ...]
    varied: tuple[str, ...]
    total: int
    results: tuple[PointResult, ...] = ()
    running: str | None = None
    """The label of the point running now."""
    state: str = "running"
    """running | done | cancelled | failed"""
    message: str | None = None


def pareto(results: Sequence[PointResult]) -> set[int]:
    """Indexes of the points on the frontier (max throughput, min p99 latency)."""
    valid = [r for r in results if r.error is None and r.p99 is not None and r.throughput > 0]
    out: set[int] = set()
    for r in valid:
        assert r.p99 is not None
        dominated = any(o is not r and o.p99 is not None and o.throughput >= r.throughput
                        and o.p99 <= r.p99 and (o.throughput > r.throughput or o.p99 < r.p99)
                        for o in valid)
        if not dominated:
            out.add(r.index)
    return out


Progress = Callable[[SweepView], None]


def run_sweep(engine: SweepPort, grid: TuneGrid, workload: TuneWorkload, base_topic: str, *,
              on_progress: Progress | None = None, cancel: threading.Event | None = None,
              keep_topics: bool = False) -> SweepView:
    """Run every point of ``grid`` (blocking; call it from a worker thread in a UI). Cancelling keeps
    the points measured so far (and the current one, cut short)."""
    from tui.engine.record_format import new_run_id

    cancel = cancel or threading.Event()
    run = new_run_id()[:5]
    points = grid.points()
    view = SweepView(topic=base_topic, grid=tuple((a, tuple(getattr(grid, a))) for a in TUNE_AXES),
                     varied=grid.varied, total=len(points))
    results: list[PointResult] = []

    def publish(state: str = "running", running: str | None = None, message: str | None = None) -> None:
        nonlocal view
        front = pareto(results)
        view = replace(view, results=tuple(replace(r, frontier=r.index in front) for r in results),
                       running=running, state=state, message=message)
        if on_progress is not None:
            on_progress(view)

    publish()
    try:
        if len(points) > 1 and not cancel.is_set():
            # one short unreported run first: the first point would otherwise pay for the warm-up
            # (connections, the value pool, the member process's imports) that the others skip
            publish(running="warm-up")
            _run_point(engine, points[0], replace(workload, count=500, duration=None),
                       f"{base_topic}-tune-{run}-warm", f"{SWEEP_PREFIX}{run}-warm", cancel, keep_topics=False)
        for point in points:
            if cancel.is_set():
                break
            publish(running=point.label)
            results.append(_run_point(engine, point, workload, f"{base_topic}-tune-{run}-{point.index}",
                                      f"{SWEEP_PREFIX}{run}-{point.index}", cancel, keep_topics))
    except Exception as exc:  # a sweep ends with a sentence, never a traceback
        publish("failed", message=str(exc))
        return view
    publish("cancelled" if cancel.is_set() else "done")
    return view


def _run_point(engine: SweepPort, point: TunePoint, workload: TuneWorkload, topic: str, name: str,
               cancel: threading.Event, keep_topics: bool) -> PointResult:
    from tui.engine.admin_ops import DeleteTopic
    from tui.engine.consumer.commands import AddMember, MemberSpec, RemoveMember
    from tui.engine.producer.commands import StartProducer, StopProducer
    from tui.engine.topics import CreateTopic, TopicSpec

    base = PointResult(point.index, point.label, point.settings)
    try:
        _call(engine, CreateTopic(TopicSpec(topic, workload.partitions, 1)), 60)
    except ValueError as exc:
        return replace(base, error=f"could not create {topic}: {exc}")
    member: str | None = None
    try:
        if workload.consumer:
            spec = MemberSpec(group=name, topics=(topic,), strategy="auto", name=f"{name}-m",
                              batch_size=int(point.get("max_poll_records")),
                              extra=point.consumer_settings())
            member = str(_call(engine, AddMember(spec), 30))
            if not _wait(lambda: _member_assigned(engine, member or ""), 30.0, cancel):
                return replace(base, error="the point's group member got no partitions within 30 s")
        count = None if workload.duration is not None else workload.count
        w = Workload(topic=topic, count=count, rate=workload.rate, value_size=workload.value_size,
                     value_content=str(point.get("value_content")))
        producer = str(_call(engine, StartProducer(point.profile(name), w), 30))
        deadline = time.monotonic() + (workload.duration or workload.timeout)
        if not _wait(lambda: _producer_ended(engine, producer), deadline - time.monotonic(), cancel):
            _call(engine, StopProducer(producer, flush_timeout=5.0), 10)
            _wait(lambda: _producer_ended(engine, producer), 15.0, threading.Event())
        view = engine.snapshot().producers.get(producer)
        if view is None:
            return replace(base, error="the producer vanished")
        cpu = view.cpu_seconds
        acked = view.acked + view.acked_no_offset + view.sent_unacknowledged
        e2e: LatencySummary | None = None
        if member is not None:
            _wait(lambda: _consumed(engine, name) >= acked, min(30.0, workload.timeout), cancel)
            e2e = _group_e2e(engine, name)
        seconds = acked / view.avg_rate if view.avg_rate > 0 else 0.0
        stats = view.stats
        return replace(
            base, sent=view.sent, acked=acked, seconds=seconds, throughput=view.avg_rate,
            mb_rate=view.avg_rate * (view.avg_record_bytes or float(workload.value_size)) / 1e6,
            ack=view.latency, e2e=e2e,
            records_per_batch=stats.records_per_batch if stats else None,
            batch_fill=stats.batch_fill if stats else None,
            compression_ratio=stats.compression_ratio if stats else None,
            cpu_us_per_record=cpu / view.sent * 1e6 if view.sent else None,
            failed=view.failed_definite + view.failed_indefinite,
            error=view.message if view.state == "failed" else None)
    finally:
        if member is not None:
            try:
                _call(engine, RemoveMember(member), 20)
            except (ValueError, TimeoutError):
                pass
        if not keep_topics:
            try:
                _call(engine, DeleteTopic(topic), 30)
            except (ValueError, TimeoutError):
                pass


def _wait(check: Callable[[], bool], timeout: float, cancel: threading.Event) -> bool:
    deadline = time.monotonic() + timeout
    while not check():
        if cancel.is_set() or time.monotonic() >= deadline:
            return False
        cancel.wait(0.1)
    return True


def _producer_ended(engine: SweepPort, name: str) -> bool:
    view = engine.snapshot().producers.get(name)
    return view is None or not view.active


def _member_assigned(engine: SweepPort, member: str) -> bool:
    view = engine.snapshot().consumers.member(member)
    return view is not None and bool(view.assignment) and view.state == "running"


def _consumed(engine: SweepPort, group: str) -> int:
    return sum(max(0, m.delivered - m.redelivered) for m in engine.snapshot().consumers.members
               if m.group == group)


def _group_e2e(engine: SweepPort, group: str) -> LatencySummary | None:
    for view in engine.snapshot().consumers.group_e2e:
        if view.group == group:
            return view.e2e
    return None
