"""ConsumerLab: owns group members (one thread + one Consumer each) and the consumption log."""

from __future__ import annotations

from typing import Any

from tui.engine.commands import Command
from tui.engine.consumer.views import ConsumersView
from tui.engine.context import EngineContext


class ConsumerLab:
    def __init__(self, ctx: EngineContext) -> None:
        self.ctx = ctx

    def handle(self, cmd: Command) -> Any:
        raise ValueError(f"{type(cmd).__name__} is not supported yet")

    def view(self) -> ConsumersView:
        return ConsumersView()

    def close(self, timeout: float) -> None:
        return None
