"""The contract between the engine facade and its subsystems (producers, consumers, watcher)."""

from __future__ import annotations

from typing import Any, Protocol

from tui.engine.commands import Command


class Subsystem(Protocol):
    """A part of the engine that owns runner threads and their clients."""

    def handle(self, cmd: Command) -> Any:
        """Run one command on the engine's command thread. Must not block for long: start runners,
        flip flags, and return. Raise ``ValueError`` with a user sentence for bad input."""

    def close(self, timeout: float) -> None:
        """Stop every runner thread within ``timeout`` seconds (flush/purge/close their clients)."""
