"""Discrete engine events and the bounded, thread-safe bus that carries them.

Snapshots say how things *are*; events say what *happened* (a rebalance, a commit, a crash, an ISR
shrink). Subscribers get a bounded queue each; when a slow subscriber falls behind, the oldest events
are dropped and counted, never blocking the engine thread that published them.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

SEVERITIES = ("debug", "info", "notice", "warning", "error")


@dataclass(frozen=True, slots=True)
class Event:
    """One thing that happened. ``kind`` is dotted and stable (``member.assigned``, ``broker.down``)."""

    seq: int
    ts: float
    kind: str
    source: str
    """Who it concerns: ``producer:acks1``, ``member:m2``, ``broker:2``, ``watcher``, ``engine``."""
    text: str
    """One human sentence; already free of secrets and safe to show (no payload bytes)."""
    severity: str = "info"
    data: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"seq": self.seq, "ts": round(self.ts, 6), "kind": self.kind, "source": self.source,
                "severity": self.severity, "text": self.text, **{"data": dict(self.data)}}


class Subscription:
    """A subscriber's bounded queue. ``dropped`` counts events lost because it fell behind."""

    def __init__(self, bus: EventBus, maxlen: int, kinds: tuple[str, ...] | None) -> None:
        self._bus = bus
        self._queue: deque[Event] = deque(maxlen=maxlen)
        self._lock = threading.Lock()
        self._kinds = kinds
        self.dropped = 0
        self.ready = threading.Event()

    def _offer(self, event: Event) -> None:
        if self._kinds is not None and not event.kind.startswith(self._kinds):
            return
        with self._lock:
            if len(self._queue) == self._queue.maxlen:
                self.dropped += 1
            self._queue.append(event)
        self.ready.set()

    def drain(self, limit: int | None = None) -> list[Event]:
        """Take queued events (oldest first)."""
        with self._lock:
            count = len(self._queue) if limit is None else min(limit, len(self._queue))
            out = [self._queue.popleft() for _ in range(count)]
            if not self._queue:
                self.ready.clear()
        return out

    def wait(self, timeout: float) -> list[Event]:
        """Block up to ``timeout`` seconds for at least one event, then drain."""
        self.ready.wait(timeout)
        return self.drain()

    def close(self) -> None:
        self._bus.unsubscribe(self)


class EventBus:
    """Publishes events to every subscription and keeps a bounded history for late joiners."""

    def __init__(self, history: int = 5000) -> None:
        self._lock = threading.Lock()
        self._subs: list[Subscription] = []
        self._seq = itertools.count(1)
        self.history: deque[Event] = deque(maxlen=history)

    def publish(self, kind: str, source: str, text: str, severity: str = "info",
                **data: Any) -> Event:
        with self._lock:
            event = Event(next(self._seq), time.time(), kind, source, text, severity, data)
            self.history.append(event)
            subs = list(self._subs)
        for sub in subs:
            sub._offer(event)
        return event

    def subscribe(self, maxlen: int = 10_000, kinds: tuple[str, ...] | None = None,
                  replay: bool = False) -> Subscription:
        sub = Subscription(self, maxlen, kinds)
        with self._lock:
            if replay:
                for event in self.history:
                    sub._offer(event)
            self._subs.append(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        with self._lock:
            if sub in self._subs:
                self._subs.remove(sub)
