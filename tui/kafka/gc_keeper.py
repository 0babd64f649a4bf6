"""Garbage collection on a thread of our own, never inside a librdkafka callback.

librdkafka aborts the whole process when ``rd_kafka_destroy()`` is called from one of its own
threads. Python's cyclic collector runs on whichever thread happens to allocate, and librdkafka calls
back into Python from its threads (admin future results, log lines, error callbacks). So a client that
became garbage in a reference cycle can be finalised inside such a callback -- and the process dies
with "Fatal Python error: Aborted" (confluent-kafka-python #2131 describes the same for admin tests).

:func:`install` turns the automatic collector off and runs the three generations on a daemon thread
(``gc-keeper``) at a fixed rate (see :data:`_PERIODS`), so cyclic garbage -- clients
included -- is always freed on a Python-owned thread. A process that owns Kafka clients calls it once
(the engine does on start; it is idempotent).
"""

from __future__ import annotations

import gc
import threading
import time

from tui import foreground

_PERIODS = ((1, 1.0), (2, 10.0))
"""(generation, seconds between collections of it) -- the oldest at least this far apart. The young
generations go together once a second: collected apart (generation 0 ten times a second), every
object that outlives a refresh was traversed twice on its way to the oldest, which cost a third more
of the keeper's time on a 30,000-partition cluster. Cyclic garbage waits a second at most."""
_FULL_COST_SHARE = 0.01
"""A full collection may take at most this share of the time (large heaps: the checker's history, a
30,000-partition cluster's views, where one takes ~0.2 s). Little garbage is cyclic here; what is
waits a few seconds longer."""
_lock = threading.Lock()
_thread: threading.Thread | None = None


def install() -> None:
    """Disable automatic collection and start the keeper thread (once per process)."""
    global _thread
    with _lock:
        if _thread is not None and _thread.is_alive():
            return
        gc.disable()
        _thread = threading.Thread(target=_run, name="gc-keeper", daemon=True)
        _thread.start()


def installed() -> bool:
    return _thread is not None and _thread.is_alive() and not gc.isenabled()


def _run() -> None:
    due = {gen: time.monotonic() + period for gen, period in _PERIODS}
    while True:
        now = time.monotonic()
        # the oldest generation that is due collects the younger ones too
        ready = [gen for gen, _period in _PERIODS if now >= due[gen]]
        if ready:
            gen = max(ready)
            foreground.step_aside()  # a collection holds the interpreter: never while a key waits
            started = time.monotonic()
            gc.collect(gen)
            took = time.monotonic() - started
            for g, period in _PERIODS:
                if g <= gen:
                    wait = max(period, took / _FULL_COST_SHARE) if g == 2 else period
                    due[g] = time.monotonic() + wait
        time.sleep(max(0.01, min(due.values()) - time.monotonic()))
