"""The small interface the UI talks through (harlequin's adapter idea).

Everything the app needs from an engine: submit a command (``LabAction``, ``StartProducer``,
``Judge``, ``Explain``...) and get a future, read the current frozen snapshot, subscribe to events.
The real :class:`tui.engine.Engine` satisfies it structurally; the UI tests' fake engine implements
the same three methods over real view objects. Nothing here imports confluent_kafka.
"""

from __future__ import annotations

from concurrent.futures import Future
from typing import Any, Protocol

from tui.engine import Command, Event, Snapshot


class EventSource(Protocol):
    dropped: int

    def drain(self, limit: int | None = None) -> list[Event]: ...

    def close(self) -> None: ...


class EnginePort(Protocol):
    def submit(self, cmd: Command) -> Future[Any]:
        """Queue a command; never blocks. ``Judge`` resolves with a ``Verdict``, ``Explain`` with a
        tuple of lines."""
        ...

    def snapshot(self) -> Snapshot:
        """The current frozen snapshot (cheap)."""
        ...

    def subscribe(self, maxlen: int = 10_000, kinds: tuple[str, ...] | None = None,
                  replay: bool = False) -> EventSource: ...
