"""``kafka-explorer group reset|delete``: move a consumer group's committed offsets, or delete it.

``group reset G --topic T[:P] --to earliest|latest|OFFSET|@TIMESTAMP|shift:±N`` prints the current and
the new offset of every partition like ``kafka-consumer-groups --reset-offsets``; it is a dry run
unless ``--execute`` is given, and an execute is refused while the group has active members.
``group delete G --yes`` deletes a group without active members. Exit 0 done (or planned), 1 refused
by the cluster or missing ``--yes``, 2 bad options.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from tui.connect import add_connection_arguments, add_state_dir_argument
from tui.headless.browse import bad_options
from tui.headless.output import emit_json, fail, say
from tui.safe_text import safe_text

if TYPE_CHECKING:
    from tui.engine import Command, ResetPlan


def subcommand(sub: Any, name: str, help_text: str) -> argparse.ArgumentParser:
    """An action under group/topic that also takes -b/-X/--profile after its name."""
    parser: argparse.ArgumentParser = sub.add_parser(name, help=help_text, description=help_text)
    add_connection_arguments(parser, after_command=True)
    add_state_dir_argument(parser)
    return parser


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    reset = subcommand(sub, "reset", "plan (and with --execute, set) a group's committed offsets")
    reset.add_argument("group", metavar="GROUP")
    which = reset.add_mutually_exclusive_group(required=True)
    which.add_argument("--topic", "-t", dest="topics", action="append", default=[], metavar="T[:P]",
                       help="topic to reset, or T:P / T:0,2 for some partitions (repeatable)")
    which.add_argument("--all-topics", action="store_true",
                       help="every topic the group has committed offsets for")
    reset.add_argument("--to", required=True, metavar="WHERE",
                       help="earliest, latest, OFFSET, @TIMESTAMP (ms or ISO time) or shift:-N / shift:+N")
    reset.add_argument("--execute", action="store_true",
                       help="set the new offsets (default: a dry run that changes nothing)")
    reset.add_argument("--json", action="store_true", help="JSON lines: one per partition, then a summary")
    delete = subcommand(sub, "delete", "delete a consumer group that has no active member")
    delete.add_argument("group", metavar="GROUP")
    delete.add_argument("--yes", action="store_true", help="really delete it (its offsets are gone)")


def run(args: argparse.Namespace) -> int:
    from tui.engine import DeleteGroup, ResetOffsets, ResetTarget, parse_topic_targets

    if not args.group.strip():
        return bad_options("Name the group.")
    if args.action == "delete":
        if not args.yes:
            return fail(f"Deleting group {args.group} removes its committed offsets for good; add --yes "
                        "to delete it.")
        text = call_admin(args, DeleteGroup(args.group))
        if text is None:
            return 1
        say(text)
        return 0
    try:
        ResetTarget.parse(args.to)
        parse_topic_targets(args.topics)
    except ValueError as exc:
        return bad_options(str(exc))
    plan: ResetPlan | None = call_admin(args, ResetOffsets(args.group, tuple(args.topics), args.to,
                                                      execute=args.execute, all_topics=args.all_topics))
    if plan is None:
        return 1
    _print_plan(plan, args.json)
    return 0


def call_admin(args: argparse.Namespace, cmd: Command) -> Any:
    """The command's result, or None after printing the cluster's refusal."""
    from tui.connect import resolve
    from tui.engine import Engine

    with Engine(resolve(args), watch=False) as engine:
        try:
            return engine.call(cmd, timeout=float(getattr(cmd, "timeout", 15.0)) + 10.0)
        except (ValueError, TimeoutError) as exc:
            fail(str(exc) or "The cluster did not answer in time.")
            return None


def _print_plan(plan: ResetPlan, as_json: bool) -> None:
    if as_json:
        for r in plan.rows:
            emit_json({"kind": "partition", "group": plan.group, **r.to_json()})
        emit_json({"kind": "reset", "group": plan.group, "to": plan.to, "state": plan.state,
                   "members": plan.members, "executed": plan.executed, "changes": plan.changes})
        return
    notes = any(r.note for r in plan.rows)
    rows = [("GROUP", "TOPIC", "PARTITION", "CURRENT-OFFSET", "NEW-OFFSET", *(("NOTE",) if notes else ()))]
    rows += [(plan.group, r.topic, str(r.partition), "-" if r.current is None else str(r.current),
              str(r.new), *((r.note,) if notes else ())) for r in plan.rows]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        say(safe_text("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip(), 1000))
    if plan.executed:
        say(f"offsets of group {plan.group} set: {plan.changes} of {len(plan.rows)} partition(s) moved.")
        return
    say(f"dry run: nothing changed (group {plan.group} is {plan.state}); add --execute to set these "
        "offsets.")
    if plan.members:
        say(f"note: the group has {plan.members} active member(s), so --execute would be refused until "
            "they stop.")
