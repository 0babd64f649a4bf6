"""The access check in front of textual-serve, through aiohttp's test client (no browser, no Kafka).

The guarded app here has stand-in handlers; the real routes are in test_server_routes.py.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from tui.serve.guard import REFUSED, Guard, Origin, same

TOKEN = "t0ken-for-the-tests-only-0123456789"
PUBLIC = "http://explorer.test:8765"
HOST = {"Host": "explorer.test:8765"}
COOKIE = "kx-serve-8765"


async def _page(request: web.Request) -> web.Response:
    return web.Response(text="the page")


async def _socket(request: web.Request) -> web.WebSocketResponse:
    ws = web.WebSocketResponse()
    await ws.prepare(request)
    await ws.send_str("explorer")
    await ws.close()
    return ws


def _app(public_url: str = PUBLIC) -> web.Application:
    guard = Guard(TOKEN, public_url)
    app = web.Application(middlewares=[guard.middleware])
    app.add_routes([web.get("/", _page), web.get("/ws", _socket), web.get("/download/{key}", _page),
                    web.get("/static/{name}", _page)])
    return app


@pytest.fixture
async def client() -> AsyncIterator[TestClient[web.Request, web.Application]]:
    async with TestClient(TestServer(_app())) as test_client:
        yield test_client


async def test_the_page_without_a_token_is_refused_without_saying_it(client: TestClient) -> None:
    response = await client.get("/", headers=HOST)
    assert response.status == 403
    body = await response.text()
    assert body == REFUSED
    assert TOKEN not in body
    assert "Set-Cookie" not in response.headers


@pytest.mark.parametrize("token", ["wrong", "", TOKEN[:-1], TOKEN + "x", TOKEN.upper()])
async def test_a_wrong_token_is_refused(client: TestClient, token: str) -> None:
    response = await client.get("/", params={"token": token}, headers=HOST)
    assert response.status == 403
    assert "Set-Cookie" not in response.headers


async def test_the_right_token_gives_the_page_and_a_private_cookie(client: TestClient) -> None:
    response = await client.get("/", params={"token": TOKEN}, headers=HOST)
    assert response.status == 200
    assert await response.text() == "the page"
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith(f"{COOKIE}={TOKEN};")
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")[1:]}
    assert {"httponly", "samesite", "path"} <= attributes
    assert "SameSite=Strict" in cookie
    assert "secure" not in attributes  # plain http: a Secure cookie would never come back


async def test_the_cookie_alone_opens_the_page_again(client: TestClient) -> None:
    response = await client.get("/", headers={**HOST, "Cookie": f"{COOKIE}={TOKEN}"})
    assert response.status == 200
    # a wrong token in the URL is refused even with the cookie: the URL says what it means
    response = await client.get("/", params={"token": "wrong"}, headers={**HOST, "Cookie": f"{COOKIE}={TOKEN}"})
    assert response.status == 403


async def test_a_cookie_for_another_port_or_value_is_refused(client: TestClient) -> None:
    for cookie in (f"kx-serve-9999={TOKEN}", f"{COOKIE}=wrong"):
        response = await client.get("/", headers={**HOST, "Cookie": cookie})
        assert response.status == 403, cookie


async def test_pages_say_nobody_frames_them_and_the_address_is_never_a_referrer(client: TestClient) -> None:
    response = await client.get("/", params={"token": TOKEN}, headers=HOST)
    headers = response.headers
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert "connect-src 'self' ws://explorer.test:8765" in headers["Content-Security-Policy"]
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["Cache-Control"] == "no-store"


async def _ws_status(client: TestClient, headers: dict[str, str], params: dict[str, str] | None = None) -> int:
    try:
        ws = await client.ws_connect("/ws", headers={**HOST, **headers}, params=params)
    except aiohttp.WSServerHandshakeError as exc:
        return exc.status
    assert await ws.receive_str() == "explorer"
    await ws.close()
    return 101


async def test_the_websocket_needs_the_cookie_and_its_own_origin(client: TestClient) -> None:
    cookie = {"Cookie": f"{COOKIE}={TOKEN}"}
    assert await _ws_status(client, {"Origin": PUBLIC}) == 403  # no cookie
    assert await _ws_status(client, {"Origin": PUBLIC}, {"token": TOKEN}) == 403  # the token only opens "/"
    assert await _ws_status(client, {**cookie, "Origin": "http://evil.example"}) == 403
    assert await _ws_status(client, {**cookie, "Origin": "http://explorer.test:8766"}) == 403
    assert await _ws_status(client, {**cookie, "Origin": "null"}) == 403
    assert await _ws_status(client, cookie) == 403  # no Origin at all
    assert await _ws_status(client, {**cookie, "Origin": PUBLIC}) == 101


async def test_static_files_are_public_and_downloads_are_not(client: TestClient) -> None:
    assert (await client.get("/static/textual.js", headers=HOST)).status == 200
    assert (await client.get("/download/abc", headers=HOST)).status == 403
    assert (await client.get("/download/abc", headers={**HOST, "Cookie": f"{COOKIE}={TOKEN}"})).status == 200


async def test_another_name_for_the_address_is_refused_everywhere(client: TestClient) -> None:
    # a DNS name rebound to this address, or localhost instead of the printed 127.0.0.1
    for path in ("/static/textual.js", f"/?token={TOKEN}"):
        response = await client.get(path, headers={"Host": "evil.example:8765"})
        assert response.status == 403, path
        assert "open http://explorer.test:8765/" in await response.text()


async def test_behind_https_the_cookie_is_secure() -> None:
    async with TestClient(TestServer(_app("https://room.example"))) as https_client:
        response = await https_client.get("/", params={"token": TOKEN}, headers={"Host": "room.example"})
        assert response.status == 200
        assert "Secure" in response.headers["Set-Cookie"]
        assert "connect-src 'self' wss://room.example" in response.headers["Content-Security-Policy"]


def test_origins_are_named_as_browsers_name_them() -> None:
    assert str(Origin.of("http://127.0.0.1:8765/")) == "http://127.0.0.1:8765"
    assert str(Origin.of("HTTP://Room.Example:80/x")) == "http://room.example"
    assert str(Origin.of("https://room.example:443")) == "https://room.example"
    assert Origin.of("http://[::1]:8765").authority == "[::1]:8765"
    assert Origin.of("https://room.example").websocket == "wss://room.example"
    for bad in ("ftp://x", "room.example:8765", "http://"):
        with pytest.raises(ValueError):
            Origin.of(bad)


def test_same_compares_whole_values_and_never_none() -> None:
    assert same("abc", "abc")
    assert not same("abc", "abd")
    assert not same(None, "abc")
    assert not same("", "abc")
