"""Watcher: one AdminClient on one thread, refreshing a ClusterView and emitting change events."""

from __future__ import annotations

from typing import Any

from tui.engine.commands import Command
from tui.engine.context import EngineContext
from tui.engine.watcher.views import ClusterView


class Watcher:
    def __init__(self, ctx: EngineContext, interval: float = 1.0) -> None:
        self.ctx = ctx
        self.interval = interval

    def start(self) -> None:
        return None

    def handle(self, cmd: Command) -> Any:
        raise ValueError(f"{type(cmd).__name__} is not supported yet")

    def view(self) -> ClusterView | None:
        return None

    def close(self, timeout: float) -> None:
        return None
