"""Test helpers: waiting for conditions with deadlines (never fixed sleeps), unique names."""

from __future__ import annotations

import itertools
import os
import time
import uuid
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")
_counter = itertools.count(1)


def wait_until(predicate: Callable[[], T], timeout: float = 30.0, interval: float = 0.1,
               message: str = "condition") -> T:
    """Poll ``predicate`` until it returns a truthy value; fail with ``message`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    last: T = predicate()
    while not last:
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {message}")
        time.sleep(interval)
        last = predicate()
    return last


def unique(prefix: str) -> str:
    """A name no other test (or earlier run on a reused cluster) uses."""
    return f"{prefix}-{os.getpid()}-{next(_counter)}-{uuid.uuid4().hex[:6]}"
