"""Commands the producers handles (target "producers")."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from tui.engine.commands import Command
from tui.engine.producer.profile import ProducerProfile
from tui.engine.producer.workload import Workload
from tui.engine.topics import CreateTopic

__all__ = ["CreateTopic", "StartProducer", "StopProducer"]


@dataclass(frozen=True)
class StartProducer(Command):
    """Start a runner for ``profile`` sending ``workload``; the result is the runner's name.

    Fails (ValueError, one sentence) when the profile or workload is invalid, librdkafka rejects a
    property, or a runner with the same name is still active.
    """

    target: ClassVar[str] = "producers"
    profile: ProducerProfile
    workload: Workload


@dataclass(frozen=True)
class StopProducer(Command):
    """Stop the active runner ``name``: flush for up to ``flush_timeout`` s, then purge and close.

    Returns at once; the runner reports ``producer.stopped`` when its client is closed.
    """

    target: ClassVar[str] = "producers"
    name: str
    flush_timeout: float = 5.0
