"""The emulator's data model: users, chats, their messages, and what the bot did to them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

JSONDict = dict[str, Any]


@dataclass
class ApiError(Exception):
    """A Bot API refusal, answered as ``{"ok": false, "error_code": ..., "description": ...}``."""

    status: int
    description: str
    retry_after: int | None = None
    migrate_to_chat_id: int | None = None  # a group upgraded to a supergroup: where it lives now

    def __str__(self) -> str:
        return f"{self.status} {self.description}"


def bad_request(text: str) -> ApiError:
    return ApiError(400, f"Bad Request: {text}")


@dataclass
class UserAccount:
    """A Telegram user the tests or the console act as."""

    user_id: int
    first_name: str
    username: str | None = None
    last_name: str | None = None
    language_code: str | None = "ar"
    blocked_bot: bool = False
    deleted: bool = False

    def as_dict(self) -> JSONDict:
        data: JSONDict = {"id": self.user_id, "is_bot": False, "first_name": self.first_name}
        if self.last_name:
            data["last_name"] = self.last_name
        if self.username:
            data["username"] = self.username
        if self.language_code:
            data["language_code"] = self.language_code
        return data


@dataclass
class StoredMessage:
    """One message in a chat, as it currently stands (edits applied)."""

    message_id: int
    from_bot: bool
    date: int
    text: str
    entities: list[JSONDict] = field(default_factory=list)
    reply_markup: JSONDict | None = None  # inline keyboards only: what the message carries
    sender_id: int = 0
    edit_date: int | None = None
    deleted: bool = False
    disable_notification: bool = False
    link_preview_options: JSONDict | None = None
    photo: str | None = None  # a photo message: the URL or file id it was sent with; `text` is its caption


# The rights an administrator may hold; the bot's are kept in ``Chat.bot_rights``.
ADMIN_RIGHTS = (
    "can_manage_chat", "can_delete_messages", "can_manage_video_chats", "can_restrict_members",
    "can_promote_members", "can_change_info", "can_invite_users", "can_post_stories",
    "can_edit_stories", "can_delete_stories", "can_post_messages", "can_edit_messages", "can_pin_messages",
)  # fmt: skip
# A restricted member's permissions (only the ones the emulator checks are kept in bot_rights).
MEMBER_PERMISSIONS = (
    "can_send_messages", "can_send_audios", "can_send_documents", "can_send_photos", "can_send_videos",
    "can_send_video_notes", "can_send_voice_notes", "can_send_polls", "can_send_other_messages",
    "can_add_web_page_previews", "can_change_info", "can_invite_users", "can_pin_messages", "can_manage_topics",
    "can_edit_tag", "can_react_to_messages",
)  # fmt: skip
IN_CHAT = ("creator", "administrator", "member", "restricted")  # statuses of someone in the chat


@dataclass
class Chat:
    """A chat; private chats have ``chat_id == user_id``, groups keep their members.

    For a group, supergroup or channel: ``bot_status`` is the bot's own membership (``left``,
    ``member``, ``administrator``, ``restricted``, ``kicked``) and ``bot_rights`` its rights as an
    administrator or its permissions when restricted; ``migrated_to`` is set once a group was
    upgraded to a supergroup (sending to the old id is refused with the new one).
    """

    chat_id: int
    type: str = "private"
    title: str | None = None
    user: UserAccount | None = None
    members: dict[int, str] = field(default_factory=dict)  # user id -> status
    username: str | None = None  # a public supergroup's or channel's @username (without the @)
    bot_status: str = "left"
    bot_rights: dict[str, bool] = field(default_factory=dict)
    migrated_to: int | None = None
    last_bot_in_chat: bool = True  # privacy mode: bare /commands reach the bot (it spoke last of the bots)
    messages: dict[int, StoredMessage] = field(default_factory=dict)
    next_message_id: int = 1
    reply_keyboard: JSONDict | None = None  # the custom keyboard the user currently sees
    menu_button: JSONDict | None = None

    def as_dict(self) -> JSONDict:
        data: JSONDict = {"id": self.chat_id, "type": self.type}
        if self.type == "private" and self.user is not None:
            data["first_name"] = self.user.first_name
            if self.user.last_name:
                data["last_name"] = self.user.last_name
            if self.user.username:
                data["username"] = self.user.username
        else:
            if self.title:
                data["title"] = self.title
            if self.username:
                data["username"] = self.username
        return data

    @property
    def kind_name(self) -> str:
        """As Telegram's refusals name it: "group", "supergroup", "channel"."""
        return self.type

    def bot_member(self, bot_user: JSONDict) -> JSONDict:
        """The bot's ChatMember object in this chat."""
        data: JSONDict = {"user": bot_user, "status": self.bot_status}
        if self.bot_status == "administrator":
            data["can_be_edited"] = False
            data["is_anonymous"] = False
            for right in ADMIN_RIGHTS:
                if right in ("can_post_messages", "can_edit_messages") and self.type != "channel":
                    continue
                if right == "can_pin_messages" and self.type == "channel":
                    continue
                data[right] = bool(self.bot_rights.get(right, False))
        elif self.bot_status == "restricted":
            data["is_member"] = True
            data["until_date"] = 0
            for permission in MEMBER_PERMISSIONS:
                data[permission] = bool(self.bot_rights.get(permission, False))
        elif self.bot_status == "kicked":
            data["until_date"] = 0
        return data

    def take_message_id(self) -> int:
        message_id = self.next_message_id
        self.next_message_id += 1
        return message_id


@dataclass(frozen=True)
class SentRecord:
    """A message the bot sent, edited or deleted (accepted calls only)."""

    method: str
    chat_id: int | None
    message_id: int | None
    text: str | None
    parse_mode: str | None
    entities: list[JSONDict]
    reply_markup: JSONDict | None
    disable_notification: bool
    link_preview_options: JSONDict | None
    time: float
    inline_message_id: str | None = None
    paid: bool = False  # sent with allow_paid_broadcast (Telegram charges 0.1 Star for it)


@dataclass(frozen=True)
class CallRecord:
    """One call to the Bot API and the HTTP status it was answered with."""

    method: str
    params: JSONDict
    status: int
    description: str | None = None
    time: float = 0.0


@dataclass
class PendingQuery:
    """A callback or inline query waiting for the bot's answer."""

    query_id: str
    created: float
    answered: bool = False
    answer: JSONDict | None = None
    answered_at: float | None = None  # the emulator's clock when the answer arrived


@dataclass
class ChatLine:
    """One message of the per-chat view: what the user sees on screen."""

    message_id: int
    from_bot: bool
    text: str
    entities: list[JSONDict]
    reply_markup: JSONDict | None
    edited: bool
