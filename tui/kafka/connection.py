"""Where to connect: bootstrap servers plus librdkafka properties, and what to call the cluster."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


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
