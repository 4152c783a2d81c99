"""The bot's HTTP client for the Bot API: python-telegram-bot's `BaseRequest` over one aiohttp session.

PTB's default `HTTPXRequest` spends more CPU per call than the bot's own work does: httpcore scans
its whole pool on every request and looks up the running async library (a failed import without
sniffio) for every lock it makes. aiohttp's connector keeps idle keep-alive connections in a
queue per host. Parameters go as one JSON body (the Bot API takes application/json; encoding it is
one json.dumps, where form encoding quotes every Arabic character), files as multipart; failures
map to the same PTB errors as HTTPXRequest's (`TimedOut`, `NetworkError`).

Proxies come from the environment (HTTPS_PROXY, HTTP_PROXY, ALL_PROXY, NO_PROXY) as with httpx, but
are looked up once per Bot API host, not on every call: aiohttp's `trust_env` reads them, and the
netrc file, in a worker thread for each request, which cost a tenth of the bot's CPU.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from http import HTTPStatus
from typing import IO, Any, NoReturn
from urllib.parse import urlsplit
from urllib.request import getproxies, proxy_bypass

import aiohttp
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.request import BaseRequest, RequestData

from bot.runtime.limiter import COUNTED_METHODS, PACED, Lane, RateLimiter

_JSON = {"Content-Type": "application/json"}
JSONDict = dict[str, Any]


REPLY_RETRIES = 3  # a reply answered 429 is sent again after the pause, this many times


class AiohttpRequest(BaseRequest):
    """Requests through an aiohttp session opened in `initialize` and closed in `shutdown`.

    Timeouts as in HTTPXRequest: ``connect_timeout`` to open a connection, ``read_timeout`` between
    bytes of the answer, ``pool_timeout`` to wait for a free connection when all
    ``connection_pool_size`` are busy. aiohttp has no separate write timeout: ``write_timeout`` is
    accepted for PTB's interface; the bot's requests are small bodies handed to the socket at once.
    """

    __slots__ = (
        "_budget",
        "_connect_timeout",
        "_on_answer",
        "_pool_size",
        "_pool_timeout",
        "_proxies",
        "_read_timeout",
        "_session",
        "_write_timeout",
    )

    def __init__(
        self,
        connection_pool_size: int = 256,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
        on_answer: Callable[[str, int | None], None] | None = None,
        budget: RateLimiter | None = None,
    ) -> None:
        self._on_answer = on_answer  # told (url, HTTP status or None) after each call: /metrics
        self._budget = budget  # the process group's sending budget: replies draw in their lane
        self._pool_size = connection_pool_size
        self._read_timeout = read_timeout
        self._write_timeout = write_timeout
        self._connect_timeout = connect_timeout
        self._pool_timeout = pool_timeout
        self._session: aiohttp.ClientSession | None = None
        self._proxies: dict[str, str | None] = {}

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._pool_size, limit_per_host=self._pool_size)
            self._session = aiohttp.ClientSession(connector=connector, auto_decompress=True)

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: object = BaseRequest.DEFAULT_NONE,
        write_timeout: object = BaseRequest.DEFAULT_NONE,
        connect_timeout: object = BaseRequest.DEFAULT_NONE,
        pool_timeout: object = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """One call to the Bot API. A message it puts in a chat (bot.runtime.limiter.COUNTED_METHODS)
        first draws a slot from the sending budget in the replies' lane, unless its sender drew one
        already (`PACED`: the delivery worker); such a reply answered 429 pauses the budget for
        Telegram's retry_after and goes again after the pause (REPLY_RETRIES times, then the 429
        reaches python-telegram-bot, which raises RetryAfter as usual)."""
        data: aiohttp.FormData | bytes | None = None
        json_body = False
        if request_data is not None:
            files = request_data.multipart_data
            if files:
                data = _multipart(request_data.json_parameters, files)
            else:
                data = request_data.json_payload
                json_body = True
        return await self._paced(url, method, data, json_body, read_timeout, connect_timeout, pool_timeout)

    async def call(self, url: str, parameters: JSONDict) -> Any:
        """One Bot API call with JSON-ready `parameters`; the answer's `result` as plain JSON.

        For the replies the bot sends while answering readers (bot.ui.send): python-telegram-bot's
        own methods turn the message Telegram echoes back (its text entities, every button of its
        keyboard) into objects, which cost about a quarter of the CPU an update takes in
        `bench/bench_updates.py --profile`, for a result those replies never read. Same budget, same
        retries after a 429, and the same errors as python-telegram-bot raises (`raise_for_answer`).
        """
        body = json.dumps(parameters).encode()
        status, payload = await self._paced(
            url, "POST", body, True, BaseRequest.DEFAULT_NONE, BaseRequest.DEFAULT_NONE, BaseRequest.DEFAULT_NONE
        )
        if HTTPStatus.OK <= status <= 299:
            try:
                return json.loads(payload)["result"]
            except (ValueError, KeyError, TypeError) as exc:
                raise TelegramError(f"Invalid server response: {payload[:200]!r}") from exc
        raise_for_answer(status, payload)

    async def _paced(
        self,
        url: str,
        method: str,
        data: aiohttp.FormData | bytes | None,
        json_body: bool,
        read_timeout: object,
        connect_timeout: object,
        pool_timeout: object,
    ) -> tuple[int, bytes]:
        budget = self._budget
        paced = budget is not None and url.rsplit("/", 1)[-1] in COUNTED_METHODS and not PACED.get()
        tries = 0
        while True:
            if paced:
                assert budget is not None
                await budget.acquire(None, Lane.REPLY)
            status, body = await self._exchange(
                url, method, data, json_body, read_timeout, connect_timeout, pool_timeout
            )
            if status != 429 or not paced or tries >= REPLY_RETRIES:
                return status, body
            assert budget is not None
            budget.pause(_retry_after(body))
            tries += 1

    async def _exchange(
        self,
        url: str,
        method: str,
        data: aiohttp.FormData | bytes | None,
        json_body: bool,
        read_timeout: object,
        connect_timeout: object,
        pool_timeout: object,
    ) -> tuple[int, bytes]:
        session = self._session
        if session is None or session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        read = _timeout(read_timeout, self._read_timeout)
        connect = _timeout(connect_timeout, self._connect_timeout)
        pool = _timeout(pool_timeout, self._pool_timeout)
        # aiohttp's `connect` covers waiting for a pooled connection and opening a new one.
        timeout = aiohttp.ClientTimeout(
            total=None,
            connect=None if connect is None or pool is None else connect + pool,
            sock_connect=connect,
            sock_read=read,
        )
        headers = {"User-Agent": self.USER_AGENT}
        if json_body:
            headers.update(_JSON)
        status: int | None = None
        try:
            async with session.request(
                method, url, data=data, headers=headers, timeout=timeout, proxy=self._proxy_for(url)
            ) as response:
                status = response.status
                return status, await response.read()
        except aiohttp.ConnectionTimeoutError as err:
            raise TimedOut(
                message="Pool timeout or connect timeout: no connection to the Bot API within the time allowed"
            ) from err
        except (TimeoutError, aiohttp.ServerTimeoutError) as err:
            raise TimedOut from err
        except aiohttp.ClientError as err:
            raise NetworkError(f"aiohttp.{err.__class__.__name__}: {err}") from err
        finally:
            if self._on_answer is not None:
                self._on_answer(url, status)

    def _proxy_for(self, url: str) -> str | None:
        """The proxy the environment names for this URL's host (None: connect directly), remembered per origin."""
        end = url.find("/", url.find("//") + 2)
        origin = url if end < 0 else url[:end]
        if origin not in self._proxies:
            self._proxies[origin] = environment_proxy(origin)
        return self._proxies[origin]


