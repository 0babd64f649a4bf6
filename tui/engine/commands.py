"""Commands: imperative requests the UI, headless runners and scenarios submit to the engine.

Each subsystem defines its own command dataclasses next to its code, subclassing :class:`Command`
and naming itself in ``target``. The engine routes a command to the subsystem with that name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from tui.vocab import NodeAction, names


@dataclass(frozen=True)
class Command:
    """Base class. ``target`` is the subsystem: producers, consumers, watcher, lab, engine."""

    target: ClassVar[str] = "engine"


@dataclass(frozen=True)
class LabAction(Command):
    """Break or heal a lab node: kill, stop, pause, resume, restart, start."""

    target: ClassVar[str] = "lab"
    node: int
    action: str


LAB_ACTIONS = names(NodeAction)
