"""Helpers the benchmarks share: which cluster to use, waiting on the engine's snapshots, and
committing the offsets of many groups on a fresh lab.

A benchmark runs on, in order of preference: ``--bootstrap HOST:PORT``, the running lab whose state
dir is in ``KX_BENCH_LAB_DIR`` (left running), or a temporary 1-node lab it starts and deletes.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from tui.lab import LabCluster
from tui.lab.cluster import temporary_lab

LAB_DIR_ENV = "KX_BENCH_LAB_DIR"
T = TypeVar("T")


@contextlib.contextmanager
def bench_cluster(bootstrap: str | None, prefix: str) -> Iterator[str]:
    """The bootstrap servers to benchmark against (see the module docstring)."""
    if bootstrap:
        yield bootstrap
        return
    reuse = os.environ.get(LAB_DIR_ENV)
    if reuse:
        yield LabCluster(Path(reuse)).bootstrap
        return
    with temporary_lab(nodes=1, prefix=prefix) as lab:
        yield lab.bootstrap


def wait_for(predicate: Callable[[], T | None], timeout: float, what: str,
             interval: float = 0.01) -> T:
    """Poll until ``predicate`` returns a truthy value; SystemExit naming ``what`` on timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


RETRIED_COMMIT_ERRORS = ("UNKNOWN_TOPIC_OR_PART", "_TIMED_OUT", "COORDINATOR_LOAD_IN_PROGRESS",
                         "COORDINATOR_NOT_AVAILABLE", "NOT_COORDINATOR")
"""What a fresh lab answers a burst of group commits with for a while: a coordinator that does not
know a new topic yet, or is still loading ``__consumer_offsets``."""


def commit_group_offsets(admin: Any, requests: Iterable[Any], timeout: float,
                         in_flight: int = 100) -> None:
    """``alter_consumer_group_offsets`` for each ``ConsumerGroupTopicPartitions``, at most
    ``in_flight`` at once; a request refused with a passing error is sent again until ``timeout``
    s have passed (a partition's error hides inside a successful result: each is checked)."""
    from confluent_kafka import KafkaException

    deadline = time.monotonic() + timeout
    todo = list(requests)
    while todo:
        batch, todo = todo[:in_flight], todo[in_flight:]
        futures = [(admin.alter_consumer_group_offsets([r], request_timeout=60)[r.group_id], r)
                   for r in batch]
        again: list[Any] = []
        for future, request in futures:
            try:
                result = future.result(120)
                bad = [tp.error for tp in result.topic_partitions if tp.error is not None]
            except KafkaException as exc:
                bad = [exc.args[0]]
            if not bad:
                continue
            if time.monotonic() > deadline or bad[0].name() not in RETRIED_COMMIT_ERRORS:
                raise SystemExit(f"committing offsets for group {request.group_id} failed: "
                                 f"{bad[0]}")
            again.append(request)
        if again:
            time.sleep(0.5)  # a moment for the coordinator to learn the topic or load
            todo = again + todo
