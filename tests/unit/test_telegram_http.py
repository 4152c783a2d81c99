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

from bot.telegram_http import AiohttpRequest


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
