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


def commit_offsets(bootstrap: str, group: str, offsets: dict[tuple[str, int], int]) -> None:
    """Commit ``offsets`` for ``group`` with an admin client, asked again while a partition answers
    with an error (on a fresh lab the first commits can meet a coordinator still loading, and the
    future does not fail then: only its partitions carry the error)."""
    from confluent_kafka import ConsumerGroupTopicPartitions, TopicPartition

    from tui.kafka import clients

    admin = clients.admin({"bootstrap.servers": bootstrap})
    request = [ConsumerGroupTopicPartitions(group, [TopicPartition(t, p, o) for (t, p), o in offsets.items()])]

    def landed() -> bool:
        answer = admin.alter_consumer_group_offsets(request, request_timeout=10)[group].result(15)
        return all(tp.error is None for tp in answer.topic_partitions or ())

    wait_until(landed, 30, message=f"the commits of {group} to land")
