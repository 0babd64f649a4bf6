"""Headless Chromium driven through its DevTools protocol, in Python: a page that navigates, takes
screenshots, presses keys, and hands back the text the page's WebSockets received (the explorer's
screen output, with terminal escapes removed). Test helper, not part of the app.

Chromium starts with the flags that work on a machine with a closed network (no background
networking, no component updates, no sync), a fresh profile, and DevTools on a free loopback port
that it writes to ``DevToolsActivePort``. :meth:`Chromium.close` ends its whole process group.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import aiohttp

FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0")
_ESCAPES = re.compile(rb"\x1b\[[0-9;?<>=]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[()][0-9A-Z]|"
                      rb"\x1b[=>78cDEHM]")


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def terminal_text(data: bytes) -> str:
    """What a terminal stream says, escapes removed (cursor moves become nothing)."""
    return _ESCAPES.sub(b"", data).decode("utf-8", "replace")


class Chromium:
    def __init__(self, process: subprocess.Popen[bytes], port: int, profile: Path) -> None:
        self.process = process
        self.port = port
        self.profile = profile

    @classmethod
    def launch(cls, workdir: Path, width: int = 1280, height: int = 800, within: float = 30.0) -> Chromium:
        """Start Chromium and wait (at most ``within`` seconds) until its DevTools port is known."""
        executable = chromium_path()
        assert executable is not None, "chromium is not installed"
        profile = workdir / "chromium-profile"
        profile.mkdir(parents=True)
        with (workdir / "chromium.log").open("wb") as log:
            process = subprocess.Popen([executable, *FLAGS, f"--user-data-dir={profile}",
                                        f"--window-size={width},{height}", "about:blank"],
                                       stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                       start_new_session=True)
        active = profile / "DevToolsActivePort"
        deadline = time.monotonic() + within
        while not (active.exists() and active.read_text().strip()):
            if process.poll() is not None or time.monotonic() > deadline:
                cls._end(process)
                raise AssertionError(f"chromium did not open DevTools within {within:.0f} s; see "
                                     f"{workdir / 'chromium.log'}")
            time.sleep(0.1)
        return cls(process, int(active.read_text().split()[0]), profile)

    async def page(self) -> Page:
        session = aiohttp.ClientSession()
        async with session.get(f"http://127.0.0.1:{self.port}/json/list") as response:
            targets = await response.json()
        target = next(t for t in targets if t["type"] == "page")
        socket = await session.ws_connect(target["webSocketDebuggerUrl"], max_msg_size=0)
        page = Page(session, socket)
        await page.send("Network.enable")
        await page.send("Log.enable")
        return page

    def close(self) -> None:
        self._end(self.process)

    @staticmethod
    def _end(process: subprocess.Popen[bytes]) -> None:
        """SIGTERM to Chromium's process group (renderers, GPU and zygote processes too), then
        SIGKILL if it lingers."""
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(process.pid, sig)
            except ProcessLookupError:
                break
            try:
                process.wait(10)
                break
            except subprocess.TimeoutExpired:
                continue


class Page:
    """One tab: commands in, events (WebSocket frames received, console and log entries) collected."""

    def __init__(self, session: aiohttp.ClientSession, socket: aiohttp.ClientWebSocketResponse) -> None:
        self._session = session
        self._socket = socket
        self._ids = itertools.count(1)
        self._pending: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self.received = bytearray()
        """Everything the page's WebSockets received, in order (the explorer's screen output)."""
        self.log: list[str] = []
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for message in self._socket:
            data = json.loads(message.data)
            if "id" in data:
                future = self._pending.pop(data["id"], None)
                if future is not None and not future.done():
                    future.set_result(data)
            elif data.get("method") == "Network.webSocketFrameReceived":
                frame = data["params"]["response"]
                payload = frame["payloadData"]
                self.received += base64.b64decode(payload) if frame["opcode"] == 2 else payload.encode()
            elif data.get("method") == "Log.entryAdded":
                entry = data["params"]["entry"]
                self.log.append(f"{entry['level']}: {entry['text']}")

    async def send(self, method: str, **params: Any) -> dict[str, Any]:
        number = next(self._ids)
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending[number] = future
        await self._socket.send_json({"id": number, "method": method, "params": params})
        reply = await asyncio.wait_for(future, 30)
        assert "error" not in reply, f"{method}: {reply['error']}"
        result: dict[str, Any] = reply.get("result", {})
        return result

    def text(self, since: int = 0) -> str:
        return terminal_text(bytes(self.received[since:]))

    async def wait_for_text(self, *needles: str, since: int = 0, within: float = 60.0) -> str:
        """The received text once it holds every needle; AssertionError with what it held otherwise."""
        deadline = time.monotonic() + within
        while True:
            text = self.text(since)
            if all(needle in text for needle in needles):
                return text
            if time.monotonic() > deadline:
                missing = [n for n in needles if n not in text]
                raise AssertionError(f"the page never showed {missing} within {within:.0f} s; it "
                                     f"showed: {text[-1500:]!r}; log: {self.log[-10:]}")
            await asyncio.sleep(0.1)

    async def navigate(self, url: str) -> None:
        await self.send("Page.navigate", url=url)

    async def evaluate(self, expression: str) -> Any:
        reply = await self.send("Runtime.evaluate", expression=expression, returnByValue=True)
        return reply.get("result", {}).get("value")

    async def screenshot(self) -> bytes:
        """The page as a PNG."""
        return base64.b64decode((await self.send("Page.captureScreenshot", format="png"))["data"])

    async def press(self, key: str, code: str, key_code: int) -> None:
        """A real key press (down, up) in the focused element."""
        await self.send("Input.dispatchKeyEvent", type="keyDown", key=key, code=code, text=key,
                        windowsVirtualKeyCode=key_code)
        await self.send("Input.dispatchKeyEvent", type="keyUp", key=key, code=code,
                        windowsVirtualKeyCode=key_code)

    async def close(self) -> None:
        self._reader.cancel()
        await self._socket.close()
        await self._session.close()
