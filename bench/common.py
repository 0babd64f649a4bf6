"""Helpers the benchmarks share: which cluster to use, and waiting on the engine's snapshots.

A benchmark runs on, in order of preference: ``--bootstrap HOST:PORT``, the running lab whose state
dir is in ``KX_BENCH_LAB_DIR`` (left running), or a temporary 1-node lab it starts and deletes.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

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
