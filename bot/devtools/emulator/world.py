"""The emulated Telegram's state: users, chats and their messages, pending updates and queries,
what the bot did, and the settings a test may switch. The Bot API methods (``methods/``), the
client side (``client.py``) and the HTTP front (``http.py``) all act on one :class:`World`.
"""

from __future__ import annotations

import itertools
import time
from collections import Counter
from collections.abc import Callable

from bot.devtools.emulator.faults import Faults
from bot.devtools.emulator.limits import RateLimits
from bot.devtools.emulator.rules import Params, bad_request
from bot.devtools.emulator.state import (
    IN_CHAT,
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
from bot.devtools.emulator.waits import Waiters

__all__ = ["World"]

_DEFAULT_EXCLUDED_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})


def _update_type(update: JSONDict) -> str:
    for key in update:
        if key != "update_id":
            return key
    return ""


class World:
    """Everything the emulator knows; use it from the event loop's thread only."""

    def __init__(
        self,
        *,
        bot_username: str = "newsbot_emulator_bot",
        bot_name: str = "أخبار",
        rate_limits: bool = True,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
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
        # How long after sending the bot may still delete a message (Telegram: 48 hours) and, read
        # strictly (the Bot API documents no limit for a bot's own messages), edit it; None: for ever.
        self.delete_window: float | None = 48 * 3600
        self.edit_window: float | None = 48 * 3600
        # Strict mode: edits count against the sending limits like new messages (Telegram does not say).
        self.count_edits = False
        # Privacy mode (BotFather's /setprivacy, on by default): in a group where the bot is not an
        # administrator it sees only commands meant for it, replies to its messages and service messages.
        self.privacy_mode = True

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
        self.webhook_in_flight = 0  # updates posted and not yet answered
        self.webhook_deliveries_by_url: Counter[str] = Counter()  # which backend answered how many
        self.updates_dropped = 0  # moved by drop_pending_updates: updates in flight are not kept either
        self.webhook_backends: list[str] = []  # a load balancer's instances (webhooks.py); empty: the URL set
        self.webhook_connections = 1  # updates on their way at once (Telegram's max_connections)
        self.webhook_last_error: tuple[int, str] | None = None
        self.commands: dict[tuple[str, str], list[JSONDict]] = {}
        self.descriptions: dict[tuple[str, str], str] = {}
        self.menu_button: JSONDict = {"type": "default"}
        self.callback_queries: dict[str, PendingQuery] = {}
        self.inline_queries: dict[str, PendingQuery] = {}
        self.bot_messages: dict[int, list[StoredMessage]] = {}  # chat id -> the bot's messages, in order
        self.long_polls_waiting = 0  # getUpdates calls waiting for updates right now
        self.poll_generation = 0  # moves with every long poll; an older one is answered 409
        self.waiters = Waiters()
        self.update_ids = itertools.count(100_001)
        self.query_ids = itertools.count(5_000_000_001)
        self.group_ids = itertools.count(4_000_000_001)  # basic groups: -4000000001, ...
        self.channel_ids = itertools.count(1_000_000_000_001)  # supergroups and channels: -1001000000000001, ...

    @property
    def bot_user(self) -> JSONDict:
        return {
            "id": 7_000_000_001,
            "is_bot": True,
            "first_name": self.bot_name,
            "username": self.bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": not self.privacy_mode,
            "supports_inline_queries": True,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def wake(self) -> None:
        """Tell the waits that the state changed."""
        self.waiters.wake()

    # -- records of calls ----------------------------------------------------------------------

    def record_refusal(self, method: str, params: JSONDict, status: int, description: str) -> None:
        record = CallRecord(method, params, status, description, self.clock())
        self.refusals.append(record)
        if self.record_calls:
            self.calls.append(record)

    def keep(self, record: SentRecord) -> None:
        """A message the bot sent, edited or deleted: recorded, shown to listeners, waits woken."""
        self.sent.append(record)
        for listener in self.listeners:
            listener(record)
        self.wake()

    # -- updates -------------------------------------------------------------------------------

    def queue(self, update: JSONDict) -> JSONDict:
        """Queue what Telegram would send the bot; returns it with its ``update_id``."""
        update = {"update_id": next(self.update_ids), **update}
        self.updates.append(update)
        self.wake()
        return update

    def _allowed(self, update: JSONDict) -> bool:
        kind = _update_type(update)
        if self.allowed_updates:
            return kind in self.allowed_updates
        return kind not in _DEFAULT_EXCLUDED_UPDATES

    def drop_unwanted(self) -> None:
        """Telegram does not keep updates of types the bot did not ask for."""
        if any(not self._allowed(u) for u in self.updates):
            self.updates = [u for u in self.updates if self._allowed(u)]

    # -- chats ---------------------------------------------------------------------------------

    def register_chat(self, user_id: int) -> Chat:
        """The private chat with ``user_id``, created if needed (the user must exist)."""
        chat = self.chats.get(user_id)
        if chat is None:
            account = self.users.get(user_id)
            if account is None:
                account = self.users[user_id] = UserAccount(user_id, "قارئ")
            chat = self.chats[user_id] = Chat(user_id, "private", user=account, members={user_id: "member"})
        return chat

    def create_chat(
        self,
        kind: str,
        title: str,
        *,
        username: str | None = None,
        creator: int | None = None,
        chat_id: int | None = None,
    ) -> Chat:
        """A new group, supergroup or channel (the bot not in it yet); ``creator`` owns it.
        Ids are negative as Telegram's: ``-4…`` for a group, ``-100…`` for a supergroup or channel."""
        if kind not in ("group", "supergroup", "channel"):
            raise ValueError(f"no such chat type: {kind}")
        if username is not None and kind == "group":
            raise ValueError("a basic group has no @username (it becomes a supergroup to have one)")
        if username is not None and self.chat_by_username(username) is not None:
            raise ValueError(f"@{username} is taken")
        if chat_id is None:
            chat_id = -next(self.group_ids) if kind == "group" else -next(self.channel_ids)
        if chat_id >= 0 or chat_id in self.chats:
            raise ValueError(f"chat id {chat_id} is not a free negative id")
        chat = self.chats[chat_id] = Chat(chat_id, kind, title=title, username=username)
        if creator is not None:
            if creator not in self.users:
                self.users[creator] = UserAccount(creator, "مالك")
            chat.members[creator] = "creator"
        return chat

    def chat_by_username(self, username: str) -> Chat | None:
        name = username.removeprefix("@").lower()
        return next((c for c in self.chats.values() if c.username and c.username.lower() == name), None)

    def member_count(self, chat: Chat) -> int:
        """People and bots in the chat (the bot counted when it is in it), as getChatMemberCount says."""
        people = sum(1 for status in chat.members.values() if status in IN_CHAT)
        return people + (1 if chat.bot_status in IN_CHAT else 0)

    def check_can_send(self, chat: Chat, what: str = "text messages") -> None:
        """Refuse as Telegram does a message the bot may not send to a group, supergroup or channel."""
        if chat.type == "private":
            return
        if chat.migrated_to is not None:
            raise ApiError(
                400, "Bad Request: group chat was upgraded to a supergroup chat", migrate_to_chat_id=chat.migrated_to
            )
        if chat.bot_status == "kicked":
            raise ApiError(403, f"Forbidden: bot was kicked from the {chat.kind_name} chat")
        if chat.bot_status == "left":
            raise ApiError(403, f"Forbidden: bot is not a member of the {chat.kind_name} chat")
        if chat.type == "channel":
            if chat.bot_status != "administrator" or not chat.bot_rights.get("can_post_messages"):
                raise bad_request("need administrator rights in the channel chat")
            return
        if chat.bot_status == "restricted":
            right = "can_send_photos" if what == "photos" else "can_send_messages"
            if not chat.bot_rights.get(right) or not chat.bot_rights.get("can_send_messages"):
                raise bad_request(f"not enough rights to send {what} to the chat")

    def check_can_read(self, chat: Chat) -> None:
        """getChat and the like: a public chat is visible to anyone; a private one only to members."""
        if chat.type == "private":
            return
        if chat.bot_status == "kicked":
            raise ApiError(403, f"Forbidden: bot was kicked from the {chat.kind_name} chat")
        if chat.bot_status == "left" and not chat.username:
            raise bad_request("chat not found")

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

    def chat_for(self, params: Params, *, writing: bool) -> Chat:
        """The chat a call names by ``chat_id`` (an id or ``@username``); refused as Telegram does."""
        raw = params.raw.get("chat_id")
        if raw is None or raw == "":
            raise bad_request("chat_id is empty")
        chat: Chat | None = None
        if isinstance(raw, str) and raw.startswith("@"):
            name = raw[1:].lower()
            # Only public supergroups and channels are addressed by @username (and, in the emulator,
            # private chats by their user's username, which tests use).
            chat = self.chat_by_username(name) or next(
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
        if writing:
            self.check_can_send(chat)
        else:
            self.check_can_read(chat)
        return chat

    def check_rate(self, chat_id: int, *, paid: bool = False) -> None:
        """Refuse a message to ``chat_id`` with 429 and its retry_after when the limits say so
        (``paid``: sent with allow_paid_broadcast, counted against the paid broadcasts' own limit)."""
        if self.rate_limits:
            retry_after = self.limits.check(chat_id, self.clock(), paid=paid)
            if retry_after:
                raise ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after)

    def check_edit_rate(self, chat_id: int) -> None:
        """An edit counts against the limits when `count_edits` is on (the strictest reading)."""
        if self.count_edits:
            self.check_rate(chat_id)

    @staticmethod
    def past_window(message: StoredMessage, window: float | None) -> bool:
        """Was the message sent longer ago than `window` seconds (by its date, as Telegram judges)?"""
        return window is not None and time.time() - message.date >= window

    def backdate(self, chat_id: int, message_id: int, seconds: float) -> None:
        """Make a message look sent `seconds` earlier (tests of Telegram's 48-hour window)."""
        self.chats[chat_id].messages[message_id].date -= int(seconds)

    def message_dict(self, chat: Chat, message: StoredMessage) -> JSONDict:
        """A stored message as the Bot API's ``Message`` object."""
        data: JSONDict = {"message_id": message.message_id}
        if chat.type == "channel":
            data["sender_chat"] = chat.as_dict()  # a channel post is signed by the channel, not a user
        else:
            data["from"] = self.bot_user if message.from_bot else self.users[message.sender_id].as_dict()
        data["chat"] = chat.as_dict()
        data["date"] = message.date
        if message.edit_date is not None:
            data["edit_date"] = message.edit_date
        if message.photo is not None:
            file_id = f"photo-{chat.chat_id}-{message.message_id}"
            data["photo"] = [{"file_id": file_id, "file_unique_id": file_id, "width": 800, "height": 450}]
            if message.text:
                data["caption"] = message.text
            if message.entities:
                data["caption_entities"] = message.entities
        else:
            data["text"] = message.text
            if message.entities:
                data["entities"] = message.entities
        if message.link_preview_options:
            data["link_preview_options"] = message.link_preview_options
        if message.reply_markup is not None:
            data["reply_markup"] = message.reply_markup
        return data
