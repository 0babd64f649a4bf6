"""The small interface the UI talks through (harlequin's adapter idea).

The real :class:`tui.engine.engine.Engine` satisfies it structurally; tests pass a fake that returns
scripted snapshots. Nothing here imports confluent_kafka, directly or indirectly.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from concurrent.futures import Future
from typing import Any, Protocol

from tui.engine.commands import Command
from tui.engine.events import Event
from tui.engine.snapshot import Snapshot


class EventSource(Protocol):
    dropped: int

    def drain(self, limit: int | None = None) -> list[Event]: ...

    def close(self) -> None: ...


class EnginePort(Protocol):
    def submit(self, cmd: Command) -> Future[Any]:
        """Queue a command; never blocks."""
        ...

    def snapshot(self) -> Snapshot:
        """The current frozen snapshot (cheap)."""
        ...

    def subscribe(self, maxlen: int = 10_000, kinds: tuple[str, ...] | None = None,
                  replay: bool = False) -> EventSource: ...


def request_explain(engine: object, msg_id: str) -> Future[Any]:
    """The recorded timeline of one record (``engine.explain``), computed on a plain thread."""
    future: Future[Any] = Future()
    explain = getattr(engine, "explain", None)
    if explain is None:
        future.set_exception(ValueError("This engine cannot explain records."))
        return future

    def run() -> None:
        if future.set_running_or_notify_cancel():
            try:
                future.set_result(list(explain(msg_id)))
            except Exception as exc:  # reported to the user as a notification
                future.set_exception(exc)

    threading.Thread(target=run, name="ui-explain", daemon=True).start()
    return future


def request_verdict(engine: object, topics: Sequence[str] | None, timeout: float = 60.0
                    ) -> Future[Any]:
    """Compute a verdict off the UI thread; the future resolves with the Verdict.

    Uses the facade's ``engine.verdict(...)`` (it drains the topics and runs the checker, which can
    take seconds), on a plain named thread, so the UI only attaches a done-callback.
    """
    future: Future[Any] = Future()
    compute = getattr(engine, "verdict", None)
    if compute is None:
        future.set_exception(ValueError("This engine cannot compute a verdict yet."))
        return future

    def run() -> None:
        if not future.set_running_or_notify_cancel():
            return
        try:
            kwargs: dict[str, Any] = {"timeout": timeout}
            if topics:
                kwargs["topics"] = tuple(topics)
            future.set_result(compute(**kwargs))
        except Exception as exc:  # reported to the user as a notification
            future.set_exception(exc)

    threading.Thread(target=run, name="ui-verdict", daemon=True).start()
    return future
