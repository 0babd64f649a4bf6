"""Commands: imperative requests the UI, headless runners and scenarios submit to the engine.

Each subsystem defines its own command dataclasses next to its code, subclassing :class:`Command`
and naming itself in ``target``. The engine routes a command to the subsystem with that name; the
engine-level commands (judge, explain, node actions) are defined here.
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
    """Break or heal a lab node: kill, stop, pause, resume, restart, start. The engine records every
    fault it injects (with the partitions the node hosted), so the verdict can excuse what it caused.
    Runs on the engine's lab thread: a restart waits until the node is ready without holding up other
    commands."""

    target: ClassVar[str] = "lab"
    node: int
    action: str
    """A :class:`tui.vocab.NodeAction`."""


LAB_ACTIONS = names(NodeAction)


@dataclass(frozen=True)
class RunScope:
    """What one run may be judged on: its own producers, members, groups and topics.

    Empty tuples mean "no restriction" for that dimension. A scenario run in the TUI passes its scope,
    so records of earlier runs in the same session never count against it.
    """

    topics: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    producers: tuple[str, ...] = ()
    members: tuple[str, ...] = ()
    since: float | None = None
    """Faults and leader changes before this time (epoch seconds) are not part of the run."""

    def has_producer(self, name: str) -> bool:
        return not self.producers or name in self.producers

    def has_member(self, name: str) -> bool:
        return not self.members or name in self.members

    def has_group(self, group: str) -> bool:
        return not self.groups or group in self.groups


@dataclass(frozen=True)
class Judge(Command):
    """Heal-then-judge: re-read every audited partition and run the checker; resolves with the
    :class:`~tui.engine.checker.verdict.Verdict` (also published in the next snapshot). Runs on its own
    thread: it takes seconds and must not hold up other commands."""

    topics: tuple[str, ...] = ()
    """Topics to audit besides those the run produced to or consumed from."""
    scope: RunScope | None = None
    """None: everything this engine ran."""
    timeout: float = 60.0
    ledger_from_audit: bool = False
    """Consume-only runs: every record carrying a kafka-explorer msg_id counts as produced."""


@dataclass(frozen=True)
class Explain(Command):
    """The recorded timeline of one record from the last verdict's history; resolves with a tuple of
    lines (empty when there was no verdict yet)."""

    msg_id: str
