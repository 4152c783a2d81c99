"""The HTTP front: ``/bot<token>/<method>`` on aiohttp, parameters read as Telegram reads them
(query string, JSON or form), faults applied first, and the Bot API's JSON answer or refusal."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from aiohttp import web

from bot.devtools.emulator.faults import DROPPED
from bot.devtools.emulator.methods import METHODS
from bot.devtools.emulator.rules import Params, bad_request
from bot.devtools.emulator.state import ApiError, CallRecord, JSONDict
from bot.devtools.emulator.world import World

__all__ = ["DUMPS", "make_app"]

DUMPS = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def error_response(error: ApiError) -> web.Response:
    body: JSONDict = {"ok": False, "error_code": error.status, "description": error.description}
    if error.retry_after is not None:
        body["parameters"] = {"retry_after": error.retry_after}
    if error.migrate_to_chat_id is not None:
        body["parameters"] = {"migrate_to_chat_id": error.migrate_to_chat_id}
    return web.Response(status=error.status, body=DUMPS(body).encode(), content_type="application/json")


async def read_params(request: web.Request) -> Params:
    raw: dict[str, Any] = dict(request.query) if request.query_string else {}
    if not request.body_exists:
        return Params(raw)
    content_type = request.content_type
    try:
        if content_type == "application/json":
            body = json.loads(await request.read())
            if not isinstance(body, dict):
                raise bad_request("parameters must be a JSON object")
            raw.update(body)
        elif content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            form = await request.post()
            for key, value in form.items():
                raw[key] = value if isinstance(value, str) else getattr(value, "filename", "file")
        else:
            await request.read()
    except ApiError:
        raise
    except Exception:  # whatever a malformed body breaks in the parsers, the answer is a 400
        raise bad_request("can't parse request body") from None
    return Params(raw)


def make_app(world: World) -> web.Application:
    """The aiohttp application answering the Bot API for ``world``."""
    methods = METHODS

    def refuse(method: str, params: JSONDict, error: ApiError) -> web.Response:
        world.record_refusal(method, params, error.status, error.description)
        return error_response(error)

    async def handle(request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"].lower()
        faults = world.faults
        if faults.active:
            fault = await faults.strike(method)
            if fault is not None:
                if fault.status != DROPPED:
                    return refuse(method, {}, fault)
                world.record_refusal(method, {}, DROPPED, fault.description)
                if request.transport is not None:
                    request.transport.abort()
                raise asyncio.CancelledError
        if world.valid_token is not None and request.match_info["token"] != world.valid_token:
            return refuse(method, {}, ApiError(401, "Unauthorized"))
        implementation = methods.get(method)
        if implementation is None:
            return refuse(method, {}, ApiError(404, "Not Found"))
        try:
            params = await read_params(request)
        except ApiError as error:
            return refuse(method, {}, error)
        try:
            result = await implementation(world, params)
        except ApiError as error:
            return refuse(method, params.raw, error)
        if world.record_calls:
            world.calls.append(CallRecord(method, params.raw, 200, None, world.clock()))
        return web.Response(body=DUMPS({"ok": True, "result": result}).encode(), content_type="application/json")

    async def file(request: web.Request) -> web.Response:
        return error_response(ApiError(404, "Not Found"))

    app = web.Application(client_max_size=10 * 1024 * 1024)
    app.router.add_route("*", "/bot{token}/{method}", handle)
    app.router.add_route("*", "/file/bot{token}/{path:.*}", file)
    return app
