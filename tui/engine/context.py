"""What every engine subsystem shares: connection settings, the event bus, the run id, a version."""

from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tui.engine.events import EventBus
from tui.engine.record_format import new_run_id


@dataclass(frozen=True)
class Connection:
    """Where the engine connects. ``properties`` are librdkafka settings (may hold secrets)."""

    bootstrap: str
    properties: Mapping[str, str] = field(default_factory=dict)
    label: str = ""
    """Shown in the header: 'lab (3 nodes)', 'profile prod', or the bootstrap servers."""
    lab_dir: Path | None = None
    """Set when connected to a lab cluster this app can break (kill/pause nodes)."""

    def client_conf(self, extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Base client config: bootstrap + connection properties + ``extra`` (extra wins)."""
        conf: dict[str, Any] = {"bootstrap.servers": self.bootstrap, **self.properties}
        if extra:
            conf.update(extra)
        return conf


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
