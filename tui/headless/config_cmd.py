"""``kafka-explorer config check [FILE]``: validate a profiles file, print it with secrets redacted.

Exit 0 when every profile loads and librdkafka accepts its properties (warnings go to stderr),
1 with one sentence otherwise. ``--connect`` also asks each cluster for metadata and reports, per
profile, ``ok`` or why the connection failed (bad password, untrusted certificate, ...).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tui.headless.output import emit_json, fail, say

if TYPE_CHECKING:
    from tui.config import Profile


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="config_action", metavar="ACTION", required=True)
    check = sub.add_parser("check", help="validate a profiles file and print it with secrets redacted")
    check.add_argument("file", nargs="?", type=Path, metavar="FILE",
                       help="profiles file (default: the user config dir's profiles.yaml)")
    check.add_argument("--json", action="store_true", help="print one JSON object per profile")
    check.add_argument("--connect", action="store_true",
                       help="also try to connect with every profile (metadata request)")
    check.add_argument("--timeout", type=float, default=10.0,
                       help="seconds to wait for each cluster with --connect (default 10)")
    check.add_argument("--profile", dest="only", metavar="NAME", action="append", default=[],
                       help="check only this profile (repeatable)")


def run(args: argparse.Namespace) -> int:
    from tui import config
    from tui.redact import redact_text

    path: Path = args.file or config.default_path()
    try:
        profiles, warnings = config.inspect_file(path)
    except config.ConfigError as exc:
        return fail(redact_text(str(exc)))
    if args.only:
        missing = [name for name in args.only if name not in profiles]
        if missing:
            return fail(f"{path} has no profile {missing[0]!r}; it has: {', '.join(sorted(profiles))}.")
        profiles = {name: profiles[name] for name in args.only}
    for warning in warnings:
        sys.stderr.write(f"kafka-explorer: warning: {redact_text(warning)}\n")
    failures = 0
    for profile in profiles.values():
        problem: str | None = None
        if args.connect:
            problem = _connect(profile, args.timeout)
            failures += problem is not None
        _show(profile, args.json, args.connect, problem)
    if not args.json:
        say(f"{path}: {len(profiles)} profile(s) valid" + (f", {failures} could not connect" if failures
                                                          else ""))
    return 1 if failures else 0


def _connect(profile: Profile, timeout: float) -> str | None:
    from tui.kafka.probe import probe_connection

    if not profile.bootstrap:
        return "no lab cluster exists yet; start it with `kafka-explorer lab up`."
    return probe_connection(profile.bootstrap, profile.properties, timeout=timeout,
                                   secrets=profile.secret_values())


def _show(profile: Profile, as_json: bool, connected: bool, problem: str | None) -> None:
    from tui.redact import redact_text

    props = profile.redacted_properties()
    if as_json:
        obj: dict[str, Any] = {
            "profile": profile.name, "source": str(profile.source), "bootstrap": redact_text(profile.bootstrap),
            "lab_dir": str(profile.lab_dir) if profile.lab_dir else None, "properties": props,
        }
        if profile.description:
            obj["description"] = redact_text(profile.description)
        if connected:
            obj["connect"] = "ok" if problem is None else problem
        emit_json(obj)
        return
    head = f"profile {profile.name}"
    if profile.description:
        head += f"  ({redact_text(profile.description)})"
    say(head)
    if profile.lab_dir is not None:
        say(f"  lab           {profile.lab_dir}" + ("  (secure listener)" if profile.secure else ""))
    say(f"  bootstrap     {redact_text(profile.bootstrap) or '(lab not created yet)'}")
    for key in sorted(props):
        say(f"  {key} = {props[key]}")
    if connected:
        say(f"  connect       {'ok' if problem is None else problem}")
