"""The explorer process ``serve`` starts for each browser connection: its arguments and environment.

The process is started from an argument list, without a shell, so nothing in a name or a path is
ever parsed by one; :attr:`ExplorerLaunch.display` is the same command quoted for a shell, for
people. The connection (whose properties may hold secrets) travels in the environment
(:mod:`tui.serve.handoff`), never in the arguments. With it the explorer connects where ``serve``
is connected and never starts a lab of its own.
"""

from __future__ import annotations

import shlex
import sys
from collections.abc import Mapping
from dataclasses import dataclass

from tui.kafka.connection import Connection
from tui.serve.handoff import CONNECTION_ENV, encode
from tui.serve.namespace import NAMESPACE_ENV, check_namespace


@dataclass(frozen=True)
class ExplorerLaunch:
    argv: tuple[str, ...]
    env: Mapping[str, str]
    """Added to the server's own environment (and textual-serve's driver settings)."""
    namespace: str | None

    @property
    def display(self) -> str:
        return shlex.join(self.argv)


def explorer_launch(connection: Connection, *, namespace: str | None = None,
                    theme: str | None = None) -> ExplorerLaunch:
    """``python -m tui [--theme T] [--namespace N]`` with the connection handed over."""
    argv = [sys.executable, "-m", "tui"]
    env = {CONNECTION_ENV: encode(connection)}
    if theme:
        argv += ["--theme", theme]
    if namespace is not None:
        argv += ["--namespace", check_namespace(namespace)]
        env[NAMESPACE_ENV] = namespace
    return ExplorerLaunch(tuple(argv), env, namespace)
