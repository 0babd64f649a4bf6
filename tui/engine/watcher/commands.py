"""Commands the watcher accepts (submit them through ``Engine.submit``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from tui.engine.commands import Command

MIN_INTERVAL = 0.25
MAX_INTERVAL = 30.0


@dataclass(frozen=True)
class WatcherCommand(Command):
    target: ClassVar[str] = "watcher"


@dataclass(frozen=True)
class SetInterval(WatcherCommand):
    """Refresh every ``seconds`` (0.25 to 30)."""

    seconds: float


@dataclass(frozen=True)
class WatchGroups(WatcherCommand):
    """Show only these consumer groups; an empty tuple shows all groups."""

    groups: tuple[str, ...] = ()


@dataclass(frozen=True)
class WatchTopics(WatcherCommand):
    """Show only these topics; an empty tuple shows all topics."""

    topics: tuple[str, ...] = ()


@dataclass(frozen=True)
class ShowInternal(WatcherCommand):
    """Show Kafka's internal topics (``__consumer_offsets``...) too."""

    on: bool


@dataclass(frozen=True)
class SetLagThreshold(WatcherCommand):
    """Publish ``group.lag-high`` when a group's total lag rises above ``records``."""

    records: int


@dataclass(frozen=True)
class RefreshNow(WatcherCommand):
    """Refresh at once instead of waiting for the next tick."""


def check_interval(seconds: float) -> float:
    """The interval as a float; ValueError with a user sentence when out of range."""
    try:
        value = float(seconds)
    except (TypeError, ValueError):
        raise ValueError(f"The refresh interval must be a number of seconds, not {seconds!r}.") from None
    if not MIN_INTERVAL <= value <= MAX_INTERVAL:
        raise ValueError(f"The refresh interval must be between {MIN_INTERVAL:g} and {MAX_INTERVAL:g} "
                         f"seconds, not {value:g}.")
    return value


def check_names(names: tuple[str, ...] | list[str], what: str) -> tuple[str, ...]:
    cleaned = tuple(dict.fromkeys(n.strip() for n in names))
    if any(not n for n in cleaned):
        raise ValueError(f"A {what} name cannot be empty.")
    return cleaned
