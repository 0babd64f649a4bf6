"""One browser connection's explorer process, started and ended by ``serve``.

textual-serve's :class:`AppService` speaks the browser protocol; this subclass starts the process
from an argument list (no shell) with its own environment, in a session of its own (Ctrl-C in
serve's terminal reaches serve, which ends each explorer in order), set to get SIGTERM if serve dies
without doing so, and ends it within a bound: quit, then SIGTERM, then SIGKILL.
"""

from __future__ import annotations

import asyncio
import ctypes
import os
import signal
import sys
from asyncio.subprocess import PIPE, Process
from collections.abc import Awaitable, Callable

from textual_serve.app_service import AppService
from textual_serve.download_manager import DownloadManager

from tui.serve.child import ExplorerLaunch

_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> Callable[[], None] | None:
    """A pre-exec hook that makes the child get SIGTERM when this process dies (Linux only)."""
    if not sys.platform.startswith("linux"):
        return None
    prctl = ctypes.CDLL(None, use_errno=True).prctl  # looked up here, not in the forked child
    parent = os.getpid()

    def arm() -> None:
        prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent:  # serve died between fork and prctl
            os._exit(1)

    return arm


class ExplorerSession(AppService):
    """The explorer of one browser connection."""

    def __init__(self, launch: ExplorerLaunch, *, write_bytes: Callable[[bytes], Awaitable[None]],
                 write_str: Callable[[str], Awaitable[None]], close: Callable[[], Awaitable[None]],
                 download_manager: DownloadManager) -> None:
        super().__init__(launch.display, write_bytes=write_bytes, write_str=write_str, close=close,
                         download_manager=download_manager)
        self.launch = launch

    @property
    def pid(self) -> int | None:
        return None if self._process is None else self._process.pid

    async def _open_app_process(self, width: int = 80, height: int = 24) -> Process:
        environment = self._build_environment(width=width, height=height)
        environment.update(self.launch.env)
        self._process = process = await asyncio.create_subprocess_exec(
            *self.launch.argv, stdin=PIPE, stdout=PIPE, stderr=PIPE, env=environment,
            start_new_session=True, preexec_fn=_die_with_parent())
        assert process.stdin is not None
        self._stdin = process.stdin
        return process

    async def end(self, grace: float = 12.0) -> None:
        """Ask the explorer to quit (it closes its clients and members); SIGTERM after ``grace``
        seconds, SIGKILL after as long again. Safe to call twice."""
        try:
            await asyncio.wait_for(self.stop(), grace)
        except (TimeoutError, ConnectionError):
            pass
        process = self._process
        if process is None:
            return
        for sig in (None, signal.SIGTERM, signal.SIGKILL):
            if process.returncode is not None:
                return
            if sig is not None:
                try:
                    process.send_signal(sig)
                except ProcessLookupError:
                    pass
            try:
                await asyncio.wait_for(process.wait(), grace if sig is not None else 1.0)
                return
            except TimeoutError:
                continue
