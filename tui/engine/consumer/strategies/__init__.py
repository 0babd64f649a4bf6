"""The eight commit strategies, by stable name. ``STRATEGIES[name].description()`` is the doc text."""

from __future__ import annotations

from tui.engine.consumer.strategies.async_per_batch import AsyncPerBatch
from tui.engine.consumer.strategies.auto import Auto
from tui.engine.consumer.strategies.auto_stored import AutoStored
from tui.engine.consumer.strategies.base import Strategy
from tui.engine.consumer.strategies.commit_before import CommitBefore
from tui.engine.consumer.strategies.never import Never
from tui.engine.consumer.strategies.sync_per_batch import SyncPerBatch
from tui.engine.consumer.strategies.sync_per_message import SyncPerMessage
from tui.engine.consumer.strategies.transactional import Transactional

STRATEGIES: dict[str, type[Strategy]] = {
    cls.name: cls
    for cls in (Auto, AutoStored, SyncPerMessage, SyncPerBatch, AsyncPerBatch, CommitBefore, Never,
                Transactional)
}
STRATEGY_NAMES: tuple[str, ...] = tuple(STRATEGIES)
STRATEGY_DOCS: dict[str, str] = {name: cls.description() for name, cls in STRATEGIES.items()}
"""name -> what the strategy does in librdkafka terms (one paragraph, for the TUI and the README)."""


def strategy_class(name: str) -> type[Strategy]:
    """The strategy called ``name``; ValueError with the valid names otherwise."""
    try:
        return STRATEGIES[name]
    except KeyError:
        raise ValueError(f"Unknown commit strategy {name!r}; choose one of "
                         f"{', '.join(STRATEGY_NAMES)}.") from None


__all__ = ["STRATEGIES", "STRATEGY_DOCS", "STRATEGY_NAMES", "Strategy", "strategy_class"]
