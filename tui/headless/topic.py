"""``kafka-explorer topic describe|alter|delete``: a topic's non-default configs, changing the few
that matter for the experiments, deleting it.

``topic describe T`` lists every config that is not at its default, with where its value comes from
(``--all`` lists the defaults too). ``topic alter T --set k=v ...`` changes retention.ms,
min.insync.replicas, unclean.leader.election.enable or max.message.bytes, checked first. ``topic
delete T --yes`` deletes it; Kafka's internal topics are never deleted or altered. Exit 0 done, 1
refused (by us or the cluster) or missing ``--yes``, 2 bad options.
"""

from __future__ import annotations

import argparse

from tui.headless.browse import bad_options
from tui.headless.group import call_admin, subcommand
from tui.headless.output import emit_json, fail, say
from tui.safe_text import safe_text

UNLIMITED_RF = 1_000_000
"""Replication factor used to check only the syntax of a change before asking the cluster."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from tui.engine import ALTERABLE

    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    describe = subcommand(sub, "describe", "every non-default config of a topic, with its source")
    describe.add_argument("topic", metavar="TOPIC")
    describe.add_argument("--all", action="store_true", help="list configs at their default too")
    describe.add_argument("--json", action="store_true", help="one JSON object")
    alter = subcommand(sub, "alter", "set " + ", ".join(ALTERABLE))
    alter.add_argument("topic", metavar="TOPIC")
    alter.add_argument("--set", dest="changes", action="append", required=True, metavar="NAME=VALUE",
                       help="a config to set (repeatable): " + "; ".join(
                           f"{k}: {v}" for k, v in ALTERABLE.items()))
    alter.add_argument("--json", action="store_true", help="one JSON object")
    delete = subcommand(sub, "delete", "delete a topic and every record in it (never an internal topic)")
    delete.add_argument("topic", metavar="TOPIC")
    delete.add_argument("--yes", action="store_true", help="really delete it")


def run(args: argparse.Namespace) -> int:
    from tui.engine import AlterTopicConfig, DeleteTopic, DescribeTopicConfig, validate_change

    if not args.topic.strip():
        return bad_options("Name the topic.")
    if args.action == "describe":
        view = call_admin(args, DescribeTopicConfig(args.topic, include_defaults=args.all))
        if view is None:
            return 1
        if args.json:
            emit_json(view.to_json())
            return 0
        say(f"topic {safe_text(view.topic)}: {view.partitions} partition(s), replication factor "
            f"{view.replication_factor}")
        if not view.entries:
            say("  every config has its default value")
        width = max((len(e.name) for e in view.entries), default=0)
        for e in view.entries:
            value = "(sensitive)" if e.sensitive else safe_text(e.value or "")
            say(f"  {safe_text(e.name).ljust(width)}  {value}  ({e.source}"
                f"{', read-only' if e.read_only else ''})")
        return 0
    if args.action == "delete":
        if not args.yes:
            return fail(f"Deleting topic {args.topic} removes every record in it for good; add --yes to "
                        "delete it.")
        text = call_admin(args, DeleteTopic(args.topic))
        if text is None:
            return 1
        say(text)
        return 0
    changes: list[tuple[str, str]] = []
    for item in args.changes:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            return bad_options(f"--set expects NAME=VALUE, not {item!r}.")
        changes.append((name.strip(), value))
    try:
        for name, value in changes:  # the syntax here; the replication factor is the cluster's to check
            validate_change(name, value, UNLIMITED_RF)
    except ValueError as exc:
        return bad_options(str(exc))
    result = call_admin(args, AlterTopicConfig(args.topic, tuple(changes)))
    if result is None:
        return 1
    if args.json:
        emit_json(result.to_json())
        return 0
    for c in result.changes:
        say(f"{args.topic}: {c.name} {safe_text(c.before or 'default')} → {c.after}")
    return 0
