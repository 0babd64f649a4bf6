"""The screen is answering the user: this process's background Python work steps aside meanwhile.

CPython runs one thread at a time. While the UI thread builds the screen after a key press, a
watcher refresh on another thread takes the interpreter every other 5 ms, and a garbage collection
all of it, so the screen came late exactly when someone waits for it (at 30,000 partitions the
watcher builds its views for ~50 ms a second). The UI marks a key press (:func:`answering`) and its
first screen after it (:func:`answered`); background work that can wait calls :func:`step_aside`
at its safe points and blocks there, without the interpreter, until the screen is done.

The UI thread also asks the kernel to serve it soon after it wakes (:func:`serve_first`): on
Linux's EEVDF scheduler (6.6 and later) a thread may ask for a shorter time slice, which gives it an
earlier deadline and so the next free core, without more CPU in all.

A wait is bounded (:data:`MAX_ANSWER_S`), and a thread that stepped aside does not again for
:data:`COOLDOWN_S` (a held-down key delays the watcher's refresh, never stops it); a process
without a screen never waits at all.
"""

from __future__ import annotations

import ctypes
import os
import platform
import sys
import threading
import time

MAX_ANSWER_S = 0.15
"""The longest one answer holds background work back (a screen switch takes ~30 ms of CPU)."""

COOLDOWN_S = 0.5
"""After a wait, the thread runs this long before it steps aside again."""

_idle = threading.Event()
_idle.set()
_until = 0.0
"""Monotonic time at which the current answer stops holding anyone back."""
_last_wait = threading.local()


def answering(seconds: float = MAX_ANSWER_S) -> None:
    """A key press arrived: background work waits for the screen (for ``seconds`` at most)."""
    global _until
    _until = time.monotonic() + seconds
    _idle.clear()


def answered() -> None:
    """The screen after the key press is drawn."""
    _idle.set()


def step_aside() -> float:
    """Wait (releasing the interpreter) while the screen answers a key; the seconds waited."""
    if _idle.is_set():
        return 0.0
    started = time.monotonic()
    if started - getattr(_last_wait, "at", -COOLDOWN_S) < COOLDOWN_S:
        return 0.0
    remaining = _until - started
    if remaining > 0:
        _idle.wait(remaining)
    ended = time.monotonic()
    if ended >= _until:
        _idle.set()  # past the bound: the answer is over for everyone
    _last_wait.at = ended
    return ended - started


UI_SLICE_NS = 500_000
"""The time slice the UI thread asks for (the kernel's default is 0.7-3 ms; it clamps to 0.1-100)."""
_SCHED_SETATTR = {"x86_64": 314, "aarch64": 274}
_SCHED_FLAG_RESET_ON_FORK = 0x01
"""Threads and processes started from the UI thread get the kernel's default slice again."""


class _SchedAttr(ctypes.Structure):
    _fields_ = [("size", ctypes.c_uint32), ("sched_policy", ctypes.c_uint32),
                ("sched_flags", ctypes.c_uint64), ("sched_nice", ctypes.c_int32),
                ("sched_priority", ctypes.c_uint32), ("sched_runtime", ctypes.c_uint64),
                ("sched_deadline", ctypes.c_uint64), ("sched_period", ctypes.c_uint64),
                ("sched_util_min", ctypes.c_uint32), ("sched_util_max", ctypes.c_uint32)]


def serve_first(slice_ns: int = UI_SLICE_NS) -> bool:
    """Ask for a short time slice for the calling thread (Linux only; its nice and policy stay).
    True when the kernel took it; elsewhere, or when refused, nothing changes."""
    number = _SCHED_SETATTR.get(platform.machine())
    if not sys.platform.startswith("linux") or number is None:
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        attr = _SchedAttr(size=ctypes.sizeof(_SchedAttr), sched_policy=0,  # SCHED_OTHER
                          sched_flags=_SCHED_FLAG_RESET_ON_FORK,
                          sched_nice=os.getpriority(os.PRIO_PROCESS, 0), sched_runtime=slice_ns)
        return int(libc.syscall(number, 0, ctypes.byref(attr), 0)) == 0
    except (OSError, AttributeError, ValueError):
        return False
