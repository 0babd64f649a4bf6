"""The engine part that keeps the open record browsers, and the handle callers read them through.

Commands run on the engine's command thread but never wait on Kafka: opening starts the browser's own
thread; pause and seek are queued to it. The UI reads ``handle.view()`` on a timer (a reference to
the latest frozen view); a headless reader takes every record with ``take()``.
"""

from __future__ import annotations

import itertools
import threading
import time
from typing import TYPE_CHECKING

from tui.engine.browse.commands import BrowseClose, BrowseOpen, BrowsePause, BrowseSeek
from tui.engine.browse.start import StartAt
from tui.engine.browse.views import BrowseRecordView, BrowseView
from tui.engine.commands import Command
from tui.engine.context import EngineContext

if TYPE_CHECKING:
    from tui.engine.browse.reader import Browser

MAX_OPEN = 16
"""Browsers kept at once; the oldest finished ones are forgotten first."""


class BrowseHandle:
    """A live handle on one browser: what :class:`BrowseOpen` resolves with. Any thread."""

    def __init__(self, browser: Browser) -> None:
        self._browser = browser

    @property
    def browser_id(self) -> int:
        return self._browser.browser_id

    @property
    def group(self) -> str:
        """The throwaway group id its consumer was given (librdkafka wants one; it is never joined)."""
        return self._browser.group

    def view(self) -> BrowseView:
        """The latest frozen view (never waits)."""
        return self._browser.view()

    def wait_ready(self, timeout: float = 15.0) -> BrowseView:
        """The view once the start offsets are known or the open failed (blocks: not the UI thread)."""
        return self._browser.wait_ready(timeout)

    def wait_records(self, since: int, timeout: float) -> BrowseView:
        """Until more than ``since`` records matched or the browser ended (blocks)."""
        return self._browser.wait_records(since, timeout)

    def take(self, since: int = 0, limit: int = 1000) -> tuple[tuple[BrowseRecordView, ...], int, int]:
        """``(records, next, missed)``: matching records numbered ``since`` on, in order, the number to
        continue from, and how many were dropped before they were taken (never with ``lossless``)."""
        return self._browser.take(since, limit)


class Browsers:
    def __init__(self, ctx: EngineContext) -> None:
        self._ctx = ctx
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._open: dict[int, Browser] = {}
        self._closing: list[Browser] = []
        """Closed by command: their threads are joined at shutdown."""

    def handle(self, cmd: Command) -> BrowseHandle | None:
        if isinstance(cmd, BrowseOpen):
            return self.open(cmd)
        if not isinstance(cmd, BrowseSeek | BrowsePause | BrowseClose):
            raise ValueError(f"The record browser does not handle {type(cmd).__name__}.")
        browser = self._get(cmd.browser_id)
        if isinstance(cmd, BrowseSeek):
            if cmd.start is not None:
                StartAt.parse(cmd.start)
            if cmd.filters is not None:
                cmd.filters.validate()
            browser.request("seek", (cmd.start, cmd.filters))
            return BrowseHandle(browser)
        if isinstance(cmd, BrowsePause):
            browser.request("pause", cmd.paused)
            return None
        with self._lock:
            self._open.pop(cmd.browser_id, None)
            self._closing = [b for b in self._closing if b.alive] + [browser]
        browser.stop()  # its thread closes the consumer; close() joins it at shutdown
        return None

    def open(self, cmd: BrowseOpen) -> BrowseHandle:
        from tui.engine.browse.reader import Browser  # librdkafka only where a browser runs

        spec = cmd.validate()
        with self._lock:
            if len(self._open) >= MAX_OPEN:
                ended = [b for b in self._open.values() if b.view().final]
                for old in ended[: len(self._open) - MAX_OPEN + 1]:
                    del self._open[old.browser_id]
                    old.stop()
                    self._closing.append(old)
            if len(self._open) >= MAX_OPEN:
                raise ValueError(f"{MAX_OPEN} record browsers are open already; close one first.")
            browser = Browser(next(self._ids), self._ctx.connection.client_conf(), spec,
                              self._ctx.run_id)
            self._open[browser.browser_id] = browser
        browser.start()
        self._ctx.bus.publish("browse.opened", "browse", f"browsing {spec.topic} from "
                              f"{StartAt.parse(spec.start).text()} (no group joined, nothing committed)",
                              "info", topic=spec.topic, browser=browser.browser_id)
        return BrowseHandle(browser)

    def get(self, browser_id: int) -> BrowseHandle | None:
        with self._lock:
            browser = self._open.get(browser_id)
        return None if browser is None else BrowseHandle(browser)

    def _get(self, browser_id: int) -> Browser:
        with self._lock:
            browser = self._open.get(browser_id)
        if browser is None:
            raise ValueError(f"No record browser {browser_id} is open.")
        return browser

    def close(self, timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        with self._lock:
            browsers = [*self._open.values(), *self._closing]
            self._open.clear()
            self._closing.clear()
        for browser in browsers:
            browser.stop()
        for browser in browsers:
            browser.close(max(0.1, deadline - time.monotonic()))
