"""A token bucket for the produce loop: ``rate`` tokens per second, small burst after a stall."""

from __future__ import annotations

import time
from collections.abc import Callable


class TokenBucket:
    def __init__(self, rate: float, burst: float | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        # a 50 ms burst keeps the long-run rate exact without floods after a pause
        self.capacity = burst if burst is not None else max(1.0, rate * 0.05)
        self._clock = clock
        self._tokens = 1.0
        self._last = self._now()

    def _now(self) -> float:
        return self._clock()

    def take(self) -> float:
        """Take one token. Returns 0.0 on success, else the seconds until a token is due."""
        now = self._now()
        tokens = min(self.capacity, self._tokens + (now - self._last) * self.rate)
        self._last = now
        if tokens >= 1.0 - 1e-9:  # float slack: a wait of exactly the deficit must succeed
            self._tokens = max(0.0, tokens - 1.0)
            return 0.0
        self._tokens = tokens
        return (1.0 - tokens) / self.rate
