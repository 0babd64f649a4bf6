"""Read the engine's frozen views into flat rows the panes render.

The panes never reach into view objects themselves: this one module knows the field names the
producer, consumer, watcher and checker views use, so a renamed field is a one-line change here.
Nothing is derived about Kafka: every number comes from the snapshot as is.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tui.ui.fmt import attr


def pick(obj: object, *names: str, default: Any = None) -> Any:
    """The first of ``names`` the object has (views evolve; this keeps the UI tolerant)."""
    for name in names:
        value = attr(obj, name, None)
        if value is not None:
            return value
    return default


def seq(value: object) -> tuple[Any, ...]:
    if value is None:
        return ()
    if isinstance(value, Mapping):
        return tuple(value.values())
    if isinstance(value, (str, bytes)):
        return (value,)
    if isinstance(value, Iterable):
        return tuple(value)
    return ()


def mapping(value: object) -> dict[Any, Any]:
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, Iterable) and not isinstance(value, (str, bytes)):
        out: dict[Any, Any] = {}
        for item in value:
            if isinstance(item, tuple) and len(item) == 2:
                out[item[0]] = item[1]
        return out
    return {}


def floats(value: object) -> tuple[float, ...]:
    out: list[float] = []
    for item in seq(value):
        if isinstance(item, (int, float)):
            out.append(float(item))
        elif isinstance(item, tuple) and item and isinstance(item[-1], (int, float)):
            out.append(float(item[-1]))  # (ts, value) pairs
    return tuple(out)


# ---- cluster ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class BrokerRow:
    id: int
    address: str
    state: str
    controller: bool | None


@dataclass(frozen=True)
class PartRow:
    topic: str
    partition: int
    leader: int | None
    replicas: tuple[int, ...]
    isr: tuple[int, ...]
    offline: bool
    log_start: int | None
    high: int | None
    lso: int | None
    rate: float | None
    hw_series: tuple[float, ...] = ()


@dataclass(frozen=True)
class TopicRow:
    name: str
    partitions: int
    rf: int
    under_replicated: int
    offline: int
    rate: float
    internal: bool


@dataclass(frozen=True)
class GroupOffsetRow:
    topic: str
    partition: int
    committed: int | None
    high: int | None
    lag: int | None
    lag_series: tuple[float, ...] = ()


@dataclass(frozen=True)
class GroupRow:
    id: str
    type: str
    state: str
    assignor: str
    members: int
    lag: int | None
    rate: float | None
    offsets: tuple[GroupOffsetRow, ...] = ()
    lag_series: tuple[float, ...] = ()


@dataclass(frozen=True)
class SectionStatus:
    name: str
    state: str
    message: str


def brokers(cluster: object) -> list[BrokerRow]:
    rows = []
    for b in seq(attr(cluster, "brokers")):
        host = pick(b, "host", default="")
        port = pick(b, "port", default="")
        rows.append(BrokerRow(int(pick(b, "node_id", "id", default=-1)),
                              f"{host}:{port}" if host else str(pick(b, "address", default="")),
                              str(pick(b, "state", default="up")),
                              pick(b, "is_controller", "controller")))
    return sorted(rows, key=lambda r: r.id)


_memo: dict[str, tuple[object, Any]] = {}


def _once(name: str, view: object, build: Any) -> Any:
    """Views are immutable: derive rows once per view object (the pane and the header share)."""
    hit = _memo.get(name)
    if hit is not None and hit[0] is view:
        return hit[1]
    value = build(view)
    _memo[name] = (view, value)
    return value


def partitions(cluster: object) -> list[PartRow]:
    return list(_once("partitions", cluster, _partitions))


def _partitions(cluster: object) -> tuple[PartRow, ...]:
    series = attr(attr(cluster, "series"), "partition_high_watermark") or {}
    rows = [PartRow(p.topic, p.partition, p.leader, tuple(p.replicas), tuple(p.isr), p.offline,
                    p.log_start, p.high_watermark, p.last_stable, p.produce_rate,
                    series.get((p.topic, p.partition), ()))
            for t in seq(attr(cluster, "topics")) for p in t.partitions]
    rows.sort(key=lambda r: (r.topic, r.partition))
    return tuple(rows)


def topics(cluster: object, parts: Sequence[PartRow] | None = None) -> list[TopicRow]:
    return list(_once("topics", cluster, _topics))


def _topics(cluster: object) -> tuple[TopicRow, ...]:
    parts = partitions(cluster)
    by_topic: dict[str, list[PartRow]] = {}
    for p in parts:
        by_topic.setdefault(p.topic, []).append(p)
    internal = {str(pick(t, "name", default="")): bool(pick(t, "internal", default=False))
                for t in seq(attr(cluster, "topics"))}
    for name in internal:
        by_topic.setdefault(name, [])
    rows = []
    for name, ps in sorted(by_topic.items()):
        rows.append(TopicRow(
            name=name, partitions=len(ps),
            rf=max((len(p.replicas) for p in ps), default=0),
            under_replicated=sum(1 for p in ps if len(p.isr) < len(p.replicas)),
            offline=sum(1 for p in ps if p.offline or p.leader in (None, -1)),
            rate=sum(p.rate or 0.0 for p in ps), internal=internal.get(name, False)))
    return tuple(rows)


def groups(cluster: object) -> list[GroupRow]:
    rows = []
    series = attr(cluster, "series")
    part_lag = mapping(attr(series, "group_partition_lag"))
    group_lag = mapping(attr(series, "group_lag"))
    for g in seq(attr(cluster, "groups")):
        gid = str(pick(g, "group_id", "id", "name", default=""))
        offsets = []
        for o in seq(pick(g, "partitions", "offsets")):
            topic = str(pick(o, "topic", default=""))
            partition = int(pick(o, "partition", default=0))
            offsets.append(GroupOffsetRow(
                topic=topic, partition=partition,
                committed=pick(o, "committed", "committed_offset"),
                high=pick(o, "high_watermark", "high"),
                lag=pick(o, "lag"),
                lag_series=floats(part_lag.get((gid, topic, partition)))))
        rows.append(GroupRow(
            id=gid,
            type=str(pick(g, "type", "group_type", default="?")),
            state=str(pick(g, "state", default="?")),
            assignor=str(pick(g, "assignor", "protocol", "partition_assignor", default="")),
            members=len(seq(pick(g, "members"))),
            lag=pick(g, "lag", "total_lag"),
            rate=pick(g, "consume_rate", "rate"),
            offsets=tuple(sorted(offsets, key=lambda o: (o.topic, o.partition))),
            lag_series=floats(group_lag.get(gid))))
    return sorted(rows, key=lambda r: r.id)


def sections(cluster: object) -> list[SectionStatus]:
    return [SectionStatus(str(pick(s, "name", default="?")), str(pick(s, "state", default="?")),
                          str(pick(s, "message", default="")))
            for s in seq(attr(cluster, "sections"))]


# ---- producers -------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeliveryRow:
    partition: int | None
    offset: int | None
    latency_ms: float | None
    outcome: str
    error: str | None
    key: bytes | str | None
    msg_id: str = ""


@dataclass(frozen=True)
class ProducerRow:
    name: str
    incarnation: int
    state: str
    settings: str
    topic: str
    keys: str
    sent: int
    acked: int
    failed_definite: int
    failed_indefinite: int
    pending: int
    unknown: int
    rate: float | None
    p50: float | None
    p90: float | None
    p99: float | None
    max: float | None
    errors: tuple[tuple[str, str, int], ...] = ()
    """(error name, outcome class, count), most frequent first."""
    per_partition: tuple[tuple[int, int], ...] = ()
    avg_batch: float | None = None
    tail: tuple[DeliveryRow, ...] = ()
    message: str = ""

    @property
    def active(self) -> bool:
        return self.state in ("starting", "running", "draining", "stopping")


def _ms(seconds: object) -> float | None:
    return float(seconds) * 1000.0 if isinstance(seconds, (int, float)) else None


def producers(view: object) -> list[ProducerRow]:
    rows = []
    for r in seq(attr(view, "runners")):
        tail = tuple(
            DeliveryRow(pick(d, "partition"), pick(d, "offset"), _ms(pick(d, "latency")),
                        str(pick(d, "outcome", default="")), pick(d, "error"), pick(d, "key"),
                        str(pick(d, "msg_id", default="")))
            for d in seq(pick(r, "recent")))
        errors = tuple((str(pick(e, "error", default="?")), str(pick(e, "outcome", default="")),
                        int(pick(e, "count", default=0))) for e in seq(pick(r, "errors")))

        def count(name: str, _r: object = r) -> int:
            value = pick(_r, name, default=0)
            return int(value) if isinstance(value, (int, float)) else 0

        rows.append(ProducerRow(
            name=str(pick(r, "name", default="?")),
            incarnation=count("incarnation"),
            state=str(pick(r, "state", default="?")),
            settings=str(pick(r, "summary", default="")),
            topic=str(pick(r, "topic", default="")),
            keys=str(pick(r, "key_mode", default="")),
            sent=count("sent"), acked=count("acked"),
            failed_definite=count("failed_definite"), failed_indefinite=count("failed_indefinite"),
            pending=count("pending"), unknown=count("unknown"),
            rate=pick(r, "ack_rate", "send_rate"),
            p50=_ms(pick(r, "latency_p50")), p90=_ms(pick(r, "latency_p90")),
            p99=_ms(pick(r, "latency_p99")), max=_ms(pick(r, "latency_max")),
            errors=errors,
            per_partition=tuple(sorted((int(k), int(v)) for k, v in
                                       mapping(pick(r, "partitions")).items())),
            avg_batch=pick(r, "avg_batch_records"),
            tail=tail,
            message=str(pick(r, "message", default="") or "")))
    return rows


# ---- consumers -------------------------------------------------------------------------------


@dataclass(frozen=True)
class MemberPartRow:
    topic: str
    partition: int
    position: int | None
    committed: int | None
    delivered: int | None
    high: int | None
    lag: int | None


@dataclass(frozen=True)
class RecordRow:
    topic: str
    partition: int | None
    offset: int | None
    key: bytes | str | None
    value: bytes | str | None
    redelivered: bool
    msg_id: str | None


@dataclass(frozen=True)
class MemberRow:
    name: str
    group: str
    incarnation: int
    state: str
    strategy: str
    pending_strategy: str | None
    protocol: str
    generation: int
    assignment: tuple[tuple[str, int], ...]
    partitions: tuple[MemberPartRow, ...]
    delivered: int
    processed: int
    redelivered: int
    commits_ok: int
    commits_failed: int
    last_commit: str
    last_error: str
    tail: tuple[RecordRow, ...] = ()


def _int(value: object, default: int = 0) -> int:
    return int(value) if isinstance(value, (int, float)) else default


def members(view: object) -> list[MemberRow]:
    rows = []
    for m in seq(attr(view, "members")):
        assignment = tuple(sorted((str(t), int(p)) for t, p in seq(attr(m, "assignment"))))
        parts = tuple(sorted(
            (MemberPartRow(str(pick(p, "topic", default="")), _int(pick(p, "partition")),
                           pick(p, "position"), pick(p, "committed"), pick(p, "delivered"),
                           pick(p, "high"), pick(p, "lag"))
             for p in seq(attr(m, "partitions"))), key=lambda x: (x.topic, x.partition)))
        tail = tuple(RecordRow(str(pick(r, "topic", default="")), pick(r, "partition"),
                               pick(r, "offset"), pick(r, "key"), pick(r, "value"),
                               bool(pick(r, "redelivered", default=False)), pick(r, "msg_id"))
                     for r in seq(attr(m, "recent")))
        rows.append(MemberRow(
            name=str(pick(m, "name", default="?")),
            group=str(pick(m, "group", default="")),
            incarnation=_int(pick(m, "incarnation")),
            state=str(pick(m, "state", default="?")),
            strategy=str(pick(m, "strategy", default="?")),
            pending_strategy=pick(m, "pending_strategy"),
            protocol=str(pick(m, "protocol", default="")),
            generation=_int(pick(m, "generation")),
            assignment=assignment,
            partitions=parts,
            delivered=_int(pick(m, "delivered")),
            processed=_int(pick(m, "processed")),
            redelivered=_int(pick(m, "redelivered")),
            commits_ok=_int(pick(m, "commits_ok")),
            commits_failed=_int(pick(m, "commits_failed")),
            last_commit=str(pick(m, "last_commit", default="") or ""),
            last_error=str(pick(m, "last_error", default="") or ""),
            tail=tail))
    return rows


# ---- verdict ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class AnomalyRow:
    kind: str
    judgement: str
    topic: str
    partition: int | None
    offsets: tuple[int, ...]
    msg_ids: tuple[str, ...]
    explanation: str
    members: tuple[str, ...]


def verdict_counts(verdict: object, kinds: Sequence[str]) -> list[tuple[str, int]]:
    counts = mapping(attr(verdict, "counts"))
    names = list(kinds) + [k for k in counts if k not in kinds]
    return [(k, int(counts.get(k, 0))) for k in names]


def anomalies(verdict: object) -> list[AnomalyRow]:
    return [AnomalyRow(str(pick(a, "kind", default="?")), str(pick(a, "judgement", default="")),
                       str(pick(a, "topic", default="")), pick(a, "partition"),
                       tuple(seq(pick(a, "offsets"))), tuple(str(x) for x in seq(pick(a, "msg_ids"))),
                       str(pick(a, "explanation", default="")),
                       tuple(str(x) for x in seq(pick(a, "members"))))
            for a in seq(attr(verdict, "anomalies"))]


def summary_pairs(verdict: object) -> list[tuple[str, str]]:
    """The verdict summary as (label, value) pairs, in the summary's own field order."""
    summary = attr(verdict, "summary")
    if summary is None:
        return []
    if isinstance(summary, Mapping):
        items = list(summary.items())
    elif hasattr(summary, "__dataclass_fields__"):
        items = [(name, getattr(summary, name)) for name in summary.__dataclass_fields__]
    else:
        return [("summary", str(summary))]
    return [(str(key).replace("_", " "), _flat(value)) for key, value in items]


def _flat(value: object) -> str:
    """Nested mappings and sequences as short readable text (no Python reprs)."""
    if isinstance(value, Mapping):
        return "; ".join(f"{k}: {_flat(v)}" if isinstance(v, Mapping) else f"{k}={_flat(v)}"
                         for k, v in value.items()) or "-"
    if isinstance(value, (tuple, list, set, frozenset)):
        return ", ".join(_flat(v) for v in value) or "-"
    return "-" if value is None else str(value)
