"""``kafka-explorer produce TOPIC ...``: produce test records with chosen acks, keys and settings.

Prints a summary every second and a final summary (JSON lines with ``--json``); ``--records`` adds
one JSON line per delivery report, in send order. Exit codes: 0 every record acknowledged; 1 some
record failed or was never acknowledged (unless ``--allow-failures``), or the cluster could not be
used; 2 bad options (including properties librdkafka rejects). Ctrl-C stops cleanly: records already
handed to the client are flushed (a few seconds at most), then the final summary is printed.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tui.headless.output import emit_json, fail, say, usage

if TYPE_CHECKING:
    from tui.engine import Engine, ProducerProfile, RunnerView, TopicSpec, Workload
    from tui.kafka.connection import Connection

EXIT_FAILURES = 1
_VALUE_CONTENTS = ("kx", "random", "text", "json")  # tui.vocab.ValueContent (checked by Workload)
_CONNECTION_PREFIXES = ("security.", "sasl.", "ssl.", "ssl_", "socket.", "client.", "reconnect.",
                        "broker.address.", "api.version", "metadata.", "enable.ssl.", "https.",
                        "bootstrap.", "connections.", "ssl.endpoint")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("topic", metavar="TOPIC")
    prof = parser.add_argument_group("producer settings")
    prof.add_argument("--name", default=None,
                      help="producer name (default: acks<ACKS>, e.g. acksall)")
    prof.add_argument("--acks", choices=("0", "1", "all", "-1"), default="all",
                      help="0: no ack, 1: leader only, all: every in-sync replica (default all)")
    prof.add_argument("--idempotence", action="store_true", help="enable.idempotence=true")
    prof.add_argument("--retries", type=int, default=2147483647, metavar="N")
    prof.add_argument("--max-in-flight", type=int, default=5, metavar="N",
                      help="max requests in flight per connection (default 5)")
    prof.add_argument("--linger-ms", type=int, default=5, metavar="N")
    prof.add_argument("--batch-size", type=int, default=1_000_000, metavar="BYTES")
    prof.add_argument("--compression", choices=("none", "gzip", "snappy", "lz4", "zstd"),
                      default="none")
    prof.add_argument("--partitioner", default="murmur2_random",
                      help="librdkafka partitioner (default murmur2_random = Java's key placement)")
    prof.add_argument("--message-timeout-ms", type=int, default=15_000, metavar="N",
                      help="give up on a record after this long (default 15000)")
    prof.add_argument("--resend", type=int, nargs="?", const=3, default=0, metavar="MAX",
                      help="application-level resend: send a record again (a new record, its own "
                           "msg_id) when its delivery failed or timed out, up to MAX times (default 3)")
    work = parser.add_argument_group("records")
    work.add_argument("--key-mode", default="none", metavar="MODE",
                      help="none | fixed:K | cycle:N | random | hot:P (default none)")
    work.add_argument("--value-size", type=int, default=100, metavar="BYTES")
    work.add_argument("--value-content", choices=_VALUE_CONTENTS, default="kx", metavar="MODE",
                      help="kx (dots: compresses absurdly well) | random (incompressible) | text "
                           "(words) | json (an object with msg_id, seq, payload); default kx")
    work.add_argument("--poison", default=None, metavar="KIND[:every=N|at=S,...]",
                      help="inject bad records: invalid-json, missing-field, tombstone or oversized "
                           "(every 100th when no spec is given)")
    work.add_argument("--header", action="append", default=[], metavar="K=V",
                      help="extra header on every record (repeatable)")
    work.add_argument("--partition", type=int, default=None, metavar="P",
                      help="send everything to this partition")
    work.add_argument("--count", type=int, default=None, metavar="N",
                      help="records to send (default: until Ctrl-C)")
    work.add_argument("--rate", type=float, default=None, metavar="R",
                      help="records per second (default: as fast as possible)")
    topic = parser.add_argument_group("topic creation")
    topic.add_argument("--create-topic", action="store_true",
                       help="create TOPIC first (no error if it exists)")
    topic.add_argument("--partitions", type=int, default=3, metavar="N")
    topic.add_argument("--replication-factor", type=int, default=None, metavar="N",
                       help="default: 3 on a 3-node lab, else 1")
    topic.add_argument("--min-insync", type=int, default=None, metavar="N",
                       help="min.insync.replicas of the new topic")
    conn = parser.add_argument_group("connection")
    # SUPPRESS: values typed before the subcommand survive when these are absent
    conn.add_argument("-b", "--bootstrap", metavar="HOST:PORT", default=argparse.SUPPRESS,
                      help="bootstrap servers (default: the local lab)")
    conn.add_argument("-X", dest="properties", metavar="KEY=VALUE", action="append",
                      default=argparse.SUPPRESS,
                      help="any librdkafka property for the producer and connection (repeatable)")
    conn.add_argument("--profile", metavar="NAME", default=argparse.SUPPRESS)
    conn.add_argument("--config", metavar="FILE", default=argparse.SUPPRESS)
    out = parser.add_argument_group("output")
    out.add_argument("--json", action="store_true", help="JSON lines instead of text")
    out.add_argument("--records", action="store_true", help="one JSON line per delivery report")
    out.add_argument("--interval", type=float, default=1.0, metavar="S",
                     help="seconds between progress summaries (default 1; 0 = none)")
    out.add_argument("--allow-failures", action="store_true",
                     help="exit 0 even when records failed")
    out.add_argument("--timeout", type=float, default=None, metavar="S",
                     help="stop after this many seconds (default: none)")






def run(args: argparse.Namespace) -> int:
    from tui import connect
    from tui.engine import (
        ProducerProfile,
        ProfileError,
        TopicError,
        TopicSpec,
        Workload,
        WorkloadError,
        parse_header,
        parse_key_mode,
        parse_poison,
    )

    if isinstance(getattr(args, "config", None), str):
        args.config = Path(args.config)
    try:
        props = connect.parse_properties(getattr(args, "properties", []) or [])
        acks = "all" if args.acks == "-1" else args.acks
        profile = ProducerProfile(
            name=args.name or f"acks{acks}", acks=acks, idempotence=args.idempotence,
            retries=args.retries, max_in_flight=args.max_in_flight, linger_ms=args.linger_ms,
            batch_size=args.batch_size, compression=args.compression, partitioner=args.partitioner,
            message_timeout_ms=args.message_timeout_ms, resend=args.resend, extra=props).validate()
        workload = Workload(topic=args.topic, count=args.count, rate=args.rate,
                            key_mode=parse_key_mode(args.key_mode), value_size=args.value_size,
                            headers=tuple(parse_header(h) for h in args.header),
                            partition=args.partition, value_content=args.value_content,
                            poison=parse_poison(args.poison) if args.poison else None).validate()
    except (ProfileError, WorkloadError, connect.ConnectError) as exc:
        return usage(str(exc))
    # every -X goes to the producer; only connection-level ones (security...) also reach the
    # admin client used for the topic check, which would reject producer-only properties
    args.properties = [f"{k}={v}" for k, v in props.items() if k.startswith(_CONNECTION_PREFIXES)]
    try:
        connection = connect.resolve(args)
    except connect.ConnectError as exc:
        return fail(str(exc))
    spec = None
    if args.create_topic:
        rf = args.replication_factor or _lab_default_rf(connection.lab_dir)
        try:
            spec = TopicSpec(args.topic, args.partitions, rf, args.min_insync).validate()
        except TopicError as exc:
            return usage(str(exc))
    return _produce(connection, profile, workload, spec, args)


def _lab_default_rf(lab_dir: Path | None) -> int:
    """3 on a 3-node lab, else 1 (a remote cluster's size is unknown here)."""
    if lab_dir is None:
        return 1
    from tui.lab import LabCluster

    try:
        return min(3, LabCluster(lab_dir).spec.nodes)
    except Exception:
        return 1


def _produce(connection: Connection, profile: ProducerProfile, workload: Workload,
             spec: TopicSpec | None, args: argparse.Namespace) -> int:
    from tui.engine import CreateTopic, Engine, StartProducer, StopProducer

    with Engine(connection, watch=False) as engine:
        if spec is not None:
            try:
                created = engine.call(CreateTopic(spec), timeout=60)
            except ValueError as exc:
                return fail(str(exc))
            if not args.json:
                say(f"topic {spec.name} {'created' if created else 'already exists'}")
        workload = _sized_poison(engine, workload)
        try:
            name = engine.call(StartProducer(profile, workload, require_topic=spec is None),
                               timeout=30)
        except ValueError as exc:
            text = str(exc)
            if "does not exist" in text:
                return fail(f"Topic {workload.topic!r} does not exist; create it first or add "
                            "--create-topic.")
            if text.startswith("Cannot reach"):
                return fail(text)
            return usage(text)
        printer = _RecordPrinter(engine, name, workload.topic) if args.records else None
        deadline = time.monotonic() + args.timeout if args.timeout else None
        next_summary = time.monotonic() + args.interval if args.interval > 0 else float("inf")
        interrupted = False
        try:
            while _view(engine, name).active:
                engine.wait_producer(name, 0.1)
                if printer is not None:
                    printer.emit()
                now = time.monotonic()
                if now >= next_summary:
                    next_summary = now + args.interval
                    _summary(_view(engine, name), args.json, final=False)
                if deadline is not None and now >= deadline:
                    engine.call(StopProducer(name), timeout=10)
                    deadline = None
        except KeyboardInterrupt:
            interrupted = True
            engine.call(StopProducer(name, flush_timeout=3.0), timeout=10)
        engine.wait_producer(name, 15.0)
        if printer is not None:
            printer.emit(final=True)
        view = _view(engine, name)
        _summary(view, args.json, final=True, interrupted=interrupted)
    if view.state == "failed" and view.message:
        fail(view.message)
        return EXIT_FAILURES
    not_acked = view.failed_definite + view.failed_indefinite + view.unknown
    if not_acked and not args.allow_failures:
        sys.stderr.write(f"kafka-explorer: {not_acked} of {view.sent} records were not "
                         "acknowledged (use --allow-failures to exit 0 anyway).\n")
        return EXIT_FAILURES
    return 0


def _sized_poison(engine: Engine, workload: Workload) -> Workload:
    """An oversized poison record is larger than the topic's max.message.bytes: read it when we can."""
    import dataclasses

    from tui.engine import DescribeTopicConfig

    poison = workload.poison
    if poison is None or poison.kind != "oversized":
        return workload
    try:
        config = engine.call(DescribeTopicConfig(workload.topic, include_defaults=True), timeout=20)
        entry = config.get("max.message.bytes")
        limit = int(entry.value) if entry is not None and entry.value else None
    except (ValueError, TypeError, TimeoutError):
        limit = None
    if limit is None:
        return workload
    return dataclasses.replace(workload, poison=dataclasses.replace(poison, oversize_bytes=limit + 1024))


def _view(engine: Engine, name: str) -> RunnerView:
    view = engine.snapshot().producers.get(name)
    assert view is not None  # the producer was started by this command
    return view


def _ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1000:.1f}ms"


