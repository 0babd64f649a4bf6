"""``kafka-explorer consume TOPIC --group G ...``: run group members with a commit strategy, print
their events as JSON lines (or short lines), then a final verdict.

The run ends when ``--count`` records were processed, or no record arrived for ``--idle-timeout``
seconds, or after ``--timeout``. Then every member leaves cleanly, the topics are re-read by a fresh
client (the final drain) and the checker judges what happened. Records carrying kafka-explorer's
msg_id format count as produced (found in the log, so never 'lost'); see
``tui.engine.verdict_run.ledger_from_audit_log``.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from tui.headless.output import emit_json, fail, say
from tui.vocab import Assignor, GroupProtocol, Isolation, RemoteAssignor, Strategy, names


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("topics", nargs="+", metavar="TOPIC", help="topic(s) to subscribe to")
    parser.add_argument("--group", "-g", required=True, help="consumer group id")
    parser.add_argument("--strategy", choices=names(Strategy), default=Strategy.SYNC_PER_BATCH.value,
                        help="commit strategy of every member (default sync-per-batch)")
    parser.add_argument("--members", type=int, default=1, metavar="N", help="group members (default 1)")
    how = parser.add_mutually_exclusive_group()
    how.add_argument("--assignor", choices=names(Assignor),
                     default=Assignor.RANGE.value, help="classic-protocol assignor (default range)")
    how.add_argument("--protocol", choices=names(GroupProtocol), default=GroupProtocol.CLASSIC.value,
                     help="'consumer' = KIP-848 (broker-side assignment)")
    parser.add_argument("--remote-assignor", choices=names(RemoteAssignor),
                        help="with --protocol consumer: group.remote.assignor")
    parser.add_argument("--static", action="store_true",
                        help="static membership (group.instance.id = <group>-<member>)")
    parser.add_argument("--crash-after", type=int, metavar="K",
                        help="member m1 crashes (no commit, no leave) right after processing K records")
    parser.add_argument("--no-restart", action="store_true",
                        help="leave a crashed member down (default: restart it at once)")
    parser.add_argument("--processing-ms", type=int, default=0, metavar="MS",
                        help="processing time per record")
    parser.add_argument("--batch-size", type=int, default=10, metavar="N",
                        help="records per consume() call (default 10)")
    parser.add_argument("--isolation", choices=names(Isolation),
                        default=Isolation.READ_COMMITTED.value, help="isolation.level (default read_committed)")
    parser.add_argument("--reset", choices=("earliest", "latest"), default="earliest",
                        help="auto.offset.reset (default earliest)")
    parser.add_argument("--output-topic", metavar="TOPIC",
                        help="where the transactional strategy copies records")
    parser.add_argument("--count", type=int, metavar="N", help="stop after N records were processed")
    parser.add_argument("--idle-timeout", type=float, default=5.0, metavar="S",
                        help="stop after S seconds without a new record (default 5)")
    parser.add_argument("--timeout", type=float, default=300.0, metavar="S",
                        help="stop after S seconds in any case (default 300)")
    parser.add_argument("--no-verdict", action="store_true", help="skip the final drain and verdict")
    parser.add_argument("--json", action="store_true", help="JSON lines (events, then the verdict)")


def _specs(args: argparse.Namespace) -> list[Any]:
    from tui.engine.consumer.commands import MemberSpec

    if args.members < 1:
        raise ValueError("--members must be at least 1.")
    specs = []
    for i in range(1, args.members + 1):
        name = f"m{i}"
        specs.append(MemberSpec(
            group=args.group, topics=tuple(args.topics), strategy=args.strategy, name=name,
            protocol=args.protocol, assignor=args.assignor, remote_assignor=args.remote_assignor,
            group_instance_id=f"{args.group}-{name}" if args.static else None,
            processing_ms=args.processing_ms, isolation_level=args.isolation,
            auto_offset_reset=args.reset, batch_size=args.batch_size,
            session_timeout_ms=None if args.protocol == "consumer" else 6000,
            output_topic=args.output_topic,
            crash_after_records=args.crash_after if i == 1 else None))
    for spec in specs:
        spec.validate()
    if args.remote_assignor and args.protocol != "consumer":
        raise ValueError("--remote-assignor needs --protocol consumer.")
    return specs


def run(args: argparse.Namespace) -> int:
    from tui.connect import ConnectError, resolve

    try:
        specs = _specs(args)
        connection = resolve(args)
    except (ValueError, ConnectError) as exc:
        return fail(str(exc))
    from tui.engine.engine import Engine

    engine = Engine(connection, watch=False)
    sub = engine.subscribe(kinds=("member.", "command."))
    try:
        engine.start()
        return _run(engine, sub, specs, args)
    except KeyboardInterrupt:
        return fail("interrupted")
    except ValueError as exc:
        return fail(str(exc))
    finally:
        engine.close(15.0)


def _run(engine: Any, sub: Any, specs: list[Any], args: argparse.Namespace) -> int:
    from tui.engine.consumer.commands import AddMember, RemoveMember, RestartMember

    wanted = _partitions(engine, args.topics)
    for spec in specs:
        engine.call(AddMember(spec), timeout=15)
    started = last_progress = time.monotonic()
    last_delivered = 0
    restarted: set[tuple[str, int]] = set()
    while True:
        for event in sub.wait(0.25):
            _print_event(event, args.json)
        view = engine.consumers.view()
        delivered = sum(m.delivered for m in view.members)
        processed = sum(m.processed for m in view.members)
        now = time.monotonic()
        if delivered != last_delivered:
            last_delivered, last_progress = delivered, now
        for member in view.members:
            key = (member.name, member.incarnation)
            if member.state == "crashed" and not args.no_restart and key not in restarted:
                restarted.add(key)
                engine.call(RestartMember(member.name), timeout=15)
                last_progress = now  # the restarted member needs time to rejoin
        if args.count is not None and processed >= args.count:
            break
        owned = {tp for m in view.members if m.state not in ("crashed", "stopped")
                 for tp in m.assignment}
        # idle only counts once the group owns every partition again (after a crash the survivors
        # get the crashed member's partitions only when its session times out)
        if (now - last_progress >= max(args.idle_timeout, 0.5) and delivered > 0
                and wanted <= owned):
            break
        if now - started >= args.timeout or (delivered == 0 and now - started >= max(
                args.idle_timeout * 3, 15.0)):
            break
    for member in engine.consumers.view().members:
        if member.state not in ("crashed", "stopped"):
            try:
                engine.call(RemoveMember(member.name), timeout=15)
            except ValueError:
                pass
    engine.consumers.wait_idle(20.0)
    for event in sub.drain():
        _print_event(event, args.json)
    if args.no_verdict:
        return 0
    return _verdict(engine, args)


def _partitions(engine: Any, topics: list[str]) -> set[tuple[str, int]]:
    """Every partition of the topics; ValueError (one sentence) for a topic that does not exist."""
    from confluent_kafka import KafkaException

    from tui.kafka import clients

    admin = clients.admin(engine.ctx.connection.client_conf())
    try:
        meta = admin.list_topics(timeout=10)
    except KafkaException as exc:
        raise ValueError(f"The cluster did not answer: {exc.args[0].str() if exc.args else exc}.") \
            from None
    out: set[tuple[str, int]] = set()
    for topic in topics:
        info = meta.topics.get(topic)
        if info is None or info.error is not None:
            raise ValueError(f"Topic {topic!r} does not exist.")
        out.update((topic, p) for p in info.partitions)
    return out


def _verdict(engine: Any, args: argparse.Namespace) -> int:
    from tui.engine.verdict_run import compute_verdict

    if not args.json:
        say("re-reading the topics and judging...")
    verdict = compute_verdict(engine.ctx, None, engine.consumers, args.topics, timeout=60.0,
                              ledger_from_audit=True)
    engine.set_verdict(verdict)
    if args.json:
        emit_json({"verdict": verdict.to_json(max_items=50)})
        return 0
    counts = {k: v for k, v in verdict.counts.items() if v}
    say("verdict: " + (", ".join(f"{k} {v}" for k, v in counts.items()) or "no anomalies"))
    for anomaly in verdict.anomalies[:30]:
        say(f"  [{anomaly.kind}/{anomaly.judgement}] {anomaly.explanation}")
    return 0


def _print_event(event: Any, as_json: bool) -> None:
    if as_json:
        emit_json(event.to_json())
    elif event.severity != "debug":
        say(f"{time.strftime('%H:%M:%S', time.localtime(event.ts))} {event.text}")
