"""The real serve routes (textual-serve's page, the namespace cookie, the session limit), through
aiohttp's test client: no browser, no Kafka, no explorer process."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Iterator

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer

from tui.kafka.connection import Connection
from tui.serve.child import ExplorerLaunch, explorer_launch
from tui.serve.namespace import NamespaceCounter
from tui.serve.server import ExplorerServer

TOKEN = "route-test-token-0123456789abcdef"


@pytest.fixture
def bound() -> Iterator[socket.socket]:
    """A socket that fixes the port the page names (the test server listens on its own)."""
    with socket.create_server(("127.0.0.1", 0)) as sock:
        yield sock


def _launcher(namespace: str | None) -> ExplorerLaunch:
    return explorer_launch(Connection("127.0.0.1:9"), namespace=namespace)


def _server(sock: socket.socket, *, namespaces: bool, said: list[str] | None = None,
            max_sessions: int = 40) -> ExplorerServer:
    port = sock.getsockname()[1]
    return ExplorerServer(sock, f"http://127.0.0.1:{port}", TOKEN, _launcher,
                          namespaces=NamespaceCounter() if namespaces else None,
                          max_sessions=max_sessions, say=(said if said is not None else []).append)


@pytest.fixture
async def spread(bound: socket.socket) -> AsyncIterator[tuple[TestClient, str]]:
    server = _server(bound, namespaces=True)
    async with TestClient(TestServer(await server._make_app()), cookie_jar=aiohttp.DummyCookieJar()) as client:
        yield client, f"127.0.0.1:{bound.getsockname()[1]}"


async def _visit(client: TestClient, host: str, cookies: str = "", **query: str) -> aiohttp.ClientResponse:
    headers = {"Host": host, **({"Cookie": cookies} if cookies else {})}
    return await client.get("/", params={"token": TOKEN, **query}, headers=headers)


def _cookie(response: aiohttp.ClientResponse, prefix: str) -> str | None:
    for value in response.headers.getall("Set-Cookie", []):
        name, _, rest = value.partition("=")
        if name.startswith(prefix):
            return rest.split(";")[0]
    return None


async def test_the_page_is_textual_serves_pointing_at_this_address(spread: tuple[TestClient, str]) -> None:
    client, host = spread
    response = await _visit(client, host)
    assert response.status == 200
    page = await response.text()
    assert f'data-session-websocket-url="ws://{host}/ws"' in page
    assert TOKEN not in page  # the token rides in the cookie, not in the page or the WebSocket URL
    assert "kafka-explorer" in page


async def test_each_browser_gets_its_namespace_and_keeps_it(spread: tuple[TestClient, str]) -> None:
    client, host = spread
    port = host.rsplit(":", 1)[1]
    first = _cookie(await _visit(client, host), "kx-namespace-")
    second = _cookie(await _visit(client, host), "kx-namespace-")
    assert (first, second) == ("p1", "p2")
    again = await _visit(client, host, cookies=f"kx-namespace-{port}=p1")
    assert _cookie(again, "kx-namespace-") == "p1"  # a reload goes on under the same names
    typed = await _visit(client, host, name="alice")
    assert _cookie(typed, "kx-namespace-") == "alice"


async def test_a_typed_name_that_cannot_prefix_kafka_names_is_one_sentence(
        spread: tuple[TestClient, str]) -> None:
    client, host = spread
    response = await _visit(client, host, name="no spaces/please")
    assert response.status == 400
    text = await response.text()
    assert text.startswith("kafka-explorer: A namespace is 1 to 24 letters")
    assert text.count("\n") == 1


async def test_without_namespaces_no_namespace_cookie(bound: socket.socket) -> None:
    server = _server(bound, namespaces=False)
    async with TestClient(TestServer(await server._make_app()), cookie_jar=aiohttp.DummyCookieJar()) as client:
        response = await _visit(client, f"127.0.0.1:{bound.getsockname()[1]}", name="alice")
        assert response.status == 200
        assert _cookie(response, "kx-namespace-") is None


async def test_beyond_the_session_limit_a_connection_is_refused(bound: socket.socket) -> None:
    said: list[str] = []
    server = _server(bound, namespaces=False, said=said, max_sessions=1)
    server.sessions[object()] = object()  # type: ignore[index]  # one explorer runs already
    port = bound.getsockname()[1]
    async with TestClient(TestServer(await server._make_app()), cookie_jar=aiohttp.DummyCookieJar()) as client:
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await client.ws_connect("/ws", headers={"Host": f"127.0.0.1:{port}",
                                                    "Origin": f"http://127.0.0.1:{port}",
                                                    "Cookie": f"kx-serve-{port}={TOKEN}"})
        assert refused.value.status == 503
        server.sessions.clear()
    assert said == ["refused a browser connection: 1 explorers run already (--max-sessions)"]