def _summary(view: RunnerView, as_json: bool, final: bool, interrupted: bool = False) -> None:
    if as_json:
        emit_json(_summary_json(view, final, interrupted))
        return
    failed = f"failed {view.failed_definite}  maybe-written {view.failed_indefinite}"
    # acks=0: nothing acknowledges a record, so it is "sent (no ack)" and has no ack latency
    got = f"acked {view.acked}" if view.acknowledged else f"sent (no ack) {view.sent_unacknowledged}"
    line = f"{view.name} [{view.state}] sent {view.sent}  {got}  {failed}  pending {view.pending}"
    lat = view.latency
    if final:
        line += f"  unknown {view.unknown}  avg {view.avg_rate:.0f}/s"
        if view.acknowledged:
            line += (f"  send→ack p50 {_ms(lat.p50)} p90 {_ms(lat.p90)} p99 {_ms(lat.p99)} "
                     f"p99.9 {_ms(lat.p999)} max {_ms(lat.max)}")
    else:
        line += f"  {view.ack_rate:.0f}/s {view.ack_mb_rate:.2f} MB/s"
        if view.acknowledged:
            line += f"  p50 {_ms(lat.p50)} p99 {_ms(lat.p99)}"
    say(line)
    if final:
        if view.partitions:
            say("  per partition: " + ", ".join(f"{p}:{n}" for p, n in view.partitions))
        for e in view.errors:
            say(f"  error {e.error} x{e.count} ({e.outcome}): {e.explanation}")
        if view.poisoned:
            say(f"  poison records sent: {view.poisoned} ({view.poison})")
        if view.resend:
            say(f"  application-level resends: {view.resent} (at most {view.resend} per record)")
        if view.stats is not None:
            for stat in view.stats.lines:
                say(f"  {stat.name}: {stat.value} — {stat.explanation}")


