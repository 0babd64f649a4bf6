"""Choices the forms offer, read from the engine's own registries (one source of truth).

The commit strategies live in modules that also hold their librdkafka hooks, so they are imported
lazily, when a form opens (the running app's engine has loaded them already): importing ``tui.ui``
never loads confluent_kafka (tests/ui/test_import_hygiene.py).
"""

from __future__ import annotations

from functools import cache


@cache
def strategies() -> tuple[tuple[str, str], ...]:
    """(name, description) of every commit strategy, in the engine's order."""
    from tui.engine import STRATEGY_DOCS

    return tuple(STRATEGY_DOCS.items())


def strategy_names() -> tuple[str, ...]:
    return tuple(name for name, _ in strategies())
