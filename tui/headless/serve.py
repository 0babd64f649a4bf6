"""``kafka-explorer serve``: the explorer in a browser, one explorer process per browser connection.

It listens on 127.0.0.1 unless ``--host`` names another address (then it warns), prints a URL with a
random access token once, and refuses every request without it (:mod:`tui.serve.guard`). On the local
lab (no ``-b``/``--profile``) it uses the lab in ``--state-dir``, starting it when none runs and
stopping it at the end when it did; with ``-b``/``--profile`` it serves any cluster, and each browser
then works in a namespace of its own (``--no-namespaces``: everyone shares the cluster's names).
"""

from __future__ import annotations

import argparse
import contextlib
import ipaddress
import os
import secrets
import socket
import sys
from typing import TYPE_CHECKING

from tui.errors import UserError
from tui.headless.output import EXIT_USAGE, say
from tui.vocab import KafkaVersion, OrphanPolicy, names

if TYPE_CHECKING:
    from tui.kafka.connection import Connection

DEFAULT_PORT = 8765
PROBE_TIMEOUT = 15.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, metavar="P",
                        help=f"TCP port to listen on (default {DEFAULT_PORT}; 0: any free port)")
    parser.add_argument("--host", default="127.0.0.1", metavar="ADDRESS",
                        help="address to listen on (default 127.0.0.1: this machine only; any other "
                             "address lets other machines in and prints a warning)")
    parser.add_argument("--public-url", metavar="URL",
                        help="the address browsers open, when it is not http://HOST:PORT (needed "
                             "with --host 0.0.0.0; https://... behind a TLS proxy)")
    parser.add_argument("--namespaces", action=argparse.BooleanOptionalAction, default=None,
                        help="give each browser its own prefix for topics, groups and transactional "
                             "ids (default: on with -b/--profile, off on the lab)")
    parser.add_argument("--max-sessions", type=int, default=40, metavar="N",
                        help="explorer processes at most, one per browser connection (default 40)")
    lab = parser.add_argument_group("the local lab (when serve starts one)")
    lab.add_argument("--nodes", type=int, choices=(1, 3), default=argparse.SUPPRESS,
                     help="size of a lab started now (default 3)")
    lab.add_argument("--kafka-version", choices=names(KafkaVersion), default=argparse.SUPPRESS,
                     help="Apache Kafka version of a lab started now")
    lab.add_argument("--keep-lab", action="store_true", default=argparse.SUPPRESS,
                     help="leave a lab cluster serve started running when it stops")
    lab.add_argument("--orphaned-lab", choices=names(OrphanPolicy), default=argparse.SUPPRESS,
                     help="a lab whose owner died: stop it, adopt it, or refuse (default)")


def run(args: argparse.Namespace) -> int:
    from tui.serve.child import explorer_launch
    from tui.serve.namespace import NamespaceCounter
    from tui.serve.server import ExplorerServer

    if args.max_sessions < 1:
        raise UserError(f"--max-sessions must be at least 1, got {args.max_sessions}.", EXIT_USAGE)
    with listen(args.host, args.port) as sock, contextlib.ExitStack() as stack:
        bound, port = sock.getsockname()[:2]
        public_url = public_url_for(args.host, bound, port, args.public_url)
        warning = exposure_warning(args.host, bound)
        if warning is not None:
            _warn(warning)
        connection, remote = _connect(args, stack)
        spread = args.namespaces if args.namespaces is not None else remote
        token = secrets.token_urlsafe(24)

        server = ExplorerServer(sock, public_url, token,
                                lambda namespace: explorer_launch(connection, namespace=namespace),
                                namespaces=NamespaceCounter() if spread else None,
                                max_sessions=args.max_sessions, say=say)
        server.run(on_ready=lambda: _announce(connection, public_url, token, spread))
    return 0


def listen(host: str, port: int) -> socket.socket:
    """A socket listening on ``host``:``port``; one sentence when that cannot be."""
    if not 0 <= port <= 65535:
        raise UserError(f"--port must be 0 to 65535, got {port}.", EXIT_USAGE)
    try:
        family, _, _, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM,
                                                      flags=socket.AI_PASSIVE)[0]
        return socket.create_server(address[:2], family=family)
    except socket.gaierror:
        raise UserError(f"Cannot listen on {host!r}: no such address on this machine.") from None
    except OSError as exc:
        reason = os.strerror(exc.errno) if exc.errno else str(exc)
        raise UserError(f"Cannot listen on {host}:{port}: {reason}.") from None


def exposure_warning(host: str, bound: str) -> str | None:
    """What listening beyond this machine means, or None on a loopback address."""
    if ipaddress.ip_address(bound).is_loopback:
        return None
    return (f"warning: serving on {host} ({bound}), which other machines can reach: anyone with the "
            "URL drives an explorer with this connection's rights, and plain HTTP carries the token "
            "and every key unencrypted (prefer 127.0.0.1 with an SSH tunnel, or a TLS proxy and "
            "--public-url https://...).")


def public_url_for(host: str, bound: str, port: int, given: str | None) -> str:
    """The address browsers open: ``given`` (checked), else ``http://HOST:PORT``."""
    from tui.serve.guard import Origin

    if given:
        try:
            return str(Origin.of(given))
        except ValueError as exc:
            raise UserError(f"--public-url: {exc}.", EXIT_USAGE) from None
    if ipaddress.ip_address(bound).is_unspecified:
        raise UserError(f"--host {host} listens on every address; name the one browsers open with "
                        f"--public-url http://ADDRESS:{port}.", EXIT_USAGE)
    return str(Origin("http", host.strip("[]").lower(), port))


def _connect(args: argparse.Namespace, stack: contextlib.ExitStack) -> tuple[Connection, bool]:
    """The connection every explorer uses, and whether it is a cluster other than the lab."""
    from tui.connect import parse_properties, resolve

    if getattr(args, "bootstrap", None) or getattr(args, "profile", None):
        from tui.kafka.probe import probe_connection

        connection = resolve(args)
        _warn(f"connecting to {connection.bootstrap} …")
        problem = probe_connection(connection.bootstrap, dict(connection.properties), timeout=PROBE_TIMEOUT)
        if problem is not None:
            raise UserError(problem)
        return connection, True
    from tui.lab.session import lab_session

    session = stack.enter_context(lab_session(
        getattr(args, "state_dir", None), nodes=int(getattr(args, "nodes", 3) or 3),
        keep=bool(getattr(args, "keep_lab", False)), kafka_version=getattr(args, "kafka_version", None),
        on_orphan=getattr(args, "orphaned_lab", OrphanPolicy.REFUSE.value), progress=_warn,
        properties=parse_properties(getattr(args, "properties", []) or [])))
    return session.connection, False


def _announce(connection: Connection, public_url: str, token: str, spread: bool) -> None:
    say(f"kafka-explorer serve: the explorer on {connection.label or connection.bootstrap} "
        f"({connection.bootstrap}), one explorer process per browser connection")
    say("  namespaces: each browser its own (p1, p2 … or &name=NAME at the end of the URL)" if spread
        else "  namespaces: off (every browser works with the cluster's own names)")
    say("  open this URL; it holds the access token, so give it only to people who may drive the "
        "explorer:")
    say(f"    {public_url}/?token={token}")
    say("  Ctrl-C stops serving and ends every explorer (and a lab serve started)")


def _warn(line: str) -> None:
    sys.stderr.write(f"kafka-explorer: {line}\n")
    sys.stderr.flush()
