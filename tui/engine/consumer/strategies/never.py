"""never: no offset is ever stored or committed (auto-commit finds nothing stored, close() commits
nothing). Every restart, and every rebalance that moves a partition, starts again from the group's
last committed offset -- or from auto.offset.reset when there is none -- so everything is delivered
again."""

from __future__ import annotations

from tui.engine.consumer.strategies.base import Strategy


class Never(Strategy):
    name = "never"
    title = "never commit"
    guarantee = "none (everything redelivered)"
