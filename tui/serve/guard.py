"""The access check in front of textual-serve, which has none of its own (any web page the user
visited could open its WebSocket and type into the explorer).

* Every request must name the served address in its ``Host`` header (no DNS-rebinding detours).
* ``/`` needs ``?token=…`` (compared in constant time) or the cookie a first visit with the token set:
  ``HttpOnly`` (page scripts cannot read it), ``SameSite=Strict`` (no other site's page makes the
  browser send it), named after the port (cookies are not kept apart by port).
* ``/ws`` — the explorer itself — needs that cookie AND an ``Origin`` equal to the served address, so
  a page elsewhere cannot drive it even in a browser that holds the cookie. The page's script adds
  ``?width=&height=`` to the WebSocket URL, which is one more reason the token rides in the cookie.
* ``/static`` (textual-serve's script, styles and fonts) stays public; anything else needs the cookie.
* Pages say who may frame them (nobody), where they may connect (here) and that the address (with
  the token) is never sent on as a referrer.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

REFUSED = ("kafka-explorer: this address needs its access token; open the URL that `kafka-explorer "
           "serve` printed.\n")
_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}


@dataclass(frozen=True)
class Origin:
    """scheme, host and port of an address, as a browser names it in ``Origin`` (default port
    left out)."""

    scheme: str
    host: str
    port: int

    @classmethod
    def of(cls, url: str) -> Origin:
        """The origin of ``http(s)://host[:port]/...``; ValueError for anything else."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"{url!r} is not an http:// or https:// address")
        return cls(parts.scheme, parts.hostname.lower(), parts.port or _DEFAULT_PORTS[parts.scheme])

    @property
    def authority(self) -> str:
        """``host[:port]`` as the ``Host`` header carries it."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == _DEFAULT_PORTS[self.scheme] else f"{host}:{self.port}"

    def __str__(self) -> str:
        return f"{self.scheme}://{self.authority}"

    @property
    def websocket(self) -> str:
        return f"{'wss' if self.scheme == 'https' else 'ws'}://{self.authority}"


def same(given: str | None, expected: str) -> bool:
    """``given == expected`` in constant time (None never matches)."""
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())


def set_private_cookie(response: web.StreamResponse, name: str, value: str, origin: Origin) -> None:
    """A cookie no page script reads and no other site's page makes the browser send."""
    response.set_cookie(name, value, path="/", httponly=True, samesite="Strict",
                        secure=origin.scheme == "https")


class Guard:
    """The access rules above for one served address and token; :attr:`middleware` enforces them."""

    def __init__(self, token: str, public_url: str) -> None:
        self._token = token
        self.origin = Origin.of(public_url)
        self.cookie = f"kx-serve-{self.origin.port}"

    def allowed(self, request: web.Request) -> bool:
        """The request carries the token (query on ``/``) or the cookie a visit with it set."""
        if request.path == "/" and "token" in request.query:
            return same(request.query.get("token"), self._token)
        return same(request.cookies.get(self.cookie), self._token)

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.host.lower() != self.origin.authority:
            raise web.HTTPForbidden(text=f"kafka-explorer: open {self.origin}/ (the address `kafka-"
                                         "explorer serve` printed), not another name for it.\n")
        if request.path.startswith("/static/"):
            return self._headed(await handler(request), private=False)
        if not self.allowed(request):
            raise web.HTTPForbidden(text=REFUSED)
        if request.path == "/ws":
            if request.headers.get("Origin") != str(self.origin):
                raise web.HTTPForbidden(text="kafka-explorer: the explorer answers only its own page.\n")
            return await handler(request)
        response = await handler(request)
        if request.path == "/" and "token" in request.query:
            set_private_cookie(response, self.cookie, self._token, self.origin)
        return self._headed(response, private=True)

    def _headed(self, response: web.StreamResponse, *, private: bool) -> web.StreamResponse:
        headers = response.headers
        headers["Content-Security-Policy"] = (
            "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
            f"connect-src 'self' {self.origin.websocket}; img-src 'self' data:; font-src 'self'; "
            "frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
        headers["X-Frame-Options"] = "DENY"
        headers["Referrer-Policy"] = "no-referrer"
        headers["X-Content-Type-Options"] = "nosniff"
        if private:  # the page of a token URL is not kept in any cache
            headers["Cache-Control"] = "no-store"
        return response
