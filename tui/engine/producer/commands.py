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
    property, or a runner with the same name is still active. ``require_topic``: fail too when the
    cluster says the topic does not exist (or does not answer) -- asked at start, so a caller that
    cannot see the topic list yet (a form while the watcher is catching up) still gets the sentence
    instead of a producer whose every record times out.
    """

    target: ClassVar[str] = "producers"
    profile: ProducerProfile
    workload: Workload
    require_topic: bool = False


@dataclass(frozen=True)
class StopProducer(Command):
    """Stop the active runner ``name``: flush for up to ``flush_timeout`` s, then purge and close.

    Returns at once; the runner reports ``producer.stopped`` when its client is closed.
    """

    target: ClassVar[str] = "producers"
    name: str
    flush_timeout: float = 5.0
