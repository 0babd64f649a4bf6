"""``kafka-explorer consume TOPIC --group G ...``: run group members with a commit strategy, print
their events as JSON lines (or short lines), then a final verdict.

The run ends when ``--count`` records were processed, or when the group has settled for
``--idle-timeout`` seconds (every partition owned by a live member that has read it to the high
watermark, with no delivery and no assignment change meanwhile), or at ``--timeout`` -- which, with
records left unread, is said in one sentence and exits 1 (``--allow-unconsumed`` exits 0). Then
every member leaves cleanly, the topics are re-read by a fresh client (the final drain) and the
checker judges what happened. Records carrying kafka-explorer's msg_id format count as produced
(found in the log, so never 'lost'); see ``tui.engine.evidence.ledger_from_audit_log``.
"""

from __future__ import annotations

import argparse
import time
from typing import TYPE_CHECKING

from tui.headless.output import emit_json, fail, say, usage
from tui.vocab import (
    Assignor,
    ErrorPolicy,
    GroupProtocol,
    Isolation,
    MemberState,
    MemberValueFormat,
    PolicyAction,
    RemoteAssignor,
    Strategy,
    names,
)

if TYPE_CHECKING:
    from tui.engine import ConsumersView, Engine, Event, MemberSpec, Subscription


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
    errors = parser.add_argument_group("error handling (a record the processing step fails on)")
    errors.add_argument("--on-error", choices=names(ErrorPolicy), default=ErrorPolicy.FAIL.value,
                        help="error policy (default fail: crash; the member restarts and meets the "
                             "record again, a crash loop)")
    errors.add_argument("--retries", type=int, default=3, metavar="K",
                        help="with --on-error retry: retries before --retry-then (default 3)")
    errors.add_argument("--retry-backoff-ms", type=int, default=200, metavar="MS",
                        help="with --on-error retry: wait before each retry (default 200)")
    errors.add_argument("--retry-then", choices=(PolicyAction.SKIP.value, PolicyAction.DEAD_LETTER.value),
                        default=PolicyAction.SKIP.value, help="after the retries (default skip)")
    errors.add_argument("--dlt", metavar="TOPIC", help="dead-letter topic (default <topic>.DLT)")
    errors.add_argument("--max-restarts", type=int, metavar="N",
                        help="a member the fail policy crashed restarts at most N times in a row "
                             "(default: without limit)")
    errors.add_argument("--commit-on-revoke", action="store_true",
                        help="the rebalance listener commits processed offsets before partitions are "
                             "revoked (or lost)")
    errors.add_argument("--value-format", choices=names(MemberValueFormat),
                        default=MemberValueFormat.KX.value,
                        help="what values must be: kx (not null, the default), json (an object with "
                             "msg_id, seq, payload) or any")
    errors.add_argument("--fail-ids", metavar="ID,...",
                        help="injected failures: these msg_ids (run/producer/incarnation/seq, or "
                             "producer/incarnation/seq) fail")
    errors.add_argument("--fail-rate", type=float, default=0.0, metavar="P",
                        help="injected failures: this share of records fails (0..1, the same records "
                             "every time)")
    errors.add_argument("--fail-transient", type=int, default=0, metavar="K",
                        help="injected failures are transient: each fails K attempts, then succeeds "
                             "(alone: every record)")
    parser.add_argument("--count", type=int, metavar="N", help="stop after N records were processed")
    parser.add_argument("--idle-timeout", type=float, default=5.0, metavar="S",
                        help="stop after S seconds without a new record (default 5)")
    parser.add_argument("--timeout", type=float, default=300.0, metavar="S",
                        help="stop after S seconds in any case (default 300)")
    parser.add_argument("--no-verdict", action="store_true", help="skip the final drain and verdict")
    parser.add_argument("--allow-unconsumed", action="store_true",
                        help="exit 0 even when records were left unconsumed (timeout, stuck member)")
    parser.add_argument("--json", action="store_true", help="JSON lines (events, then the verdict)")
    from tui.headless import share

    share.add_arguments(parser)  # --share: share-group members instead (tui.headless.share)


def _specs(args: argparse.Namespace) -> list[MemberSpec]:
    from tui.engine import MemberSpec

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
            session_timeout_ms=None if args.protocol == GroupProtocol.CONSUMER else 6000,
            output_topic=args.output_topic,
            crash_after_records=args.crash_after if i == 1 else None,
            value_format=args.value_format, error_policy=args.on_error, retries=args.retries,
            retry_backoff_ms=args.retry_backoff_ms, retry_then=args.retry_then,
            dead_letter_topic=args.dlt, commit_on_revoke=args.commit_on_revoke,
            fail_ids=tuple(i.strip() for i in (args.fail_ids or "").split(",") if i.strip()),
            fail_rate=args.fail_rate, fail_transient=args.fail_transient,
            max_restarts=args.max_restarts))
    for spec in specs:
        spec.validate()
    if args.remote_assignor and args.protocol != GroupProtocol.CONSUMER:
        raise ValueError("--remote-assignor needs --protocol consumer.")
    return specs


