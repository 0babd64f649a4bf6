"""What every engine subsystem shares: connection settings, the event bus, the run id, a version."""

from __future__ import annotations

import itertools
import logging
import threading

from tui.engine.events import EventBus
from tui.engine.record_format import new_run_id
from tui.kafka.connection import Connection

# Connection lives on the Kafka access floor; engine modules keep importing it from here
__all__ = ["Connection", "EngineContext"]


class EngineContext:
    """Shared by subsystems. ``bump()`` marks that some state changed (the snapshot seq moves)."""

    def __init__(self, connection: Connection, bus: EventBus | None = None,
                 run_id: str | None = None) -> None:
        self.connection = connection
        self.bus = bus or EventBus()
        self.run_id = run_id or new_run_id()
        self.log = logging.getLogger("kafka_explorer.engine")
        self._version = itertools.count(1)
        self._current = 0
        self._lock = threading.Lock()

    def bump(self) -> int:
        with self._lock:
            self._current = next(self._version)
            return self._current

    @property
    def version(self) -> int:
        return self._current
