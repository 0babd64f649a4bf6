"""ProducerLab: owns producer runners (one thread + one Producer each) and their ledgers."""

from __future__ import annotations

from typing import Any

from tui.engine.commands import Command
from tui.engine.context import EngineContext
from tui.engine.producer.views import ProducersView


class ProducerLab:
    def __init__(self, ctx: EngineContext) -> None:
        self.ctx = ctx

    def handle(self, cmd: Command) -> Any:
        raise ValueError(f"{type(cmd).__name__} is not supported yet")

    def view(self) -> ProducersView:
        return ProducersView()

    def close(self, timeout: float) -> None:
        return None