def run(args: argparse.Namespace) -> int:
    from tui.connect import ConnectError, resolve
    from tui.engine import Engine

    if getattr(args, "share", False):
        from tui.headless import share

        return share.run(args)
    try:
        specs = _specs(args)
    except ValueError as exc:  # an option value the members refuse: bad usage, as produce's
        return usage(str(exc))
    try:
        connection = resolve(args)
    except ConnectError as exc:
        return fail(str(exc))
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


class _Progress:
    """When the run is over: the idle timer only runs while the group is settled -- every partition
    owned by a live member that has read it to its high watermark, and no assignment changed -- so a
    rebalance after a crash (which takes a session timeout) never ends the run early."""

    def __init__(self, wanted: set[tuple[str, int]], idle_timeout: float) -> None:
        self.wanted = wanted
        self.idle_timeout = max(idle_timeout, 0.5)
        self.started = self.changed = time.monotonic()
        self._signature: object = None

    def update(self, view: ConsumersView) -> None:
        signature = (sum(m.delivered for m in view.members),
                     tuple(sorted((m.name, m.incarnation, m.state, m.assignment) for m in view.members)))
        if signature != self._signature:
            self._signature, self.changed = signature, time.monotonic()

    def lag(self, view: ConsumersView) -> int | None:
        """Records between each wanted partition's owner position and its high watermark; None while
        a partition has no live owner or its owner has not fetched it yet."""
        owners = {(p.topic, p.partition): p for m in view.members
                  if m.state in (MemberState.RUNNING, MemberState.PAUSED) for p in m.partitions}
        if not self.wanted <= owners.keys():
            return None
        lags = [owners[tp].lag for tp in self.wanted]
        if any(lag is None for lag in lags):
            return None
        return sum(lag for lag in lags if lag is not None)

    def idle(self, view: ConsumersView) -> bool:
        return self.lag(view) == 0 and time.monotonic() - self.changed >= self.idle_timeout


def _run(engine: Engine, sub: Subscription, specs: list[MemberSpec], args: argparse.Namespace) -> int:
    from tui.engine import AddMember, RemoveMember, RestartMember

    wanted = {(t, p) for t, n in engine.partition_counts(args.topics).items() for p in range(n)}
    for spec in specs:
        engine.call(AddMember(spec), timeout=15)
    progress = _Progress(wanted, args.idle_timeout)
    restarted: set[tuple[str, int]] = set()
    timed_out = False
    while True:
        for event in sub.wait(0.25):
            _print_event(event, args.json)
        view = engine.snapshot().consumers
        for member in view.members:
            key = (member.name, member.incarnation)
            if member.crashed_by_policy:
                continue  # the engine restarts it (a crash loop), or it reached --max-restarts
            if member.state == MemberState.CRASHED and not args.no_restart and key not in restarted:
                restarted.add(key)
                engine.call(RestartMember(member.name), timeout=15)
        progress.update(view)
        processed = sum(m.processed for m in view.members)
        if args.count is not None and processed >= args.count:
            break
        if progress.idle(view):
            break
        if time.monotonic() - progress.started >= args.timeout:
            timed_out = True
            break
    lag = progress.lag(engine.snapshot().consumers)
    for stuck in engine.snapshot().consumers.stuck:
        if args.json:
            emit_json({"stuck": stuck.to_json()})
        else:
            say(f"stuck: {stuck.topic}[{stuck.partition}] made no progress for "
                f"{time.time() - stuck.since:.0f} s (committed offset {stuck.offset}, lag {stuck.lag:,})")
    for member in engine.snapshot().consumers.members:
        if member.restarting or member.state not in (MemberState.CRASHED, MemberState.STOPPED):
            try:
                engine.call(RemoveMember(member.name), timeout=15)
            except ValueError:
                pass
    engine.wait_members_gone(20.0)
    for event in sub.drain():
        _print_event(event, args.json)
    if timed_out:
        left = "an unknown number of" if lag is None else f"{lag:,}"
        fail(f"the run reached --timeout {args.timeout:g} s with {left} records not yet consumed "
             f"by {args.group}" + (" (the verdict counts them)" if not args.no_verdict else ""))
    if args.no_verdict:
        return 1 if timed_out and not args.allow_unconsumed else 0
    code = _verdict(engine, args)
    return 1 if timed_out and not args.allow_unconsumed else code


def _verdict(engine: Engine, args: argparse.Namespace) -> int:
    if not args.json:
        say("re-reading the topics and judging...")
    verdict = engine.judge(args.topics, timeout=60.0, ledger_from_audit=True)
    unconsumed = verdict.counts.get("unconsumed", 0)
    if args.json:
        emit_json({"verdict": verdict.to_json(max_items=50)})
    else:
        counts = {k: v for k, v in verdict.counts.items() if v}
        say("verdict: " + (", ".join(f"{k} {v}" for k, v in counts.items()) or "no anomalies"))
        for anomaly in verdict.anomalies[:30]:
            say(f"  [{anomaly.kind}/{anomaly.judgement}] {anomaly.explanation}")
    if unconsumed and not args.allow_unconsumed:
        fail(f"{unconsumed:,} records in the log were never consumed by {args.group} "
             "(use --allow-unconsumed to exit 0 anyway)")
        return 1
    return 0


def _print_event(event: Event, as_json: bool) -> None:
    if as_json:
        emit_json(event.to_json())
    elif event.severity != "debug":
        say(f"{time.strftime('%H:%M:%S', time.localtime(event.ts))} {event.text}")
