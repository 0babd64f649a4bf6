"""A browser connection's explorer process ends within a bound, and dies with serve whatever kills
serve. A stand-in program plays the explorer (one that ignores the quit request)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from textual_serve.download_manager import DownloadManager

from tests.helpers import wait_until
from tui.serve.child import ExplorerLaunch
from tui.serve.sessions import ExplorerSession

DEAF = (sys.executable, "-c", "import signal, time\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\n"
                              "print('started', flush=True)\ntime.sleep(120)")


async def _nothing(*_: object) -> None:
    return None


def _environ(pid: int) -> list[bytes]:
    return Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")


def _gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return True
    return state in ("Z", "X")


async def test_an_explorer_that_ignores_quit_is_ended_within_the_bound() -> None:
    session = ExplorerSession(ExplorerLaunch(DEAF, {"KX_TEST_MARK": "1"}, None), write_bytes=_nothing,
                              write_str=_nothing, close=_nothing, download_manager=DownloadManager())
    await session.start(80, 24)
    pid = session.pid
    assert pid is not None
    environ = _environ(pid)
    assert b"KX_TEST_MARK=1" in environ
    assert b"TEXTUAL_DRIVER=textual.drivers.web_driver:WebDriver" in environ
    assert os.getsid(pid) == pid  # a session of its own: serve's Ctrl-C is serve's to handle
    started = time.monotonic()
    await session.end(grace=0.5)
    assert time.monotonic() - started < 5
    assert _gone(pid)
    await session.end(grace=0.5)  # twice is fine


def test_explorers_die_with_serve_even_by_sigkill(tmp_path: Path) -> None:
    script = textwrap.dedent(f"""
        import asyncio, sys
        from tui.serve.child import ExplorerLaunch
        from tui.serve.sessions import ExplorerSession
        from textual_serve.download_manager import DownloadManager

        async def nothing(*_):
            return None

        async def main():
            session = ExplorerSession(ExplorerLaunch({DEAF!r}, {{}}, None), write_bytes=nothing,
                                      write_str=nothing, close=nothing, download_manager=DownloadManager())
            await session.start(80, 24)
            print(session.pid, flush=True)
            await asyncio.sleep(120)

        asyncio.run(main())
    """)
    serve = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True,
                             cwd=Path(__file__).resolve().parents[2])
    child: int | None = None
    try:
        assert serve.stdout is not None
        child = int(serve.stdout.readline())
        assert not _gone(child)
        os.kill(serve.pid, signal.SIGKILL)
        serve.wait(10)
        wait_until(lambda: _gone(child), timeout=10, message=f"explorer pid {child} to die with serve")
    finally:
        if serve.poll() is None:
            serve.kill()
            serve.wait(10)
        if child is not None and not _gone(child):  # the test failed: leave nothing behind
            os.kill(child, signal.SIGKILL)
