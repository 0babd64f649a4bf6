"""The commit strategies, by stable name. ``STRATEGIES[name].description()`` is the doc text.

The names come from :class:`tui.vocab.Strategy`; each lives in the module of the same name (``-`` as
``_``) as the one :class:`Strategy` subclass whose ``name`` matches. A new strategy is its vocabulary
entry plus its module: nothing else lists strategies.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from tui.engine.consumer.strategies.base import Strategy
from tui.vocab import Strategy as StrategyName
from tui.vocab import names


def _load(name: StrategyName) -> type[Strategy]:
    module = importlib.import_module(f"{__name__}.{name.value.replace('-', '_')}")
    for value in vars(module).values():
        if isinstance(value, type) and issubclass(value, Strategy) and value.name == name:
            return value
    raise ImportError(f"strategy module {module.__name__} defines no Strategy named {name.value!r}")


STRATEGIES: dict[str, type[Strategy]] = {name.value: _load(name) for name in StrategyName}
STRATEGY_NAMES: tuple[str, ...] = names(StrategyName)
STRATEGY_DOCS: dict[str, str] = {name: cls.description() for name, cls in STRATEGIES.items()}
"""name -> what the strategy does in librdkafka terms (one paragraph, for the TUI and the README)."""


@dataclass(frozen=True)
class StrategyInfo:
    """What the UI and docs say about a strategy (no librdkafka types)."""

    name: str
    title: str
    """A few words for menus."""
    guarantee: str
    """at-least-once / at-most-once / exactly-once / none."""
    description: str
    needs_output_topic: bool


def strategy_info(name: str) -> StrategyInfo:
    """Menu and help text of the strategy called ``name`` (ValueError for an unknown name)."""
    cls = strategy_class(name)
    return StrategyInfo(cls.name, cls.title, cls.guarantee, cls.description(), cls.needs_output_topic)


def strategy_class(name: str) -> type[Strategy]:
    """The strategy called ``name``; ValueError with the valid names otherwise."""
    try:
        return STRATEGIES[name]
    except KeyError:
        raise ValueError(f"Unknown commit strategy {name!r}; choose one of "
                         f"{', '.join(STRATEGY_NAMES)}.") from None


__all__ = ["STRATEGIES", "STRATEGY_DOCS", "STRATEGY_NAMES", "Strategy", "StrategyInfo", "strategy_class",
           "strategy_info"]
