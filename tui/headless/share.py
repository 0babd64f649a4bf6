"""``kafka-explorer consume TOPIC --group G --share ...``: share-group members (KIP-932) instead of a
consumer group: each member acquires records under a lock and acknowledges each one (implicitly, or
explicitly: accept, release a transient failure, reject a poison record); then a final verdict.

The run ends when ``--count`` records were processed, or when the group has been quiet for
``--idle-timeout`` seconds with nothing in flight -- and, after a crash, not before the crashed
member's records could have come back (the lock duration plus the lab's 10 s share session) -- or at
``--timeout``. Share groups need Kafka 4.2 or newer: an older lab is refused in one sentence.
"""

from __future__ import annotations

import argparse
import time
from typing import TYPE_CHECKING

from tui.headless.output import emit_json, fail, say, usage
from tui.vocab import AckMode, MemberState, names

if TYPE_CHECKING:
    from tui.engine import Engine, Event, ShareConfigView, ShareMemberSpec, ShareMembersView, Subscription

SESSION_S = 11.0
"""A crashed member holding records is expired after the share session (10 s on the lab)."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``--share`` options of ``consume`` (its --members, --processing-ms, --crash-after, --reset,
    --count, --idle-timeout, --timeout, --json and --no-verdict apply too)."""
    share = parser.add_argument_group("share groups (KIP-932, Kafka 4.2+)")
    share.add_argument("--share", action="store_true",
                       help="run share-group members: records acquired and acknowledged one by one")
    share.add_argument("--ack", choices=names(AckMode), default=AckMode.EXPLICIT.value,
                       help="share.acknowledgement.mode (default explicit: accept, release or reject each)")
    for flag, kwargs in (
            ("--fail-ids", {"metavar": "ID,...", "help": "msg ids (run/producer/incarnation/seq, or a tail: "
                            "producer/incarnation/seq) the members fail on: rejected, or released with "
                            "--fail-transient"}),
            ("--fail-transient", {"type": int, "default": 0, "metavar": "K",
                                  "help": "failures are transient: released on deliveries 1..K, then "
                                          "accepted (default 0: poison records, rejected)"})):
        try:
            share.add_argument(flag, **kwargs)  # type: ignore[arg-type]
        except argparse.ArgumentError:
            pass  # consume's error-handling options have the same names and meaning
    share.add_argument("--lock-ms", type=int, metavar="MS",
                       help="the group's share.record.lock.duration.ms")
    share.add_argument("--delivery-limit", type=int, metavar="N",
                       help="the group's share.delivery.count.limit")


def _specs(args: argparse.Namespace) -> list[ShareMemberSpec]:
    from tui.engine import ShareMemberSpec

    if args.members < 1:
        raise ValueError("--members must be at least 1.")
    fail_ids = tuple(i.strip() for i in str(getattr(args, "fail_ids", None) or "").split(",") if i.strip())
    transient = int(getattr(args, "fail_transient", 0) or 0)
    specs = [ShareMemberSpec(group=args.group, topics=tuple(args.topics), name=f"s{i}",
                             ack_mode=args.ack, processing_ms=args.processing_ms, fail_ids=fail_ids,
                             fail_transient=transient,
                             crash_after_records=args.crash_after if i == 1 else None)
             for i in range(1, args.members + 1)]
    for spec in specs:
        spec.validate()
    if (fail_ids or transient) and args.ack == AckMode.IMPLICIT:
        raise ValueError("Injected failures need --ack explicit: in implicit mode every record is accepted "
                         "at the next poll, failed or not.")
    return specs


def run(args: argparse.Namespace) -> int:
    from tui.connect import ConnectError, resolve
    from tui.engine import Engine

    try:
        specs = _specs(args)
    except ValueError as exc:  # an option value the members refuse: bad usage, as produce's
        return usage(str(exc))
    try:
        connection = resolve(args)
    except ConnectError as exc:
        return fail(str(exc))
    engine = Engine(connection, watch=False)
    sub = engine.subscribe(kinds=("share.", "command."))
    try:
        engine.start()
        return _run(engine, sub, specs, args)
    except KeyboardInterrupt:
        return fail("interrupted")
    except ValueError as exc:
        return fail(str(exc))
    finally:
        engine.close(15.0)