def _latency_ms(view: RunnerView) -> dict[str, float | None]:
    lat = view.latency
    return {k: None if v is None else round(v * 1000, 3) for k, v in (
        ("p50", lat.p50), ("p90", lat.p90), ("p99", lat.p99), ("p99.9", lat.p999), ("max", lat.max))}


def _summary_json(view: RunnerView, final: bool, interrupted: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "type": "final" if final else "progress", "name": view.name, "topic": view.topic,
        "state": view.state, "profile": view.summary, "sent": view.sent, "acked": view.acked,
        "acked_no_offset": view.acked_no_offset, "sent_unacknowledged": view.sent_unacknowledged,
        "failed_definite": view.failed_definite,
        "failed_indefinite": view.failed_indefinite, "pending": view.pending,
        "unknown": view.unknown, "send_rate": round(view.send_rate, 1),
        "ack_rate": round(view.ack_rate, 1), "avg_rate": round(view.avg_rate, 1),
        "send_mb_rate": round(view.send_mb_rate, 3), "ack_mb_rate": round(view.ack_mb_rate, 3),
        "latency_ms": _latency_ms(view),
        "errors": {e.error: {"count": e.count, "outcome": e.outcome, "explanation": e.explanation}
                   for e in view.errors},
        "partitions": {str(p): n for p, n in view.partitions},
    }
    if final:
        out["avg_batch_records"] = view.avg_batch_records
        out["avg_batch_bytes"] = view.avg_batch_bytes
        out["value_content"] = view.value_content
        out["poison"] = view.poison
        out["poisoned"] = view.poisoned
        out["resent"] = view.resent
        out["stats"] = None if view.stats is None else {
            **view.stats.to_json(), "lines": [line.to_json() for line in view.stats.lines]}
        out["interrupted"] = interrupted
        out["message"] = view.message
    return out


class _RecordPrinter:
    """Emits one JSON line per delivery report, in send (seq) order."""

    def __init__(self, engine: Engine, name: str, topic: str) -> None:
        self.engine = engine
        self.name = name
        self.topic = topic
        self.next = 0

    def emit(self, final: bool = False) -> None:
        reports, self.next = self.engine.delivery_reports(self.name, self.next, final)
        for rep in reports:
            emit_json({
                "type": "delivery", "msg_id": rep.msg_id, "seq": rep.seq, "topic": self.topic,
                "partition": rep.partition, "offset": rep.offset, "outcome": rep.outcome,
                "error": rep.error,
                "latency_ms": None if rep.latency is None else round(rep.latency * 1000, 3),
                "key": None if rep.key is None else rep.key.decode("utf-8", "backslashreplace"),
            })
