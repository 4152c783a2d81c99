"""A local Telegram Bot API server (aiohttp) with a controllable client side.

The real python-telegram-bot ``Application`` talks to it over HTTP on 127.0.0.1 exactly as with
Telegram (``ApplicationBuilder().base_url(emulator.base_url)``); tests and ``newsbot console`` act
as users through ``emulator.user(...)`` and read what the bot did from ``sent``, ``calls``,
``refusals`` and ``chat_view``.

This module is the emulator's lifecycle and the waits tests use; the rest lives by concern:
``world.py`` (the state), ``http.py`` (the HTTP front), ``faults.py``, ``limits.py``,
``methods/`` (the Bot API methods, registered in ``registry.py``), ``webhooks.py`` (delivery to a
webhook), ``client.py`` (the users), ``rules.py`` and ``telegram_html.py`` (Telegram's checks).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable

import aiohttp
from aiohttp import web

from bot.devtools.emulator.client import EmulatedChat, EmulatedUser
from bot.devtools.emulator.http import make_app
from bot.devtools.emulator.state import JSONDict, PendingQuery, SentRecord, StoredMessage, UserAccount
from bot.devtools.emulator.webhooks import deliver_webhooks
from bot.devtools.emulator.world import World

__all__ = ["BotApiEmulator"]


class BotApiEmulator(World):
    """A faithful-enough Bot API on 127.0.0.1 plus the users who talk to the bot.

    ``port=0`` picks a free port. Every token is accepted unless ``valid_token`` is set.
    Rate limits (``rate_limits``, ``limits``) and ``faults`` are switchable at any time.
    Use it from the event loop's thread only.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        bot_username: str = "newsbot_emulator_bot",
        bot_name: str = "أخبار",
        rate_limits: bool = True,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(bot_username=bot_username, bot_name=bot_name, rate_limits=rate_limits, clock=clock)
        self.host = host
        self.port = port
        self._read_cursor: dict[int, int] = {}  # chat id -> bot messages already returned by a wait
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self._webhook_task: asyncio.Task[None] | None = None

    # -- lifecycle -----------------------------------------------------------------------------

    async def start(self) -> None:
        self._runner = web.AppRunner(make_app(self), access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        self.waiters.closing = False
        self._session = aiohttp.ClientSession()
        self._webhook_task = asyncio.create_task(deliver_webhooks(self, self._session))

    async def stop(self) -> None:
        self.waiters.closing = True
        self.wake()
        if self._webhook_task is not None:
            self._webhook_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._webhook_task
            self._webhook_task = None
        if self._session is not None:
            await self._session.close()
            self._session = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> BotApiEmulator:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        """For ``ApplicationBuilder().base_url(...)`` / ``Bot(base_url=...)``: the token is appended."""
        return f"http://{self.host}:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://{self.host}:{self.port}/file/bot"

    # -- the client side -----------------------------------------------------------------------

    def user(
        self,
        user_id: int,
        first_name: str = "قارئ",
        username: str | None = None,
        *,
        last_name: str | None = None,
        language_code: str | None = "ar",
        register: bool = False,
    ) -> EmulatedUser:
        """A user (created on first call); ``register`` makes the private chat exist at once."""
        account = self.users.get(user_id)
        if account is None:
            account = UserAccount(user_id, first_name, username, last_name, language_code)
            self.users[user_id] = account
        if register:
            self.register_chat(user_id)
        return EmulatedUser(self, account)

    def group(
        self,
        title: str = "مجموعة الأخبار",
        *,
        owner: EmulatedUser | int | None = None,
        supergroup: bool = False,
        username: str | None = None,
    ) -> EmulatedChat:
        """A new group (a supergroup with ``supergroup`` or a ``username``) owned by ``owner``; the
        bot is not in it yet."""
        owner_id = owner if isinstance(owner, int) or owner is None else owner.user_id
        kind = "supergroup" if supergroup or username else "group"
        return EmulatedChat(self, self.create_chat(kind, title, username=username, creator=owner_id))

    def channel(
        self, title: str = "قناة الأخبار", *, owner: EmulatedUser | int | None = None, username: str | None = None
    ) -> EmulatedChat:
        """A new channel (public with a ``username``) owned by ``owner``; the bot is not in it yet."""
        owner_id = owner if isinstance(owner, int) or owner is None else owner.user_id
        return EmulatedChat(self, self.create_chat("channel", title, username=username, creator=owner_id))

    def chat_client(self, chat_id: int) -> EmulatedChat:
        """The emulated group or channel ``chat_id``."""
        return EmulatedChat(self, self.chats[chat_id])

    # -- waiting for the bot -------------------------------------------------------------------

    async def wait_for_messages(self, chat_id: int, count: int = 1, timeout: float = 5.0) -> list[StoredMessage]:
        """The next ``count`` messages the bot sends to ``chat_id`` (since the last such wait).

        The returned messages are live: later edits and deletions show in them.
        Raises ``TimeoutError`` naming what did arrive.
        """
        start = self._read_cursor.get(chat_id, 0)

        def arrived() -> bool:
            return len(self.bot_messages.get(chat_id, ())) - start >= count

        if not await self.waiters.until(arrived, timeout):
            got = [m.text[:60] for m in self.bot_messages.get(chat_id, [])[start:]]
            raise TimeoutError(f"expected {count} new bot message(s) in chat {chat_id} within {timeout}s, got {got}")
        self._read_cursor[chat_id] = start + count
        return self.bot_messages[chat_id][start : start + count]

    async def wait_for_sent(
        self, predicate: Callable[[SentRecord], bool], timeout: float = 5.0, *, since: int = 0
    ) -> SentRecord:
        """The first record in ``sent[since:]`` matching ``predicate`` (e.g. an edit)."""

        def found() -> bool:
            return any(predicate(r) for r in self.sent[since:])

        if not await self.waiters.until(found, timeout):
            raise TimeoutError(f"no matching sent/edited/deleted message within {timeout}s")
        return next(r for r in self.sent[since:] if predicate(r))

    async def wait_for_callback_answer(self, callback_query_id: str, timeout: float = 5.0) -> JSONDict:
        """The parameters the bot answered the callback query with."""
        return await self._wait_for_answer(self.callback_queries[callback_query_id], "callback query", timeout)

    async def wait_for_inline_answer(self, inline_query_id: str, timeout: float = 5.0) -> JSONDict:
        """The parameters of answerInlineQuery (``results`` decoded to a list)."""
        return await self._wait_for_answer(self.inline_queries[inline_query_id], "inline query", timeout)

    async def _wait_for_answer(self, query: PendingQuery, kind: str, timeout: float) -> JSONDict:
        if not await self.waiters.until(lambda: query.answered, timeout):
            raise TimeoutError(f"{kind} {query.query_id} not answered within {timeout}s")
        assert query.answer is not None
        return query.answer

    async def wait_for_long_poll(self, timeout: float = 5.0) -> None:
        """Until a getUpdates call is waiting for updates (so an injected one reaches it at once)."""
        if not await self.waiters.until(lambda: self.long_polls_waiting > 0, timeout):
            raise TimeoutError(f"no getUpdates call waiting within {timeout}s")

    async def wait_for_updates_consumed(self, timeout: float = 5.0) -> None:
        """Until every queued update has been confirmed (getUpdates offset) or delivered by webhook."""
        if not await self.waiters.until(lambda: not self.updates and not self.webhook_in_flight, timeout):
            raise TimeoutError(f"{len(self.updates)} update(s) still pending after {timeout}s")