class _Quiet:
    """The run is over when nothing moved for the idle timeout, nothing is in flight, and every record
    a crashed member held had time to come back."""

    def __init__(self, idle_timeout: float, lock_s: float) -> None:
        self.idle_timeout = max(idle_timeout, 0.5)
        self.hold_s = lock_s + SESSION_S
        self.started = self.changed = time.monotonic()
        self.crashed_at = 0.0
        self._signature: object = None

    def update(self, view: ShareMembersView) -> None:
        signature = tuple((m.name, m.incarnation, m.state, m.acquired, m.accepted + m.released + m.rejected)
                          for m in view.members)
        if signature != self._signature:
            self._signature, self.changed = signature, time.monotonic()

    def done(self, view: ShareMembersView) -> bool:
        now = time.monotonic()
        back = not self.crashed_at or self.changed > self.crashed_at or now - self.crashed_at >= self.hold_s
        return view.in_flight == 0 and now - self.changed >= self.idle_timeout and back


def _configure(engine: Engine, args: argparse.Namespace) -> ShareConfigView:
    from tui.engine import SetShareGroupConfig

    view: ShareConfigView = engine.call(SetShareGroupConfig(
        args.group, auto_offset_reset=args.reset, lock_duration_ms=args.lock_ms,
        delivery_count_limit=args.delivery_limit), timeout=20)
    return view


def _run(engine: Engine, sub: Subscription, specs: list[ShareMemberSpec], args: argparse.Namespace) -> int:
    from tui.engine import AddShareMember, RemoveShareMember, RestartShareMember

    engine.partition_counts(args.topics)  # one sentence for a missing topic
    config = _configure(engine, args)
    _show_config(config, args.json)
    for spec in specs:
        engine.call(AddShareMember(spec), timeout=15)
    quiet = _Quiet(args.idle_timeout, (config.lock_duration_ms or 30_000) / 1000.0)
    restarted: set[tuple[str, int]] = set()
    timed_out = False
    while True:
        for event in sub.wait(0.25):
            _print_event(event, args.json)
        view = engine.snapshot().shares
        for member in view.members:
            key = (member.name, member.incarnation)
            if member.state == MemberState.CRASHED and key not in restarted:
                restarted.add(key)
                quiet.crashed_at = time.monotonic()
                if not args.no_restart:
                    engine.call(RestartShareMember(member.name), timeout=15)
        quiet.update(view)
        if args.count is not None and sum(m.processed for m in view.members) >= args.count:
            break
        if quiet.done(view):
            break
        if time.monotonic() - quiet.started >= args.timeout:
            timed_out = True
            break
    for member in engine.snapshot().shares.members:
        if member.state not in (MemberState.CRASHED, MemberState.STOPPED):
            try:
                engine.call(RemoveShareMember(member.name), timeout=15)
            except ValueError:
                pass
    engine.wait_members_gone(20.0)
    for event in sub.drain():
        _print_event(event, args.json)
    _summary(engine.snapshot().shares, args.json)
    if args.crash_after is not None and not restarted:
        # only s1 crashes: when the others took the records first, say so rather than let a clean
        # verdict read as "the crash lost nothing"
        s1 = next((m for m in engine.snapshot().shares.members if m.name == specs[0].name), None)
        got = s1.acquired if s1 is not None else 0
        note = (f"no member crashed: s1 acquired {got} record(s), fewer than --crash-after "
                f"{args.crash_after} (the topic held no more for it, or the other members fetched them first)")
        if args.json:
            emit_json({"note": note})
        else:
            say(f"note: {note}")
    if timed_out:
        fail(f"the run reached --timeout {args.timeout:g} s with share group {args.group} still busy")
    if args.no_verdict:
        return 1 if timed_out and not args.allow_unconsumed else 0
    code = _verdict(engine, args)
    return 1 if timed_out and not args.allow_unconsumed else code


def _show_config(config: ShareConfigView, as_json: bool) -> None:
    """JSON mode: the settings read back as one object (the share.config event says them in words)."""
    if as_json:
        emit_json({"share_config": config.to_json()})


def _summary(view: ShareMembersView, as_json: bool) -> None:
    if as_json:
        emit_json({"shares": view.to_json()})
        return
    for m in view.members:
        counts = ", ".join(f"{c}×{n}" for c, n in m.delivery_counts) or "-"
        say(f"{m.name}: {m.state}, acquired {m.acquired} (delivery counts {counts}), processed {m.processed}, "
            f"accepted {m.accepted}, released {m.released}, rejected {m.rejected}")
    for note in view.notes:
        say(f"note: {note}")


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
        for remark in verdict.summary.remarks:
            say(f"  {remark}")
    if unconsumed and not args.allow_unconsumed:
        fail(f"{unconsumed:,} records in the log were never acquired by share group {args.group} "
             "(use --allow-unconsumed to exit 0 anyway)")
        return 1
    return 0


def _print_event(event: Event, as_json: bool) -> None:
    if as_json:
        emit_json(event.to_json())
    elif event.severity != "debug":
        say(f"{time.strftime('%H:%M:%S', time.localtime(event.ts))} {event.text}")
