"""The bridge from engine to UI: a pump thread pulls snapshots and events and posts messages.

memray's ``UpdateThread`` pattern: the engine never calls into Textual; one dedicated thread reads
``engine.snapshot()`` and posts it only when something *shown* moved. ``SnapshotUpdated`` replaces
any older queued snapshot, so a slow UI never builds a backlog. Only ``post_message`` is used from
the thread (thread-safe, never blocks, P4).

The app tells the pump what the visible pane needs: a rate (``set_rate``: 2 Hz for the Cluster
screen, whose data changes once per watcher refresh; 8 Hz for Produce, whose counters move with
every delivery report) and a selector (``set_selector``) returning the views the header and that
pane show. A snapshot whose selected views are the same objects as the last posted ones is not
posted: nothing on screen would change, so nothing renders (an idle explorer stays idle).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

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


Selector = Callable[[Snapshot], tuple[object, ...]]
"""The views a screen shows, from a snapshot (a pure function: the pump thread calls it)."""


def same(a: tuple[object, ...] | None, b: tuple[object, ...]) -> bool:
    """The same views: identical objects (views are immutable, and comparing two big views field
    by field costs what rendering them would), or equal small values (counts, strings)."""
    if a is None or len(a) != len(b):
        return False
    return all(x is y or (isinstance(x, (int, float, str)) and x == y) for x, y in zip(a, b, strict=True))


class SnapshotPump:
    """Owns the ``ui-snapshot-pump`` thread."""

    def __init__(self, engine: EnginePort, target: MessagePump, hz: float = 8.0,
                 events: EventSource | None = None) -> None:
        self._engine = engine
        self._target = target
        self._period = 1.0 / hz
        self._max_hz = hz
        self._events = events
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread = threading.Thread(target=self._run, name="ui-snapshot-pump", daemon=True)
        self._selector: Selector | None = None
        self._selected: tuple[object, ...] | None = None
        self.last_seq: int | None = None
        self.errors = 0
        self.pulls = 0
        self.posts = 0

    def set_rate(self, hz: float) -> None:
        """Pull ``hz`` times a second (never faster than the rate the pump was built with)."""
        self._period = 1.0 / max(0.1, min(hz, self._max_hz))

    def set_selector(self, selector: Selector | None) -> None:
        """Post only when ``selector(snapshot)`` changed (None: whenever ``seq`` moved). The next
        pull posts in any case, so a newly shown screen gets the newest snapshot at once."""
        self._selector = selector
        self._selected = None
        self.last_seq = None
        self.poke()

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
        self.pulls += 1
        if snapshot is not None and snapshot.seq != self.last_seq:
            self.last_seq = snapshot.seq
            selector = self._selector
            if selector is not None:
                try:
                    selected: tuple[object, ...] | None = selector(snapshot)
                except Exception:  # a selector bug must not stop the snapshots: post them all
                    selected = None
                if selected is not None and same(self._selected, selected):
                    snapshot = None  # nothing shown changed
                else:
                    self._selected = selected
            if snapshot is not None:
                self.posts += 1
                self._target.post_message(SnapshotUpdated(snapshot, time.monotonic()))
        if self._events is not None:
            events = self._events.drain(2000)
            if events:
                self._target.post_message(EventsArrived(events, self._events.dropped))
