"""Commands of the record browser (target ``browse``).

``BrowseOpen`` resolves with a :class:`~tui.engine.browse.browsers.BrowseHandle`: ``view()`` gives the
browser's latest frozen :class:`~tui.engine.browse.views.BrowseView` (cheap, any thread) and
``take()`` its records in order. Opening never blocks on Kafka: a missing topic shows up as a
``failed`` view (``handle.wait_ready()`` waits for that answer).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from tui.engine.browse.filters import RecordFilter
from tui.engine.browse.start import StartAt
from tui.engine.commands import Command

MAX_KEEP = 10_000


@dataclass(frozen=True)
class BrowseOpen(Command):
    """Read ``topic`` (``partitions``, or all) from ``start``, keeping the records that pass
    ``filters``. Without ``follow`` it stops at the end offsets seen when it opened."""

    target: ClassVar[str] = "browse"
    topic: str
    partitions: tuple[int, ...] = ()
    start: str = "beginning"
    """beginning, end, an offset, @TIMESTAMP (ms or ISO time) or -N (the last N per partition)."""
    filters: RecordFilter = field(default_factory=RecordFilter)
    follow: bool = False
    """Keep reading new records (a live tail) instead of stopping at the end."""
    limit: int | None = None
    """Stop after this many matching records."""
    keep: int = 500
    """Matching records the view keeps (the latest)."""
    lossless: bool = False
    """A reader takes every record in order (headless): the browser waits while ``keep`` records are
    untaken instead of dropping the oldest."""

    def validate(self) -> BrowseOpen:
        """ValueError (one sentence) for a bad start, filter, limit or size."""
        if not self.topic.strip():
            raise ValueError("Name the topic to browse.")
        StartAt.parse(self.start)
        self.filters.validate()
        if any(p < 0 for p in self.partitions):
            raise ValueError("Partition numbers are zero or more.")
        if self.limit is not None and self.limit < 1:
            raise ValueError("The record count must be at least 1.")
        if not 1 <= self.keep <= MAX_KEEP:
            raise ValueError(f"A browser keeps between 1 and {MAX_KEEP:,} records.")
        return self


@dataclass(frozen=True)
class BrowseSeek(Command):
    """Read the same partitions again from ``start`` and/or with new ``filters`` (None: unchanged);
    the records kept so far are dropped. Resolves with the browser's handle."""

    target: ClassVar[str] = "browse"
    browser_id: int
    start: str | None = None
    filters: RecordFilter | None = None


@dataclass(frozen=True)
class BrowsePause(Command):
    """Stop (``paused``) or resume fetching; what was read stays on screen."""

    target: ClassVar[str] = "browse"
    browser_id: int
    paused: bool = True


@dataclass(frozen=True)
class BrowseClose(Command):
    """Close the browser's consumer and forget it."""

    target: ClassVar[str] = "browse"
    browser_id: int
