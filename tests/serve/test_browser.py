"""``kafka-explorer serve`` in a real browser: headless Chromium (Debian's ``chromium``) opens the
printed URL, shows the explorer, takes the key ``2`` and shows the Produce screen; the served
address refuses requests without the token and WebSockets from another origin.

One ``serve`` per module, on the suite's 1-node lab and a free loopback port. Every process the test
starts (serve and the explorers it starts, Chromium and its helpers) is ended by its id, and the
explorers are checked to be gone once serve is.
"""

from __future__ import annotations

import os
import re
import signal
import struct
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import pytest

from tests.helpers import wait_until
from tests.serve.devtools import Chromium, chromium_path
from tui.lab import LabCluster

pytestmark = [pytest.mark.kafka, pytest.mark.browser]

ROOT = Path(__file__).resolve().parents[2]
NAMESPACE = "room-a"


@dataclass
class Served:
    process: subprocess.Popen[str]
    url: str
    """The printed URL, token included."""
    lines: list[str] = field(default_factory=list)

    @property
    def base(self) -> str:
        return self.url.split("/?", 1)[0]

    @property
    def token(self) -> str:
        return self.url.rsplit("token=", 1)[1]

    def explorer_pids(self) -> list[int]:
        return [int(m.group(1)) for line in list(self.lines)
                if (m := re.match(r"browser connected: explorer pid (\d+)", line))]


def _read_lines(stream: object, into: list[str]) -> None:
    for line in stream:  # type: ignore[attr-defined]
        into.append(line.rstrip("\n"))


def _gone(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except FileNotFoundError:
        return True


@pytest.fixture(scope="module")
def served(lab1: LabCluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    home = tmp_path_factory.mktemp("serve")
    env = {**os.environ, "KX_CONFIG_DIR": str(home / "config"), "KX_STATE_DIR": str(home / "state")}
    process = subprocess.Popen(
        [sys.executable, "-m", "tui", "--state-dir", str(lab1.dir), "serve", "--port", "0",
         "--host", "127.0.0.1", "--namespaces"],
        cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True, start_new_session=True)
    lines: list[str] = []
    threading.Thread(target=_read_lines, args=(process.stdout, lines), daemon=True).start()
    try:
        url = wait_until(lambda: next((m.group(0) for line in list(lines)
                                       if (m := re.search(r"http://127\.0\.0\.1:\d+/\?token=\S+", line))),
                                      None) or (process.poll() is not None and "exited"),
                         timeout=60, message="serve to print its URL")
        assert url != "exited", "\n".join(lines)
        yield Served(process, url, lines)
    finally:
        pids = Served(process, "", lines).explorer_pids()
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(40)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)
            pytest.fail("serve did not stop within 40 s of SIGTERM:\n" + "\n".join(lines[-20:]))
        for pid in pids:  # serve ends its explorers before it exits
            if not _gone(pid):
                os.kill(pid, signal.SIGKILL)
                pytest.fail(f"explorer pid {pid} outlived serve")
        assert process.returncode == 0, "\n".join(lines[-20:])


def _get(url: str, cookie: str | None = None) -> tuple[int, list[str]]:
    """The status and the cookies set."""
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers.get_all("Set-Cookie") or []
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get_all("Set-Cookie") or []


def test_the_address_refuses_everything_without_its_token(served: Served) -> None:
    assert _get(f"{served.base}/")[0] == 403
    assert _get(f"{served.base}/?token=wrong")[0] == 403
    assert _get(f"{served.base}/?token={served.token[:-1]}")[0] == 403
    port = served.base.rsplit(":", 1)[1]
    status, cookies = _get(served.url)
    assert status == 200
    cookie = next(c for c in cookies if c.startswith(f"kx-serve-{port}="))
    assert "HttpOnly" in cookie
    assert "SameSite=Strict" in cookie
    name_value = cookie.split(";")[0]
    assert _get(f"{served.base}/", cookie=name_value)[0] == 200  # a reload needs only the cookie
    assert _get(f"{served.base}/static/js/textual.js")[0] == 200  # the page's own script is public


async def test_a_websocket_from_another_origin_is_refused(served: Served) -> None:
    port = served.base.rsplit(":", 1)[1]
    cookie = {"Cookie": f"kx-serve-{port}={served.token}"}
    async with aiohttp.ClientSession() as session:
        for headers in ({**cookie, "Origin": "http://evil.example"},  # a page elsewhere, with the cookie
                        {"Origin": served.base},  # the right origin without the cookie
                        {**cookie, "Origin": f"http://localhost:{port}"}):
            with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                await session.ws_connect(f"{served.base.replace('http', 'ws')}/ws", headers=headers)
            assert refused.value.status == 403, headers
    assert served.explorer_pids() == []  # no explorer was started for any of them


def _saved(path: Path, data: bytes) -> bytes:
    path.write_bytes(data)
    return data


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def _distinct_rows(data: bytes) -> int:
    """How many different pixel rows the PNG has (a blank page has one)."""
    chunks, offset = [], 8
    while offset < len(data):
        length, kind = struct.unpack(">I4s", data[offset:offset + 8])
        if kind == b"IDAT":
            chunks.append(data[offset + 8:offset + 8 + length])
        offset += 12 + length
    width, height = _png_size(data)
    raw = zlib.decompress(b"".join(chunks))
    stride = len(raw) // height
    return len({raw[row * stride + 1:(row + 1) * stride] for row in range(height)})


@pytest.mark.skipif(chromium_path() is None,
                    reason="chromium is not installed and could not be: .ci/run installs Debian's "
                           "chromium (apt-get install -y chromium)")
async def test_the_explorer_in_chromium_shows_a_screen_and_takes_a_key(served: Served, tmp_path: Path) -> None:
    started = time.monotonic()
    browser = Chromium.launch(tmp_path)
    page = None
    try:
        page = await browser.page()
        await page.navigate(f"{served.url}&name={NAMESPACE}")
        # the Cluster screen, with the namespace in the header and the lab node's process read
        await page.wait_for_text("kafka-explorer", "1 Cluster", "2 Produce", "Lab nodes", "running",
                                 f"namespace {NAMESPACE}")
        wait_until(lambda: served.explorer_pids(), timeout=10, message="serve to report its explorer")
        connected = f"browser connected: explorer pid {served.explorer_pids()[0]} (namespace {NAMESPACE});"
        assert any(line.startswith(connected) for line in served.lines)
        first = _saved(tmp_path / "cluster.png", await page.screenshot())
        width, height = _png_size(first)
        assert width >= 800
        assert height >= 400
        assert _distinct_rows(first) > 50, "the first screenshot is (nearly) blank"

        seen = len(page.received)
        assert await page.evaluate("document.querySelector('.xterm-helper-textarea').focus(); "
                                   "document.activeElement.className") == "xterm-helper-textarea"
        await page.press("2", "Digit2", 50)
        await page.wait_for_text("Latest delivery reports", "New producer", since=seen)
        second = _saved(tmp_path / "produce.png", await page.screenshot())
        assert _distinct_rows(second) > 50
        assert second != first
        blocked = [line for line in page.log if "Content Security Policy" in line
                   and "fonts.googleapis.com" not in line]
        assert blocked == [], blocked  # only textual-serve's third-party font link is blocked
    finally:
        if page is not None:
            await page.close()
        browser.close()
    assert _gone(browser.process.pid)
    print(f"browser test: {time.monotonic() - started:.1f} s; screenshots in {tmp_path}")
