"""Turning command-line connection options into an engine :class:`Connection`.

Precedence: ``-b`` (plus ``-X``) > ``--profile`` (from ``--config`` or the user config dir) > the
local lab cluster in ``--state-dir`` (default: the user state dir).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from tui.errors import UserError
from tui.kafka.connection import Connection


class ConnectError(UserError):
    """A connection option is wrong; the message is one sentence for the user."""


def add_connection_arguments(parser: argparse.ArgumentParser, *, after_command: bool = False) -> None:
    """-b / -X / --profile / --config. ``after_command``: the copy a subcommand accepts, whose
    SUPPRESS defaults keep values typed before the subcommand when these are absent."""
    absent: Any = argparse.SUPPRESS if after_command else None
    group = parser.add_argument_group("connection")
    group.add_argument("-b", "--bootstrap", metavar="HOST:PORT", default=absent,
                       help="bootstrap servers of any cluster (default: the local lab)")
    group.add_argument("-X", dest="properties", metavar="KEY=VALUE", action="append",
                       default=argparse.SUPPRESS if after_command else [],
                       help="any librdkafka property (repeatable); keep secrets in a profile file")
    group.add_argument("--profile", metavar="NAME", default=absent, help="a named connection profile")
    group.add_argument("--config", metavar="FILE", type=Path, default=absent,
                       help="profiles file (default: the user config dir's profiles.yaml)")


def add_state_dir_argument(parser: argparse.ArgumentParser) -> None:
    """``--state-dir`` wherever it is typed; SUPPRESS keeps an earlier value when absent."""
    parser.add_argument("--state-dir", type=Path, metavar="DIR", default=argparse.SUPPRESS,
                        help="lab cluster state directory (default: $KX_STATE_DIR/lab or the user "
                             "state dir)")


def parse_properties(items: list[str]) -> dict[str, str]:
    props: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ConnectError(f"-X expects KEY=VALUE, got {item!r}.")
        props[key.strip()] = value
    return props


def _check_properties(props: dict[str, str]) -> None:
    """librdkafka judges -X names and values before anything connects: a typo is its own sentence,
    not a "cannot reach the cluster" from the first client that fails to build."""
    if not props:
        return
    from tui.kafka.properties import PropertyError, validate_properties
    from tui.redact import is_sensitive_key

    try:
        validate_properties(props, lambda key: f"-X {key}" if key else "-X",
                            [v for k, v in props.items() if is_sensitive_key(k)])
    except PropertyError as exc:
        raise ConnectError(exc.sentence) from None


def resolve(args: argparse.Namespace) -> Connection:
    """The connection the options ask for; raises :class:`ConnectError` when they make no sense."""
    props = parse_properties(getattr(args, "properties", []) or [])
    from tui import redact

    # -X values may hold secrets: every output path scrubs registered secret values
    redact.register_config_secrets(props)
    _check_properties(props)
    if getattr(args, "bootstrap", None):
        return Connection(bootstrap=args.bootstrap, properties=props, label=args.bootstrap)
    if getattr(args, "profile", None):
        from tui import config

        try:
            profile = config.load_profile(args.profile, getattr(args, "config", None))
        except config.ConfigError as exc:
            raise ConnectError(str(exc)) from exc
        merged = {**profile.properties, **props}
        redact.register_config_secrets(merged)
        return Connection(bootstrap=profile.bootstrap, properties=merged,
                          label=f"profile {profile.name}", lab_dir=profile.lab_dir)
    return lab_connection(getattr(args, "state_dir", None), props)


def lab_connection(state_dir: Path | None, props: dict[str, str] | None = None) -> Connection:
    """A connection to a running lab cluster; raises ConnectError when none runs there."""
    from tui.lab import LabCluster, LabError
    from tui.lab.session import connection_to

    cluster = LabCluster(state_dir)
    try:
        spec = cluster.spec
    except LabError as exc:
        raise ConnectError("No cluster given (-b or --profile) and no lab cluster exists; start "
                           "one with `kafka-explorer lab up`.") from exc
    if not any(cluster.node_state(n) == "running" for n in spec.node_ids()):
        raise ConnectError("No cluster given (-b or --profile) and the lab cluster is not running; "
                           "start it with `kafka-explorer lab up`.")
    return connection_to(cluster, props)
