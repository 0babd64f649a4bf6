"""Reading a child process of the engine (a group member, a producer): frames from its stdout, a
tail of its stderr, until both close."""

from __future__ import annotations

import os
import selectors
import subprocess
from collections.abc import Callable
from typing import IO

from tui.engine.consumer.wire import Frame, FrameReader

STDERR_TAIL = 2000
"""Bytes of a child's stderr kept: its last line says why an unexpected exit happened."""


class ChildPipes:
    """``run`` calls ``on_frames`` with the frames each read completed and ``tick`` at least every
    ``interval`` seconds; :attr:`stderr_tail` holds the last :data:`STDERR_TAIL` bytes of stderr."""

    def __init__(self, proc: subprocess.Popen[bytes], read_size: int) -> None:
        self.proc = proc
        self.reader = FrameReader()
        self.stderr_tail = b""
        self._buffer = bytearray(read_size)  # one buffer for every read: no allocation per read

    def run(self, on_frames: Callable[[list[Frame]], None], tick: Callable[[], None],
            interval: float) -> None:
        proc = self.proc
        assert proc.stdout is not None
        assert proc.stderr is not None
        sel = selectors.DefaultSelector()
        sel.register(proc.stdout, selectors.EVENT_READ, "out")
        sel.register(proc.stderr, selectors.EVENT_READ, "err")
        open_streams = 2
        buffer = self._buffer
        try:
            while open_streams:
                for key, _ in sel.select(interval):
                    stream: IO[bytes] = key.fileobj  # type: ignore[assignment]
                    size = os.readv(stream.fileno(), [buffer])
                    if not size:
                        sel.unregister(stream)
                        open_streams -= 1
                        continue
                    if key.data == "err":
                        self.stderr_tail = (self.stderr_tail + buffer[:size])[-STDERR_TAIL:]
                        continue
                    with memoryview(buffer) as view:
                        frames = self.reader.feed(view[:size])
                    if frames:
                        on_frames(frames)
                tick()
        finally:
            sel.close()

    def last_line(self) -> str | None:
        """The last line the child wrote on stderr, if any."""
        tail = self.stderr_tail.decode(errors="replace").strip().splitlines()
        return tail[-1] if tail else None


__all__ = ["STDERR_TAIL", "ChildPipes"]
