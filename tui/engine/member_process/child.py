"""The member process's side of the pipes, shared by both member mains.

The parent writes one JSON init object on stdin, then JSON control lines; EOF on stdin means "leave
cleanly" (it also covers a dead parent). The child writes frames on stdout. Only the standard library
is imported here: this module loads in every member process.
"""

from __future__ import annotations

import gc
import json
import logging
import os
import queue
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any, BinaryIO

Controls = queue.Queue[dict[str, Any]]


def read_init() -> dict[str, Any]:
    """The init object (connection conf, spec, member name, incarnation); empty if stdin closed."""
    init: dict[str, Any] = json.loads(sys.stdin.buffer.readline() or b"{}")
    return init


def freeze_gc() -> None:
    """Collect by hand (the loops call ``gc.collect`` once a second): the objects of a poll are not
    cyclic, and automatic collection would run every few polls."""
    gc.freeze()
    gc.disable()


def start_controls(controls: Controls, name: str) -> None:
    """A daemon thread that puts each control line on ``controls``, then a leave at EOF."""
    threading.Thread(target=_read_controls, args=(controls,), name=name, daemon=True).start()


def pending_controls(controls: Controls) -> Iterator[dict[str, Any]]:
    """The control lines queued so far, oldest first, without waiting."""
    while True:
        try:
            yield controls.get_nowait()
        except queue.Empty:
            return


def _read_controls(controls: Controls) -> None:
    for raw in sys.stdin.buffer:
        try:
            controls.put(json.loads(raw))
        except ValueError:
            continue
    controls.put({"op": "leave"})  # stdin closed: the parent wants us gone (or died)


def write_frames(out: BinaryIO, data: bytes) -> None:
    """Write and flush; a closed pipe ends the process (the parent is gone: nobody to report to)."""
    try:
        out.write(data)
        out.flush()
    except (BrokenPipeError, ValueError):
        os._exit(2)


class ForwardLogs(logging.Handler):
    """Warnings of the member's logger (librdkafka's lines) become ``log`` events for the parent's log,
    never a screen. ``send`` is the channel's emit (write now) or add (buffer)."""

    def __init__(self, send: Callable[..., None]) -> None:
        super().__init__(logging.WARNING)
        self.send = send

    def emit(self, record: logging.LogRecord) -> None:
        self.send("log", level=record.levelname.lower(), text=record.getMessage()[:500])


def run_reporting(run: Callable[[], int], emit: Callable[..., None], what: str) -> int:
    """``run()``, with any exception reported as one fatal error event, never a traceback on the
    parent's terminal."""
    try:
        return run()
    except Exception as exc:
        emit("error", text=f"{what} failed: {type(exc).__name__}: {exc}", fatal=True)
        return 3


def exit_with(main: Callable[[], int]) -> None:
    """Run ``main`` and exit with its code, skipping interpreter teardown: the client is already
    closed (or never was)."""
    code = main()
    sys.stdout.flush()
    os._exit(code)
