"""A local Telegram Bot API server (aiohttp) with a controllable client side.

The real python-telegram-bot ``Application`` talks to it over HTTP on 127.0.0.1 exactly as with
Telegram (``ApplicationBuilder().base_url(emulator.base_url)``); tests and ``newsbot console`` act
as users through ``emulator.user(...)`` and read what the bot did from ``sent``, ``calls``,
``refusals`` and ``chat_view``.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from aiohttp import web

from bot.emulator import rules
from bot.emulator.client import EmulatedUser
from bot.emulator.limits import Faults, RateLimits
from bot.emulator.rules import Params, bad_request
from bot.emulator.state import (
    ApiError,
    CallRecord,
    Chat,
    ChatLine,
    JSONDict,
    PendingQuery,
    SentRecord,
    StoredMessage,
    UserAccount,
)
from bot.emulator.telegram_html import utf16_len

__all__ = ["BotApiEmulator"]

log = logging.getLogger(__name__)

Handler = Callable[[Params], Awaitable[Any]]

_DEFAULT_EXCLUDED_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
_QUERY_TOO_OLD = "query is too old and response timeout expired or query ID is invalid"
_NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the same "
    "as a current content and reply markup of the message"
)
_WEBHOOK_ACTIVE = (
    "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first"
)
_DUMPS = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def _update_type(update: JSONDict) -> str:
    for key in update:
        if key != "update_id":
            return key
    return ""


class BotApiEmulator:
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
        self.host = host
        self.port = port
        self.bot_username = bot_username
        self.bot_name = bot_name
        self.valid_token: str | None = None
        self.rate_limits = rate_limits
        self.limits = RateLimits()
        self.faults = Faults()
        self.clock = clock  # monotonic seconds; tests may swap it to move time without sleeping
        self.callback_query_ttl = 15.0
        self.inline_query_ttl = 15.0
        self.webhook_retry_delay = 0.05  # first pause after a failed webhook delivery; doubles
        self.webhook_retry_max_delay = 1.0
        self.record_calls = True

        self.users: dict[int, UserAccount] = {}
        self.chats: dict[int, Chat] = {}
        self.sent: list[SentRecord] = []
        self.calls: list[CallRecord] = []
        self.refusals: list[CallRecord] = []
        self.listeners: list[Callable[[SentRecord], None]] = []
        self.updates: list[JSONDict] = []
        self.allowed_updates: list[str] = []
        self.webhook_url = ""
        self.webhook_secret: str | None = None
        self.webhook_deliveries = 0
        self.webhook_last_error: tuple[int, str] | None = None
        self.commands: dict[tuple[str, str], list[JSONDict]] = {}
        self.descriptions: dict[tuple[str, str], str] = {}
        self.menu_button: JSONDict = {"type": "default"}
        self.callback_queries: dict[str, PendingQuery] = {}
        self.inline_queries: dict[str, PendingQuery] = {}

        self._update_ids = itertools.count(100_001)
        self._query_ids = itertools.count(5_000_000_001)
        self._bot_messages: dict[int, list[StoredMessage]] = {}
        self._read_cursor: dict[int, int] = {}
        self._waiters: list[tuple[Callable[[], bool], asyncio.Future[None]]] = []
        self._poll_generation = 0
        self._long_polls = 0
        self._closing = False
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self._webhook_task: asyncio.Task[None] | None = None
        self._methods: dict[str, Handler] = {
            name.lower(): getattr(self, "_api_" + name)
            for name in (
                "getMe",
                "getUpdates",
                "setWebhook",
                "deleteWebhook",
                "getWebhookInfo",
                "sendMessage",
                "editMessageText",
                "editMessageReplyMarkup",
                "deleteMessage",
                "answerCallbackQuery",
                "answerInlineQuery",
                "setMyCommands",
                "getMyCommands",
                "deleteMyCommands",
                "setMyDescription",
                "getMyDescription",
                "setMyShortDescription",
                "getMyShortDescription",
                "setChatMenuButton",
                "getChatMenuButton",
                "sendChatAction",
                "getChat",
                "close",
                "logOut",
            )
        }

    # -- lifecycle -----------------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application(client_max_size=10 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_route("*", "/file/bot{token}/{path:.*}", self._file)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        self._closing = False
        self._session = aiohttp.ClientSession()
        self._webhook_task = asyncio.create_task(self._deliver_webhooks())

    async def stop(self) -> None:
        self._closing = True
        self._wake()
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
    def long_polls_waiting(self) -> int:
        """How many getUpdates calls are waiting for updates right now."""
        return self._long_polls

    @property
    def base_file_url(self) -> str:
        return f"http://{self.host}:{self.port}/file/bot"

    @property
    def bot_user(self) -> JSONDict:
        return {
            "id": 7_000_000_001,
            "is_bot": True,
            "first_name": self.bot_name,
            "username": self.bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": True,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    # -- HTTP ----------------------------------------------------------------------------------

    async def _file(self, request: web.Request) -> web.Response:
        return self._error_response(ApiError(404, "Not Found"))

    def _error_response(self, error: ApiError) -> web.Response:
        body: JSONDict = {"ok": False, "error_code": error.status, "description": error.description}
        if error.retry_after is not None:
            body["parameters"] = {"retry_after": error.retry_after}
        return web.Response(status=error.status, body=_DUMPS(body).encode(), content_type="application/json")

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"].lower()
        faults = self.faults
        if faults.active:
            if faults.latency:
                await asyncio.sleep(faults.latency)
            if faults.take_drop(method):
                self._record(method, {}, 0, "connection dropped")
                if request.transport is not None:
                    request.transport.abort()
                raise asyncio.CancelledError
            status = faults.take_failure(method)
            if status is not None:
                return self._refuse(method, {}, ApiError(status, "Bad Gateway" if status == 502 else "Server Error"))
        if self.valid_token is not None and request.match_info["token"] != self.valid_token:
            return self._refuse(method, {}, ApiError(401, "Unauthorized"))
        handler = self._methods.get(method)
        if handler is None:
            return self._refuse(method, {}, ApiError(404, "Not Found"))
        try:
            params = await self._read_params(request)
        except ApiError as error:
            return self._refuse(method, {}, error)
        try:
            result = await handler(params)
        except ApiError as error:
            return self._refuse(method, params.raw, error)
        if self.record_calls:
            self.calls.append(CallRecord(method, params.raw, 200, None, self.clock()))
        return web.Response(body=_DUMPS({"ok": True, "result": result}).encode(), content_type="application/json")

    def _refuse(self, method: str, params: JSONDict, error: ApiError) -> web.Response:
        self._record(method, params, error.status, error.description)
        return self._error_response(error)

    def _record(self, method: str, params: JSONDict, status: int, description: str) -> None:
        record = CallRecord(method, params, status, description, self.clock())
        self.refusals.append(record)
        if self.record_calls:
            self.calls.append(record)

    async def _read_params(self, request: web.Request) -> Params:
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

    # -- waiting -------------------------------------------------------------------------------

    def _wake(self) -> None:
        for predicate, future in self._waiters:
            if not future.done() and (self._closing or predicate()):
                future.set_result(None)

    async def _wait_until(self, predicate: Callable[[], bool], timeout: float | None) -> bool:
        """Wait, without polling, until ``predicate()`` holds; False when ``timeout`` passes first."""
        if predicate():
            return True
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        entry = (predicate, future)
        self._waiters.append(entry)
        try:
            async with asyncio.timeout(timeout):
                await future
        except TimeoutError:
            return predicate()
        finally:
            self._waiters.remove(entry)
        return predicate()

    async def wait_for_messages(self, chat_id: int, count: int = 1, timeout: float = 5.0) -> list[StoredMessage]:
        """The next ``count`` messages the bot sends to ``chat_id`` (since the last such wait).

        The returned messages are live: later edits and deletions show in them.
        Raises ``TimeoutError`` naming what did arrive.
        """
        start = self._read_cursor.get(chat_id, 0)

        def arrived() -> bool:
            return len(self._bot_messages.get(chat_id, ())) - start >= count

        if not await self._wait_until(arrived, timeout):
            got = [m.text[:60] for m in self._bot_messages.get(chat_id, [])[start:]]
            raise TimeoutError(f"expected {count} new bot message(s) in chat {chat_id} within {timeout}s, got {got}")
        self._read_cursor[chat_id] = start + count
        return self._bot_messages[chat_id][start : start + count]

    async def wait_for_sent(
        self, predicate: Callable[[SentRecord], bool], timeout: float = 5.0, *, since: int = 0
    ) -> SentRecord:
        """The first record in ``sent[since:]`` matching ``predicate`` (e.g. an edit)."""

        def found() -> bool:
            return any(predicate(r) for r in self.sent[since:])

        if not await self._wait_until(found, timeout):
            raise TimeoutError(f"no matching sent/edited/deleted message within {timeout}s")
        return next(r for r in self.sent[since:] if predicate(r))

    async def wait_for_callback_answer(self, callback_query_id: str, timeout: float = 5.0) -> JSONDict:
        """The parameters the bot answered the callback query with."""
        return await self._wait_for_answer(self.callback_queries[callback_query_id], "callback query", timeout)

    async def wait_for_inline_answer(self, inline_query_id: str, timeout: float = 5.0) -> JSONDict:
        """The parameters of answerInlineQuery (``results`` decoded to a list)."""
        return await self._wait_for_answer(self.inline_queries[inline_query_id], "inline query", timeout)

    async def _wait_for_answer(self, query: PendingQuery, kind: str, timeout: float) -> JSONDict:
        if not await self._wait_until(lambda: query.answered, timeout):
            raise TimeoutError(f"{kind} {query.query_id} not answered within {timeout}s")
        assert query.answer is not None
        return query.answer

    async def wait_for_long_poll(self, timeout: float = 5.0) -> None:
        """Until a getUpdates call is waiting for updates (so an injected one reaches it at once)."""
        if not await self._wait_until(lambda: self._long_polls > 0, timeout):
            raise TimeoutError(f"no getUpdates call waiting within {timeout}s")

    async def wait_for_updates_consumed(self, timeout: float = 5.0) -> None:
        """Until every queued update has been confirmed (getUpdates offset) or delivered by webhook."""
        if not await self._wait_until(lambda: not self.updates, timeout):
            raise TimeoutError(f"{len(self.updates)} update(s) still pending after {timeout}s")

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

    def register_chat(self, user_id: int) -> Chat:
        """The private chat with ``user_id``, created if needed (the user must exist)."""
        chat = self.chats.get(user_id)
        if chat is None:
            account = self.users.get(user_id)
            if account is None:
                account = self.users[user_id] = UserAccount(user_id, "قارئ")
            chat = self.chats[user_id] = Chat(user_id, "private", user=account, members={user_id: "member"})
        return chat

    def chat_view(self, chat_id: int) -> list[ChatLine]:
        """The chat as its user sees it: current texts after edits, deleted messages gone."""
        chat = self.chats.get(chat_id)
        if chat is None:
            return []
        return [
            ChatLine(m.message_id, m.from_bot, m.text, m.entities, m.reply_markup, m.edit_date is not None)
            for m in chat.messages.values()
            if not m.deleted
        ]

    def reply_keyboard(self, chat_id: int) -> JSONDict | None:
        """The custom reply keyboard the user currently sees in ``chat_id``, if any."""
        chat = self.chats.get(chat_id)
        return chat.reply_keyboard if chat is not None else None

    def _queue(self, update: JSONDict) -> JSONDict:
        update = {"update_id": next(self._update_ids), **update}
        self.updates.append(update)
        self._wake()
        return update

    def inject_message(self, account: UserAccount, text: str) -> JSONDict:
        if account.deleted:
            raise ValueError(f"user {account.user_id} deleted their account")
        chat = self.register_chat(account.user_id)
        now = int(time.time())
        message_id = chat.take_message_id()
        entities: list[JSONDict] = []
        if text.startswith("/"):
            command = text.split(maxsplit=1)[0] if text.strip() else text
            entities.append({"type": "bot_command", "offset": 0, "length": utf16_len(command)})
        chat.messages[message_id] = StoredMessage(message_id, False, now, text, entities, sender_id=account.user_id)
        message: JSONDict = {
            "message_id": message_id,
            "from": account.as_dict(),
            "chat": chat.as_dict(),
            "date": now,
            "text": text,
        }
        if entities:
            message["entities"] = entities
        return self._queue({"message": message})

    def inject_callback_query(self, account: UserAccount, message_id: int, data: str, *, strict: bool = True) -> str:
        chat = self.register_chat(account.user_id)
        stored = chat.messages.get(message_id)
        if strict:
            if stored is None or stored.deleted or not stored.from_bot:
                raise ValueError(f"no bot message {message_id} in chat {chat.chat_id}")
            buttons = [b for row in (stored.reply_markup or {}).get("inline_keyboard", []) for b in row]
            if not any(b.get("callback_data") == data for b in buttons):
                labels = [b.get("callback_data") for b in buttons]
                raise ValueError(f"message {message_id} has no button with callback_data {data!r}; it has {labels}")
        query_id = str(next(self._query_ids))
        self.callback_queries[query_id] = PendingQuery(query_id, self.clock())
        callback: JSONDict = {
            "id": query_id,
            "from": account.as_dict(),
            "chat_instance": f"-{chat.chat_id}",
            "data": data,
        }
        if stored is not None and not stored.deleted:
            callback["message"] = self._message_dict(chat, stored)
        self._queue({"callback_query": callback})
        return query_id

    def inject_inline_query(self, account: UserAccount, query: str, offset: str = "") -> str:
        query_id = str(next(self._query_ids))
        self.inline_queries[query_id] = PendingQuery(query_id, self.clock())
        inline: JSONDict = {
            "id": query_id,
            "from": account.as_dict(),
            "query": query,
            "offset": offset,
            "chat_type": "sender",
        }
        self._queue({"inline_query": inline})
        return query_id

    def set_blocked(self, account: UserAccount, *, blocked: bool) -> JSONDict:
        chat = self.register_chat(account.user_id)
        old, new = ("member", "kicked") if blocked else ("kicked", "member")
        account.blocked_bot = blocked
        chat.members[account.user_id] = new
        new_member: JSONDict = {"user": self.bot_user, "status": new}
        if blocked:
            new_member["until_date"] = 0
        old_member: JSONDict = {"user": self.bot_user, "status": old}
        if not blocked:
            old_member["until_date"] = 0
        return self._queue(
            {
                "my_chat_member": {
                    "chat": chat.as_dict(),
                    "from": account.as_dict(),
                    "date": int(time.time()),
                    "old_chat_member": old_member,
                    "new_chat_member": new_member,
                }
            }
        )

    # -- helpers for methods -------------------------------------------------------------------

    def _chat(self, params: Params, *, writing: bool) -> Chat:
        raw = params.raw.get("chat_id")
        if raw is None or raw == "":
            raise bad_request("chat_id is empty")
        chat: Chat | None = None
        if isinstance(raw, str) and raw.startswith("@"):
            name = raw[1:].lower()
            chat = next(
                (c for c in self.chats.values() if c.user and (c.user.username or "").lower() == name),
                None,
            )
        else:
            try:
                chat = self.chats.get(int(raw))
            except (TypeError, ValueError):
                chat = None
        if chat is None or (chat.user is not None and chat.user.deleted):
            raise bad_request("chat not found")
        if writing and chat.user is not None and chat.user.blocked_bot:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        return chat

    def _message_dict(self, chat: Chat, message: StoredMessage) -> JSONDict:
        data: JSONDict = {
            "message_id": message.message_id,
            "from": self.bot_user if message.from_bot else self.users[message.sender_id].as_dict(),
            "chat": chat.as_dict(),
            "date": message.date,
        }
        if message.edit_date is not None:
            data["edit_date"] = message.edit_date
        data["text"] = message.text
        if message.entities:
            data["entities"] = message.entities
        if message.link_preview_options:
            data["link_preview_options"] = message.link_preview_options
        if message.reply_markup is not None:
            data["reply_markup"] = message.reply_markup
        return data

    def _keep(self, record: SentRecord) -> None:
        self.sent.append(record)
        for listener in self.listeners:
            listener(record)
        self._wake()

    def _link_preview(self, params: Params) -> JSONDict | None:
        options = params.obj("link_preview_options", "link preview options")
        if options is not None and not isinstance(options, dict):
            raise bad_request("can't parse link preview options JSON object")
        if options is None and params.has("disable_web_page_preview"):
            options = {"is_disabled": params.flag("disable_web_page_preview")}
        return options

    def _edit_target(self, params: Params) -> tuple[Chat, StoredMessage]:
        chat = self._chat(params, writing=True)
        message_id = params.integer("message_id")
        if message_id is None:
            raise bad_request("message identifier is not specified")
        message = chat.messages.get(message_id)
        if message is None or message.deleted:
            raise bad_request("message to edit not found")
        if not message.from_bot:
            raise bad_request("message can't be edited")
        return chat, message

    def _inline_markup(self, params: Params) -> JSONDict | None:
        markup = rules.check_reply_markup(params.obj("reply_markup", "reply keyboard markup"))
        if markup is not None and "inline_keyboard" not in markup:
            raise bad_request("inline keyboard expected")
        return markup

    # -- Bot API methods -----------------------------------------------------------------------

    async def _api_getMe(self, params: Params) -> Any:
        return self.bot_user

    async def _api_close(self, params: Params) -> Any:
        return True

    async def _api_logOut(self, params: Params) -> Any:
        return True

    def _allowed(self, update: JSONDict) -> bool:
        kind = _update_type(update)
        if self.allowed_updates:
            return kind in self.allowed_updates
        return kind not in _DEFAULT_EXCLUDED_UPDATES

    def _drop_unwanted(self) -> None:
        # Telegram does not keep updates of types the bot did not ask for
        if any(not self._allowed(u) for u in self.updates):
            self.updates = [u for u in self.updates if self._allowed(u)]

    async def _api_getUpdates(self, params: Params) -> Any:
        if self.webhook_url:
            raise ApiError(409, _WEBHOOK_ACTIVE)
        offset = params.integer("offset")
        limit = max(1, min(100, params.integer("limit", 100) or 100))
        timeout = max(0.0, params.number("timeout", 0.0) or 0.0)
        allowed = params.obj("allowed_updates", "allowed updates")
        if allowed is not None:
            if not isinstance(allowed, list) or not all(isinstance(a, str) for a in allowed):
                raise bad_request("can't parse allowed updates JSON object")
            self.allowed_updates = allowed
        if offset is not None and offset > 0:
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
        elif offset is not None and offset < 0:
            self.updates = self.updates[offset:]
        self._drop_unwanted()
        self._wake()
        if not self.updates and timeout > 0:
            self._poll_generation += 1
            generation = self._poll_generation
            self._long_polls += 1
            self._wake()
            try:
                await self._wait_until(
                    lambda: bool(self.updates) or self._poll_generation != generation or bool(self.webhook_url),
                    timeout,
                )
            finally:
                self._long_polls -= 1
            if self._poll_generation != generation:
                raise ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running",
                )
            self._drop_unwanted()
        return self.updates[:limit]

    async def _api_setWebhook(self, params: Params) -> Any:
        url = params.text("url", "") or ""
        secret = params.text("secret_token")
        rules.check_secret_token(secret)
        if url and not url.startswith(("http://", "https://")):
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        allowed = params.obj("allowed_updates", "allowed updates")
        if allowed is not None:
            if not isinstance(allowed, list):
                raise bad_request("can't parse allowed updates JSON object")
            self.allowed_updates = allowed
        if params.flag("drop_pending_updates"):
            self.updates.clear()
        self.webhook_url = url
        self.webhook_secret = secret or None
        self.webhook_last_error = None
        self._wake()
        return True

    async def _api_deleteWebhook(self, params: Params) -> Any:
        if params.flag("drop_pending_updates"):
            self.updates.clear()
        self.webhook_url = ""
        self.webhook_secret = None
        self._wake()
        return True

    async def _api_getWebhookInfo(self, params: Params) -> Any:
        info: JSONDict = {
            "url": self.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self.updates),
        }
        if self.webhook_url:
            info["max_connections"] = 40
            info["ip_address"] = "127.0.0.1"
            if self.allowed_updates:
                info["allowed_updates"] = self.allowed_updates
            if self.webhook_last_error is not None:
                info["last_error_date"], info["last_error_message"] = self.webhook_last_error
        return info

    async def _api_sendMessage(self, params: Params) -> Any:
        chat = self._chat(params, writing=True)
        text, entities, parse_mode = rules.message_text(params)
        markup = rules.check_reply_markup(params.obj("reply_markup", "reply keyboard markup"))
        link_preview = self._link_preview(params)
        if self.rate_limits:
            retry_after = self.limits.check(chat.chat_id, self.clock())
            if retry_after:
                raise ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after)
        disable_notification = params.flag("disable_notification")
        inline = markup if markup is not None and "inline_keyboard" in markup else None
        if markup is not None and "keyboard" in markup:
            chat.reply_keyboard = markup
        elif markup is not None and markup.get("remove_keyboard"):
            chat.reply_keyboard = None
        message = StoredMessage(
            chat.take_message_id(),
            True,
            int(time.time()),
            text,
            entities,
            inline,
            disable_notification=disable_notification,
            link_preview_options=link_preview,
        )
        chat.messages[message.message_id] = message
        self._bot_messages.setdefault(chat.chat_id, []).append(message)
        self._keep(
            SentRecord(
                "sendMessage",
                chat.chat_id,
                message.message_id,
                text,
                parse_mode,
                entities,
                markup,
                disable_notification,
                link_preview,
                self.clock(),
            )
        )
        return self._message_dict(chat, message)

    async def _api_editMessageText(self, params: Params) -> Any:
        inline_id = params.text("inline_message_id")
        if inline_id:
            text, entities, parse_mode = rules.message_text(params)
            markup = self._inline_markup(params)
            link_preview = self._link_preview(params)
            self._keep(
                SentRecord(
                    "editMessageText", None, None, text, parse_mode, entities, markup, False, link_preview,
                    self.clock(), inline_id,
                )
            )  # fmt: skip
            return True
        chat, message = self._edit_target(params)
        text, entities, parse_mode = rules.message_text(params)
        markup = self._inline_markup(params)
        link_preview = self._link_preview(params)
        if text == message.text and entities == message.entities and markup == message.reply_markup:
            raise bad_request(_NOT_MODIFIED)
        message.text, message.entities, message.reply_markup = text, entities, markup
        if link_preview is not None:
            message.link_preview_options = link_preview
        message.edit_date = int(time.time())
        self._keep(
            SentRecord(
                "editMessageText", chat.chat_id, message.message_id, text, parse_mode, entities, markup,
                False, link_preview, self.clock(),
            )
        )  # fmt: skip
        return self._message_dict(chat, message)

    async def _api_editMessageReplyMarkup(self, params: Params) -> Any:
        inline_id = params.text("inline_message_id")
        if inline_id:
            markup = self._inline_markup(params)
            self._keep(
                SentRecord(
                    "editMessageReplyMarkup", None, None, None, None, [], markup, False, None, self.clock(),
                    inline_id,
                )
            )  # fmt: skip
            return True
        chat, message = self._edit_target(params)
        markup = self._inline_markup(params)
        if markup == message.reply_markup:
            raise bad_request(_NOT_MODIFIED)
        message.reply_markup = markup
        message.edit_date = int(time.time())
        self._keep(
            SentRecord(
                "editMessageReplyMarkup", chat.chat_id, message.message_id, message.text, None,
                message.entities, markup, False, None, self.clock(),
            )
        )  # fmt: skip
        return self._message_dict(chat, message)

    async def _api_deleteMessage(self, params: Params) -> Any:
        chat = self._chat(params, writing=False)
        message_id = params.integer("message_id")
        if message_id is None:
            raise bad_request("message identifier is not specified")
        message = chat.messages.get(message_id)
        if message is None or message.deleted:
            raise bad_request("message to delete not found")
        message.deleted = True
        self._keep(
            SentRecord("deleteMessage", chat.chat_id, message_id, None, None, [], None, False, None, self.clock())
        )
        return True

    def _take_query(self, queries: dict[str, PendingQuery], query_id: str | None, ttl: float) -> PendingQuery:
        query = queries.get(query_id or "")
        if query is None or query.answered or self.clock() - query.created > ttl:
            raise bad_request(_QUERY_TOO_OLD)
        return query

    async def _api_answerCallbackQuery(self, params: Params) -> Any:
        query = self._take_query(self.callback_queries, params.text("callback_query_id"), self.callback_query_ttl)
        text = params.text("text")
        if text is not None and len(text) > 200:
            raise bad_request("MESSAGE_TOO_LONG")
        query.answered = True
        query.answered_at = self.clock()
        query.answer = {
            "text": text,
            "show_alert": params.flag("show_alert"),
            "url": params.text("url"),
            "cache_time": params.integer("cache_time", 0),
        }
        self._wake()
        return True

    async def _api_answerInlineQuery(self, params: Params) -> Any:
        query = self._take_query(self.inline_queries, params.text("inline_query_id"), self.inline_query_ttl)
        results = rules.check_inline_results(params.obj("results", "results"))
        query.answered = True
        query.answered_at = self.clock()
        query.answer = {
            "results": results,
            "cache_time": params.integer("cache_time", 300),
            "is_personal": params.flag("is_personal"),
            "next_offset": params.text("next_offset", ""),
            "button": params.obj("button", "button"),
        }
        self._wake()
        return True

    def _scope_key(self, params: Params) -> tuple[str, str]:
        scope = params.obj("scope", "scope")
        if scope is not None and not isinstance(scope, dict):
            raise bad_request("can't parse scope JSON object")
        scope_key = json.dumps(scope or {"type": "default"}, sort_keys=True)
        language = params.text("language_code", "") or ""
        if language and (len(language) != 2 or not language.isalpha()):
            raise bad_request("invalid language code specified")
        return scope_key, language

    async def _api_setMyCommands(self, params: Params) -> Any:
        commands = rules.check_commands(params.obj("commands", "commands"))
        key = self._scope_key(params)
        if commands:
            self.commands[key] = commands
        else:
            self.commands.pop(key, None)
        return True

    async def _api_getMyCommands(self, params: Params) -> Any:
        return self.commands.get(self._scope_key(params), [])

    async def _api_deleteMyCommands(self, params: Params) -> Any:
        self.commands.pop(self._scope_key(params), None)
        return True

    def _set_description(self, params: Params, field: str, limit: int) -> Any:
        text = params.text(field, "") or ""
        if len(text) > limit:
            raise bad_request(f"{field} is too long" if field == "description" else "short description is too long")
        self.descriptions[(field, params.text("language_code", "") or "")] = text
        return True

    async def _api_setMyDescription(self, params: Params) -> Any:
        return self._set_description(params, "description", 512)

    async def _api_getMyDescription(self, params: Params) -> Any:
        return {"description": self.descriptions.get(("description", params.text("language_code", "") or ""), "")}

    async def _api_setMyShortDescription(self, params: Params) -> Any:
        return self._set_description(params, "short_description", 120)

    async def _api_getMyShortDescription(self, params: Params) -> Any:
        key = ("short_description", params.text("language_code", "") or "")
        return {"short_description": self.descriptions.get(key, "")}

    async def _api_setChatMenuButton(self, params: Params) -> Any:
        button = params.obj("menu_button", "menu button") or {"type": "default"}
        if not isinstance(button, dict) or button.get("type") not in ("default", "commands", "web_app"):
            raise bad_request("can't parse menu button JSON object")
        if params.has("chat_id"):
            self._chat(params, writing=False).menu_button = button
        else:
            self.menu_button = button
        return True

    async def _api_getChatMenuButton(self, params: Params) -> Any:
        if params.has("chat_id"):
            return self._chat(params, writing=False).menu_button or self.menu_button
        return self.menu_button

    async def _api_sendChatAction(self, params: Params) -> Any:
        self._chat(params, writing=True)
        action = params.text("action")
        if not action:
            raise bad_request("action is empty")
        if action not in rules.CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        return True

    async def _api_getChat(self, params: Params) -> Any:
        chat = self._chat(params, writing=False)
        data = chat.as_dict()
        data["accent_color_id"] = 0
        data["max_reaction_count"] = 11
        data["accepted_gift_types"] = {
            "unlimited_gifts": False,
            "limited_gifts": False,
            "unique_gifts": False,
            "premium_subscription": False,
            "gifts_from_channels": False,
        }
        return data

    # -- webhook delivery ----------------------------------------------------------------------

    async def _deliver_webhooks(self) -> None:
        delay = self.webhook_retry_delay
        while not self._closing:
            await self._wait_until(lambda: bool(self.webhook_url and self.updates), None)
            if self._closing:
                return
            self._drop_unwanted()
            if not self.updates:
                continue
            url, secret, update = self.webhook_url, self.webhook_secret, self.updates[0]
            headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret else {}
            error: str | None = None
            assert self._session is not None
            try:
                async with self._session.post(
                    url, data=_DUMPS(update).encode(), headers={"Content-Type": "application/json", **headers},
                    timeout=aiohttp.ClientTimeout(total=10),
                ) as response:  # fmt: skip
                    await response.read()
                    if not 200 <= response.status < 300:
                        error = f"Wrong response from the webhook: {response.status} {response.reason}"
            except (aiohttp.ClientError, OSError, TimeoutError) as exc:
                error = f"Connection failed: {type(exc).__name__}"
            if error is None:
                self.webhook_deliveries += 1
                if self.updates and self.updates[0] is update:
                    self.updates.pop(0)
                delay = self.webhook_retry_delay
                self._wake()
            else:
                log.debug("webhook delivery to %s failed: %s", url, error)
                self.webhook_last_error = (int(time.time()), error)
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.webhook_retry_max_delay)
