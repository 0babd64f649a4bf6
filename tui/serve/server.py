"""textual-serve's server with the access check of :mod:`tui.serve.guard`, an explorer process per
browser connection (:mod:`tui.serve.sessions`) and a bounded shutdown.

The upstream ``Server.serve()`` is not used: this one listens on a socket bound beforehand (so a
port in use is one sentence before anything starts, and ``--port 0`` works), writes no access log
(every first request carries the token), and on SIGINT/SIGTERM ends every explorer before it
returns.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import socket
from collections.abc import Callable
from typing import Any

import aiohttp_jinja2
import jinja2
from aiohttp import web
from textual_serve.server import Server, to_int

from tui.serve.child import ExplorerLaunch
from tui.serve.guard import Guard, set_private_cookie
from tui.serve.namespace import NamespaceCounter, NamespaceError, check_namespace
from tui.serve.sessions import ExplorerSession

log = logging.getLogger("kafka_explorer.serve")

Launcher = Callable[[str | None], ExplorerLaunch]
"""The explorer to start for a connection, given its namespace (None: namespaces are off)."""


class ExplorerServer(Server):
    def __init__(self, sock: socket.socket, public_url: str, token: str, launcher: Launcher, *,
                 namespaces: NamespaceCounter | None = None, max_sessions: int = 40,
                 say: Callable[[str], None] = print) -> None:
        host, port = sock.getsockname()[:2]
        super().__init__("kafka-explorer", host=host, port=port, title="kafka-explorer",
                         public_url=public_url.rstrip("/"))
        self.guard = Guard(token, public_url)
        self._sock = sock
        self._launcher = launcher
        self._namespaces = namespaces
        self._namespace_cookie = f"kx-namespace-{self.guard.origin.port}"
        self._max_sessions = max_sessions
        self._say = say
        self.sessions: dict[ExplorerSession, web.WebSocketResponse] = {}

    # ---- the web application -------------------------------------------------------------------

    async def _make_app(self) -> web.Application:
        app = web.Application(middlewares=[self.guard.middleware])
        aiohttp_jinja2.setup(app, loader=jinja2.FileSystemLoader(self.templates_path))
        app.add_routes([
            web.get("/", self.handle_index, name="index"),
            web.get("/ws", self.handle_websocket, name="websocket"),
            web.get("/download/{key}", self.handle_download, name="download"),
            web.static("/static", self.statics_path, show_index=False, name="static"),
        ])
        app.on_shutdown.append(self._end_sessions)
        return app

    async def handle_index(self, request: web.Request) -> Any:
        response = await super().handle_index(request)  # the page, rendered by the decorator
        if self._namespaces is not None:
            typed = request.query.get("name")
            try:
                namespace = check_namespace(typed) if typed else self._namespace_of(request)
            except NamespaceError as exc:
                raise web.HTTPBadRequest(text=f"kafka-explorer: {exc}\n") from None
            # one namespace per browser: a reload or a second tab goes on with the same names
            set_private_cookie(response, self._namespace_cookie, namespace, self.guard.origin)
        return response

    def _namespace_of(self, request: web.Request) -> str:
        """The browser's namespace (its cookie), or the next free name."""
        assert self._namespaces is not None
        try:
            return check_namespace(request.cookies.get(self._namespace_cookie, ""))
        except NamespaceError:
            return self._namespaces.next()

    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
        if len(self.sessions) >= self._max_sessions:
            self._say(f"refused a browser connection: {len(self.sessions)} explorers run already "
                      "(--max-sessions)")
            raise web.HTTPServiceUnavailable(text="kafka-explorer: too many explorers run already.\n")
        namespace = self._namespace_of(request) if self._namespaces is not None else None
        websocket = web.WebSocketResponse(heartbeat=15)

        async def close() -> None:  # the explorer quit: the browser shows "Session ended"
            await websocket.close()

        session = ExplorerSession(self._launcher(namespace), write_bytes=websocket.send_bytes,
                                  write_str=websocket.send_str, close=close,
                                  download_manager=self.download_manager)
        self.sessions[session] = websocket
        try:
            await websocket.prepare(request)
            await session.start(to_int(request.query.get("width", "80"), 80),
                                to_int(request.query.get("height", "24"), 24))
            self._say(f"browser connected: explorer pid {session.pid}{_in(namespace)}; "
                      f"{len(self.sessions)} running")
            await self._process_messages(websocket, session)
        except Exception as exc:  # a browser's bad message ends its own explorer, nothing else
            log.warning("browser connection ended: %s", exc)
        finally:
            await session.end()
            self.sessions.pop(session, None)
            await websocket.close()
            self._say(f"explorer pid {session.pid} ended{_in(namespace)}; {len(self.sessions)} running")
        return websocket

    async def _end_sessions(self, app: web.Application) -> None:
        await asyncio.gather(*(session.end() for session in list(self.sessions)))
        await asyncio.gather(*(ws.close(code=1001) for ws in list(self.sessions.values())))

    # ---- running -------------------------------------------------------------------------------

    def run(self, on_ready: Callable[[], None]) -> None:
        """Serve until SIGINT or SIGTERM; ``on_ready`` runs once the socket accepts connections."""
        asyncio.run(self._serve(on_ready))

    async def _serve(self, on_ready: Callable[[], None]) -> None:
        runner = web.AppRunner(await self._make_app(), access_log=None, handle_signals=False,
                               shutdown_timeout=5.0)
        await runner.setup()
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        before = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
        for sig in before:
            loop.add_signal_handler(sig, stop.set)
        try:
            await web.SockSite(runner, self._sock).start()
            on_ready()
            await stop.wait()
            self._say(f"stopping: ending {len(self.sessions)} explorer(s)")
        finally:
            await runner.cleanup()
            for sig, handler in before.items():
                loop.remove_signal_handler(sig)
                signal.signal(sig, handler)


def _in(namespace: str | None) -> str:
    return "" if namespace is None else f" (namespace {namespace})"