def environment_proxy(url: str) -> str | None:
    """The proxy for `url` from the environment: <scheme>_PROXY or ALL_PROXY, unless NO_PROXY covers the host."""
    parts = urlsplit(url)
    proxies = getproxies()
    proxy = proxies.get(parts.scheme) or proxies.get("all")
    if not proxy or proxy_bypass(parts.hostname or ""):
        return None
    return proxy


def _timeout(given: object, default: float | None) -> float | None:
    """A timeout as PTB passes it: seconds, None for no limit, or its "not given" marker
    (``BaseRequest.DEFAULT_NONE``), for which this request's own default applies."""
    if given is None or isinstance(given, int | float):
        return given
    return default


def _multipart(fields: dict[str, str], files: Mapping[str, tuple[str, bytes | IO[bytes], str]]) -> aiohttp.FormData:
    """A multipart body: the parameters, then each file as (file name, content, MIME type)."""
    form = aiohttp.FormData()
    for name, value in fields.items():
        form.add_field(name, value)
    for name, (filename, content, mimetype) in files.items():
        form.add_field(name, content, filename=filename, content_type=mimetype)
    return form


def raise_for_answer(status: int, payload: bytes) -> NoReturn:
    """The error python-telegram-bot raises for a Bot API answer that is not a success
    (`BaseRequest._request_wrapper`'s mapping, written out for `AiohttpRequest.call`)."""
    try:
        message = f"{HTTPStatus(status).phrase} ({status})"
    except ValueError:
        message = f"Unknown HTTPError ({status})"
    try:
        answer = json.loads(payload)
        if not isinstance(answer, dict):
            raise TypeError(type(answer).__name__)
    except (ValueError, TypeError):
        message += f". Parsing the server response {payload!r} failed"
    else:
        message = answer.get("description") or message
        parameters = answer.get("parameters")
        if isinstance(parameters, dict) and parameters:
            if parameters.get("migrate_to_chat_id"):
                raise ChatMigrated(parameters["migrate_to_chat_id"])
            if parameters.get("retry_after"):
                raise RetryAfter(parameters["retry_after"])
            message += f". The server response contained unknown parameters: {parameters}"
    if status == HTTPStatus.FORBIDDEN:
        raise Forbidden(message)
    if status in (HTTPStatus.NOT_FOUND, HTTPStatus.UNAUTHORIZED):
        raise InvalidToken(message)
    if status == HTTPStatus.BAD_REQUEST:
        raise BadRequest(message)
    if status == HTTPStatus.CONFLICT:
        raise Conflict(message)
    raise NetworkError(message)


def _retry_after(body: bytes) -> float:
    """The seconds a 429 answer asks to wait (its parameters.retry_after), 1 when it does not say."""
    try:
        answer = json.loads(body)
        return float(answer["parameters"]["retry_after"])
    except (ValueError, KeyError, TypeError):
        return 1.0
