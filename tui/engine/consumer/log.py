"""The consumption log: every member's events in one global order (the checker's evidence)."""

from __future__ import annotations

import itertools
import threading
from typing import Any

from tui.engine.history import ConsumerEvent, ConsumerEventKind

DEFAULT_CAP = 2_000_000
"""Events kept per run (~330 bytes each, so ~650 MB at the cap: about a million records with DELIVER +
PROCESSED each); beyond it events are counted as dropped and the verdict is incomplete."""


class ConsumptionLog:
    """Thread-safe, append-only, capped. Also tracks per-group delivery high marks (redelivery)."""

    def __init__(self, cap: int = DEFAULT_CAP) -> None:
        self._lock = threading.Lock()
        self._seq = itertools.count(1)
        self._events: list[ConsumerEvent] = []
        self._cap = cap
        self.dropped = 0
        self._delivered_top: dict[tuple[str, str, int], int] = {}
        self.first_assign: dict[str, float] = {}

    def append(self, ts: float, member: str, incarnation: int, group: str, topic: str,
               kind: ConsumerEventKind, **fields: Any) -> ConsumerEvent | None:
        with self._lock:
            if len(self._events) >= self._cap:
                self.dropped += 1
                return None
            event = ConsumerEvent(next(self._seq), ts, member, incarnation, group, topic, kind,
                                  **fields)
            self._events.append(event)
            if kind is ConsumerEventKind.ASSIGN:
                self.first_assign.setdefault(group, ts)
            return event

    def note_delivery(self, group: str, topic: str, partition: int, offset: int) -> bool:
        """Record a delivery; True when the group was already delivered this offset or a later one."""
        key = (group, topic, partition)
        with self._lock:
            top = self._delivered_top.get(key, -1)
            if offset > top:
                self._delivered_top[key] = offset
                return False
            return True

    def events(self) -> tuple[ConsumerEvent, ...]:
        with self._lock:
            return tuple(self._events)

    def __len__(self) -> int:
        return len(self._events)
