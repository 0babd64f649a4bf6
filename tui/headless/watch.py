"""``kafka-explorer watch``: brokers, partitions, groups, offsets and lag, live, as lines.

Prints one snapshot summary once the first refresh read the cluster, then every change event
(``partition.isr-shrunk``, ``group.rebalanced``...) as it happens; ``--json`` makes every line a JSON
object. Ctrl-C (or ``--duration``) stops it cleanly.
"""

from __future__ import annotations

import argparse
import time
from typing import TYPE_CHECKING, Any

from tui.headless.output import emit_json, fail, say

if TYPE_CHECKING:
    from tui.engine import ClusterView, Engine, Subscription

FIRST_VIEW_TIMEOUT = 8.0
"""Seconds to wait for the first readable metadata before giving up with one sentence."""




def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--group", "-g", dest="groups", action="append", default=[], metavar="G",
                        help="watch only this consumer group (repeatable; default: all groups)")
    parser.add_argument("--topic", "-t", dest="topics", action="append", default=[], metavar="T",
                        help="watch only this topic (repeatable; default: all non-internal topics)")
    parser.add_argument("--interval", type=float, default=1.0, metavar="S",
                        help="seconds between refreshes, 0.25 to 30 (default 1)")
    parser.add_argument("--internal", action="store_true",
                        help="include Kafka's internal topics (__consumer_offsets...)")
    parser.add_argument("--lag-threshold", type=int, default=1000, metavar="N",
                        help="report group.lag-high when a group's total lag exceeds N (default 1000)")
    parser.add_argument("--json", action="store_true", help="print JSON lines")
    parser.add_argument("--duration", type=float, default=None, metavar="S",
                        help="stop after S seconds (default: until Ctrl-C)")
    parser.add_argument("--summary-every", type=float, default=None, metavar="S",
                        help="print the snapshot summary again every S seconds")


def summary(view: ClusterView) -> dict[str, Any]:
    """A compact JSON-able summary of a ClusterView."""
    return {
        "kind": "snapshot",
        "seq": view.seq,
        "ts": round(view.refreshed_at, 3),
        "refresh_ms": round(view.duration * 1000, 1),
        "cluster_id": view.cluster_id,
        "controller": view.controller,
        "sections": {s.name: s.state if not s.message else f"{s.state}: {s.message}"
                     for s in view.sections},
        "brokers": [{"id": b.node_id, "address": b.address or f"?:{b.port}", "state": b.state,
                     "controller": b.is_controller, "leaders": b.leader_count}
                    for b in view.brokers],
        "topics": [{"name": t.name, "partitions": len(t.partitions),
                    "offline": t.offline_count,
                    "under_replicated": t.under_replicated_count,
                    "records": sum(p.records or 0 for p in t.partitions),
                    "produce_rate": round(t.produce_rate or 0.0, 1)}
                   for t in view.topics],
        "groups": [{"id": g.group_id, "type": g.type, "state": g.state, "assignor": g.assignor,
                    "members": len(g.members), "lag": g.total_lag,
                    "consume_rate": None if g.consume_rate is None else round(g.consume_rate, 1),
                    **({"stale": g.error or True} if g.stale else {})}
                   for g in view.groups],
    }


def _say_summary(data: dict[str, Any]) -> None:
    say(f"cluster {data['cluster_id']}  refresh {data['refresh_ms']} ms  controller "
        f"{data['controller'] if data['controller'] is not None else 'unknown'}")
    bad = {k: v for k, v in data["sections"].items() if v != "ok"}
    for name, text in bad.items():
        say(f"  [{name}] {text}")
    for b in data["brokers"]:
        say(f"  broker {b['id']:<3} {b['state']:<18} {b['address']:<22} leads {b['leaders']}"
            f"{'  (controller)' if b['controller'] else ''}")
    for t in data["topics"]:
        extra = []
        if t["offline"]:
            extra.append(f"{t['offline']} offline")
        if t["under_replicated"]:
            extra.append(f"{t['under_replicated']} under-replicated")
        say(f"  topic  {t['name']:<30} {t['partitions']:>4} partitions {t['records']:>10} records "
            f"{t['produce_rate']:>8}/s {', '.join(extra)}")
    for g in data["groups"]:
        say(f"  group  {g['id']:<30} {g['type']:<8} {g['state']:<19} {g['assignor'] or '-':<18} "
            f"{g['members']:>3} members  lag {g['lag'] if g['lag'] is not None else '-'}"
            f"{'  (stale)' if 'stale' in g else ''}")


def run(args: argparse.Namespace) -> int:
    from tui.connect import ConnectError, resolve
    from tui.engine import Engine, WatchFilter

    try:
        connection = resolve(args)
    except ConnectError as exc:
        return fail(str(exc))
    if args.lag_threshold < 0:
        return fail("--lag-threshold must be zero or more records.")
    if args.duration is not None and args.duration <= 0:
        return fail("--duration must be a positive number of seconds.")
    try:
        engine = Engine(connection, watch_interval=args.interval,
                        watch_filter=WatchFilter(tuple(args.groups), tuple(args.topics), args.internal),
                        lag_threshold=args.lag_threshold)
    except ValueError as exc:
        return fail(str(exc))
    sub = engine.subscribe(maxlen=50_000)
    engine.start()
    try:
        return _loop(args, engine, sub, connection.label or connection.bootstrap)
    except KeyboardInterrupt:
        return 0
    finally:
        engine.close(5.0)
        sub.close()


def _first_view(engine: Engine) -> ClusterView | None:
    deadline = time.monotonic() + FIRST_VIEW_TIMEOUT
    while time.monotonic() < deadline:
        view = engine.snapshot().cluster
        if view is not None and view.section("topics").state == "ok":
            return view
        if engine.watch_failure is not None:
            return None
        time.sleep(0.05)
    return None


def _loop(args: argparse.Namespace, engine: Engine, sub: Subscription, label: str) -> int:
    started = time.monotonic()
    view = _first_view(engine)
    if view is None:
        reason = engine.watch_failure
        if reason is None:
            last = engine.snapshot().cluster
            reason = last.section("topics").message if last is not None else "no answer"
        return fail(f"Cannot watch {label}: {reason}.")
    _print_summary(view, args.json)
    next_summary = time.monotonic() + args.summary_every if args.summary_every else None
    end = started + args.duration if args.duration is not None else None
    while True:
        now = time.monotonic()
        if end is not None and now >= end:
            break
        wait = 0.5 if end is None else max(0.0, min(0.5, end - now))
        for event in sub.wait(wait):
            if args.json:
                emit_json(event.to_json())
            else:
                stamp = time.strftime("%H:%M:%S", time.localtime(event.ts))
                say(f"{stamp} {event.severity:<7} {event.kind:<28} {event.text}")
        if next_summary is not None and time.monotonic() >= next_summary:
            next_summary = time.monotonic() + float(args.summary_every)
            current = engine.snapshot().cluster
            if current is not None:
                _print_summary(current, args.json)
    return 0


def _print_summary(view: ClusterView, as_json: bool) -> None:
    data = summary(view)
    if as_json:
        emit_json(data)
    else:
        _say_summary(data)
