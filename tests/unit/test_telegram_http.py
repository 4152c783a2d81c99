"""AiohttpRequest, the bot's Bot API client: PTB's errors for every failure, parameters as a JSON body."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from telegram.error import NetworkError, TimedOut
from telegram.request import RequestData
from telegram.request._requestparameter import RequestParameter

from bot.runtime.telegram_http import AiohttpRequest


@pytest.fixture
async def server() -> AsyncIterator[tuple[str, list[web.Request], asyncio.Event]]:
    seen: list[web.Request] = []
    release = asyncio.Event()

    async def echo(request: web.Request) -> web.Response:
        seen.append(request)
        return web.json_response({"ok": True, "type": request.content_type, "result": await request.json()})

    async def never(request: web.Request) -> web.Response:
        await release.wait()
        return web.json_response({"ok": True, "result": True})

    app = web.Application()
    app.router.add_post("/echo", echo)
    app.router.add_post("/never", never)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    yield f"http://127.0.0.1:{port}", seen, release
    release.set()
    await runner.cleanup()


async def test_parameters_go_as_json_with_the_user_agent(server) -> None:
    base, seen, _ = server
    request = AiohttpRequest()
    await request.initialize()
    try:
        data = RequestData([RequestParameter("chat_id", 5, []), RequestParameter("text", "غزة & <b>", [])])
        status, body = await request.do_request(f"{base}/echo", "POST", data)
    finally:
        await request.shutdown()
    assert status == 200
    assert json.loads(body) == {"ok": True, "type": "application/json", "result": {"chat_id": "5", "text": "غزة & <b>"}}
    assert seen[0].headers["User-Agent"] == AiohttpRequest.USER_AGENT


async def test_a_refused_connection_is_a_network_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    request = AiohttpRequest()
    await request.initialize()
    try:
        with pytest.raises(NetworkError, match="aiohttp"):
            await request.do_request(f"http://127.0.0.1:{port}/x", "POST")
    finally:
        await request.shutdown()


async def test_no_answer_within_the_read_timeout_is_timed_out(server) -> None:
    base, _, _ = server
    request = AiohttpRequest(read_timeout=0.01)
    await request.initialize()
    try:
        with pytest.raises(TimedOut):
            await request.do_request(f"{base}/never", "POST")
    finally:
        await request.shutdown()


async def test_requests_before_initialize_or_after_shutdown_are_refused() -> None:
    request = AiohttpRequest()
    with pytest.raises(RuntimeError, match="not initialized"):
        await request.do_request("http://127.0.0.1:1/x", "POST")
    await request.initialize()
    await request.shutdown()
    with pytest.raises(RuntimeError, match="not initialized"):
        await request.do_request("http://127.0.0.1:1/x", "POST")
    assert request.read_timeout == 5.0


@pytest.fixture
async def proxy() -> AsyncIterator[tuple[str, list[str]]]:
    """A forward proxy that answers every request itself and records the absolute URL it was asked for."""
    asked: list[str] = []

    async def forward(request: web.Request) -> web.Response:
        asked.append(str(request.url))
        return web.json_response({"ok": True, "result": True})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", forward)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    yield f"http://127.0.0.1:{runner.addresses[0][1]}", asked
    await runner.cleanup()


def only_proxy_env(monkeypatch: pytest.MonkeyPatch, **names: str) -> None:
    """The proxy variables set to `names` alone (lower case wins over upper case in urllib)."""
    for name in ("http_proxy", "https_proxy", "all_proxy", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)
    for name, value in names.items():
        monkeypatch.setenv(name, value)


async def test_requests_go_through_the_proxy_the_environment_names(proxy, monkeypatch) -> None:
    address, asked = proxy
    only_proxy_env(monkeypatch, HTTP_PROXY=address)
    request = AiohttpRequest()
    await request.initialize()
    try:
        status, _ = await request.do_request("http://api.telegram.invalid/botTOKEN/getMe", "POST")
        await request.do_request("http://api.telegram.invalid/botTOKEN/getUpdates", "POST")
    finally:
        await request.shutdown()
    assert status == 200
    assert [url.rsplit("/", 1)[1] for url in asked] == ["getMe", "getUpdates"]
    assert all(url.startswith("http://api.telegram.invalid/") for url in asked)


async def test_no_proxy_sends_a_host_directly(proxy, monkeypatch) -> None:
    address, asked = proxy
    only_proxy_env(monkeypatch, HTTP_PROXY=address, NO_PROXY="api.telegram.invalid")
    request = AiohttpRequest()
    await request.initialize()
    try:
        with pytest.raises(NetworkError):  # the name does not resolve: it was not handed to the proxy
            await request.do_request("http://api.telegram.invalid/botTOKEN/getMe", "POST")
    finally:
        await request.shutdown()
    assert asked == []


ANSWERS = [
    (403, {"ok": False, "error_code": 403, "description": "Forbidden: bot was blocked by the user"}),
    (400, {"ok": False, "error_code": 400, "description": "Bad Request: message is not modified"}),
    (429, {"ok": False, "error_code": 429, "description": "Too Many Requests", "parameters": {"retry_after": 7}}),
    (400, {"ok": False, "error_code": 400, "description": "migrated", "parameters": {"migrate_to_chat_id": -100123}}),
    (401, {"ok": False, "error_code": 401, "description": "Unauthorized"}),
    (409, {"ok": False, "error_code": 409, "description": "Conflict: terminated by other getUpdates request"}),
    (502, None),
    (500, {"ok": False, "error_code": 500, "description": "Internal Server Error", "parameters": {"odd": 1}}),
]


@pytest.fixture
async def answering() -> AsyncIterator[str]:
    async def answer(request: web.Request) -> web.Response:
        status = int(request.match_info["status"])
        which = int(request.match_info["which"])
        body = ANSWERS[which][1]
        if body is None:
            return web.Response(status=status, text="<html>Bad Gateway</html>")
        return web.json_response(body, status=status)

    async def ok(request: web.Request) -> web.Response:
        return web.json_response({"ok": True, "result": {"message_id": 41, "echo": await request.json()}})

    app = web.Application()
    app.router.add_post("/answer/{which}/{status}", answer)
    app.router.add_post("/sendMessage", ok)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    await runner.cleanup()


async def test_direct_calls_raise_what_python_telegram_bot_raises(answering) -> None:
    """`call` skips PTB's objects for the answer, not its errors: each failure raises the same
    exception, with the same message, as PTB's own request path (`BaseRequest.post`)."""
    request = AiohttpRequest()
    await request.initialize()
    try:
        for which, (status, _) in enumerate(ANSWERS):
            url = f"{answering}/answer/{which}/{status}"
            with pytest.raises(Exception) as ptb:
                await request.post(url, RequestData([RequestParameter("chat_id", 5, [])]))
            with pytest.raises(Exception) as ours:
                await request.call(url, {"chat_id": 5})
            assert type(ours.value) is type(ptb.value), (status, ours.value, ptb.value)
            assert str(ours.value) == str(ptb.value)
        sent = await request.call(f"{answering}/sendMessage", {"chat_id": 5, "text": "غزة"})
    finally:
        await request.shutdown()
    assert sent == {"message_id": 41, "echo": {"chat_id": 5, "text": "غزة"}}
