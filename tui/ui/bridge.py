"""The bridge from engine to UI: a pump thread pulls snapshots and events and posts messages.

memray's ``UpdateThread`` pattern: the engine never calls into Textual; one dedicated thread reads
``engine.snapshot()`` at a fixed rate and posts it only when ``seq`` moved. ``SnapshotUpdated``
replaces any older queued snapshot, so a slow UI never builds a backlog. Only ``post_message`` is
used from the thread (thread-safe, never blocks, P4).
"""

from __future__ import annotations

import threading
import time

from textual.message import Message
from textual.message_pump import MessagePump

from tui.engine import Event, Snapshot
from tui.ui.port import EnginePort, EventSource


class SnapshotUpdated(Message):
    """A newer snapshot is available."""

    def __init__(self, snapshot: Snapshot, pulled_at: float) -> None:
        super().__init__()
        self.snapshot = snapshot
        self.pulled_at = pulled_at

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, SnapshotUpdated)


class EventsArrived(Message):
    """A batch of discrete engine events (oldest first)."""

    def __init__(self, events: list[Event], dropped: int) -> None:
        super().__init__()
        self.events = events
        self.dropped = dropped


class SnapshotPump:
    """Owns the ``ui-snapshot-pump`` thread."""

    def __init__(self, engine: EnginePort, target: MessagePump, hz: float = 8.0,
                 events: EventSource | None = None) -> None:
        self._engine = engine
        self._target = target
        self._period = 1.0 / hz
        self._events = events
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread = threading.Thread(target=self._run, name="ui-snapshot-pump", daemon=True)
        self.last_seq: int | None = None
        self.errors = 0

    def start(self) -> None:
        self._thread.start()

    def poke(self) -> None:
        """Pull now (after a command), instead of at the next tick."""
        self._wake.set()

    def stop(self, timeout: float = 2.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout)
        if self._events is not None:
            self._events.close()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.pull_once()
            self._wake.wait(self._period)
            self._wake.clear()

    def pull_once(self) -> None:
        try:
            snapshot = self._engine.snapshot()
        except Exception:  # a half-built view must not kill the pump; try again next tick
            self.errors += 1
            snapshot = None
        if snapshot is not None and snapshot.seq != self.last_seq:
            self.last_seq = snapshot.seq
            self._target.post_message(SnapshotUpdated(snapshot, time.monotonic()))
        if self._events is not None:
            events = self._events.drain(2000)
            if events:
                self._target.post_message(EventsArrived(events, self._events.dropped))
