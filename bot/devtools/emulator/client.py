"""The Telegram client side: a user who writes to the bot, presses buttons and blocks it."""

from __future__ import annotations

import time

from bot.devtools.emulator.state import (
    ADMIN_RIGHTS,
    IN_CHAT,
    MEMBER_PERMISSIONS,
    Chat,
    JSONDict,
    PendingQuery,
    StoredMessage,
    UserAccount,
)
from bot.devtools.emulator.telegram_html import utf16_len
from bot.devtools.emulator.world import World

__all__ = ["EmulatedChat", "EmulatedUser"]


class EmulatedUser:
    """A user of the emulated Telegram; every action queues the update Telegram would send.

    Methods are synchronous (they only change the emulator's state, on the event loop's thread);
    wait for the bot's reaction with ``BotApiEmulator.wait_for_*``.
    """

    def __init__(self, world: World, account: UserAccount) -> None:
        self.world = world
        self.account = account

    @property
    def user_id(self) -> int:
        return self.account.user_id

    @property
    def chat_id(self) -> int:
        """The private chat with the bot (its id is the user's)."""
        return self.account.user_id

    def register(self) -> None:
        """Make the private chat exist without sending anything (as if the user had opened it)."""
        self.world.register_chat(self.account.user_id)

    def send_text(self, text: str) -> JSONDict:
        """Write ``text`` to the bot; returns the queued ``message`` update."""
        account = self.account
        if account.deleted:
            raise ValueError(f"user {account.user_id} deleted their account")
        chat = self.world.register_chat(account.user_id)
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
        return self.world.queue({"message": message})

    def send_command(self, command: str, args: str = "") -> JSONDict:
        """Send ``/command args`` (a leading slash in ``command`` is optional)."""
        text = "/" + command.lstrip("/")
        if args:
            text += " " + args
        return self.send_text(text)

    def press_button(self, message_id: int, callback_data: str, *, strict: bool = True) -> str:
        """Press the inline button carrying ``callback_data`` under a bot message.

        Returns the callback query id. With ``strict`` the button must exist on the message as it
        currently stands, as in a real client.
        """
        world = self.world
        chat = world.register_chat(self.account.user_id)
        stored = chat.messages.get(message_id)
        if strict:
            if stored is None or stored.deleted or not stored.from_bot:
                raise ValueError(f"no bot message {message_id} in chat {chat.chat_id}")
            buttons = [b for row in (stored.reply_markup or {}).get("inline_keyboard", []) for b in row]
            if not any(b.get("callback_data") == callback_data for b in buttons):
                labels = [b.get("callback_data") for b in buttons]
                raise ValueError(
                    f"message {message_id} has no button with callback_data {callback_data!r}; it has {labels}"
                )
        query_id = str(next(world.query_ids))
        world.callback_queries[query_id] = PendingQuery(query_id, world.clock())
        callback: JSONDict = {
            "id": query_id,
            "from": self.account.as_dict(),
            "chat_instance": f"-{chat.chat_id}",
            "data": callback_data,
        }
        if stored is not None and not stored.deleted:
            callback["message"] = world.message_dict(chat, stored)
        world.queue({"callback_query": callback})
        return query_id

    def inline_query(self, query: str, offset: str = "") -> str:
        """Type ``@bot query`` in any chat; returns the inline query id."""
        world = self.world
        query_id = str(next(world.query_ids))
        world.inline_queries[query_id] = PendingQuery(query_id, world.clock())
        inline: JSONDict = {
            "id": query_id,
            "from": self.account.as_dict(),
            "query": query,
            "offset": offset,
            "chat_type": "sender",
        }
        world.queue({"inline_query": inline})
        return query_id

    def block(self) -> JSONDict:
        """Block the bot: sends answer 403 and a ``my_chat_member`` update (member → kicked)."""
        return self._set_blocked(blocked=True)

    def unblock(self) -> JSONDict:
        """Unblock the bot: a ``my_chat_member`` update (kicked → member)."""
        return self._set_blocked(blocked=False)

    def delete_account(self) -> None:
        """Delete the account: later sends to the chat answer 400 "chat not found"."""
        self.account.deleted = True

    def _set_blocked(self, *, blocked: bool) -> JSONDict:
        world, account = self.world, self.account
        chat = world.register_chat(account.user_id)
        old, new = ("member", "kicked") if blocked else ("kicked", "member")
        account.blocked_bot = blocked
        chat.members[account.user_id] = new
        new_member: JSONDict = {"user": world.bot_user, "status": new}
        if blocked:
            new_member["until_date"] = 0
        old_member: JSONDict = {"user": world.bot_user, "status": old}
        if not blocked:
            old_member["until_date"] = 0
        return world.queue(
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


class EmulatedChat:
    """A group, supergroup or channel of the emulated Telegram, and what its people do there.

    Every change of the bot's membership queues the ``my_chat_member`` update Telegram sends;
    messages from members reach the bot as Telegram's privacy mode lets them (``World.privacy_mode``).
    """

    def __init__(self, world: World, chat: Chat) -> None:
        self.world = world
        self.chat = chat

    @property
    def chat_id(self) -> int:
        return self.chat.chat_id

    # -- people --------------------------------------------------------------------------------

    def add_member(self, user: EmulatedUser | int, status: str = "member") -> None:
        """Someone joins (or is set to ``status``: member, administrator, creator, restricted, left, kicked)."""
        user_id = user if isinstance(user, int) else user.user_id
        if user_id not in self.world.users:
            self.world.users[user_id] = UserAccount(user_id, "عضو")
        self.chat.members[user_id] = status

    # -- the bot's membership ------------------------------------------------------------------

    def add_bot(self, by: EmulatedUser | int, *, admin: bool = False, **rights: bool) -> JSONDict:
        """``by`` adds the bot: a member (groups), or an administrator with ``rights`` (a channel's
        bot is always an administrator; posting is allowed unless ``can_post_messages=False``)."""
        if self.chat.type == "channel":
            admin = True
        return self._set_bot(by, "administrator" if admin else "member", self._admin_rights(rights) if admin else {})

    def promote_bot(self, by: EmulatedUser | int, **rights: bool) -> JSONDict:
        """The bot becomes an administrator (or its rights change)."""
        return self._set_bot(by, "administrator", self._admin_rights(rights))

    def demote_bot(self, by: EmulatedUser | int) -> JSONDict:
        """The bot loses its administrator rights: a plain member of a group; in a channel, where a
        bot cannot be a plain member, an administrator that may no longer post."""
        if self.chat.type == "channel":
            return self._set_bot(by, "administrator", self._admin_rights({"can_post_messages": False}))
        return self._set_bot(by, "member", {})

    def restrict_bot(self, by: EmulatedUser | int, *, can_send_messages: bool = False) -> JSONDict:
        """A supergroup restricts the bot (by default it may no longer send messages)."""
        if self.chat.type != "supergroup":
            raise ValueError("only a supergroup restricts members")
        permissions = dict.fromkeys(MEMBER_PERMISSIONS, can_send_messages)
        return self._set_bot(by, "restricted", permissions)

    def remove_bot(self, by: EmulatedUser | int, *, ban: bool = True) -> JSONDict:
        """The bot is removed: banned (``kicked``), or with ``ban=False`` removed and free to come back (``left``)."""
        return self._set_bot(by, "kicked" if ban else "left", {})

    @staticmethod
    def _admin_rights(given: dict[str, bool]) -> dict[str, bool]:
        rights = dict.fromkeys(ADMIN_RIGHTS, True)
        rights["can_promote_members"] = False
        unknown = set(given) - set(ADMIN_RIGHTS)
        if unknown:
            raise ValueError(f"no such administrator rights: {sorted(unknown)}")
        rights.update(given)
        return rights

    def _set_bot(self, by: EmulatedUser | int, status: str, rights: dict[str, bool]) -> JSONDict:
        world, chat = self.world, self.chat
        by_id = by if isinstance(by, int) else by.user_id
        if chat.type != "channel" and status in ("member", "administrator") and chat.bot_status in ("left", "kicked"):
            pass  # anyone allowed to add members may add the bot to a group
        elif chat.members.get(by_id) not in ("creator", "administrator"):
            raise ValueError(f"user {by_id} is not an administrator of chat {chat.chat_id}")
        if by_id not in world.users:
            world.users[by_id] = UserAccount(by_id, "مشرف")
        old = chat.bot_member(world.bot_user)
        chat.bot_status, chat.bot_rights = status, rights
        new = chat.bot_member(world.bot_user)
        return world.queue(
            {
                "my_chat_member": {
                    "chat": chat.as_dict(),
                    "from": world.users[by_id].as_dict(),
                    "date": int(time.time()),
                    "old_chat_member": old,
                    "new_chat_member": new,
                }
            }
        )

    # -- messages ------------------------------------------------------------------------------

    def send_text(self, user: EmulatedUser | int, text: str, *, reply_to: int | None = None) -> JSONDict | None:
        """``user`` writes ``text`` in the group. Returns the queued ``message`` update, or None when
        Telegram would not show it to the bot (privacy mode, or the bot is not in the group)."""
        world, chat = self.world, self.chat
        if chat.type == "channel":
            raise ValueError("members do not write in a channel")
        if chat.migrated_to is not None:
            raise ValueError(f"group {chat.chat_id} became supergroup {chat.migrated_to}")
        user_id = user if isinstance(user, int) else user.user_id
        account = world.users.get(user_id)
        if account is None or chat.members.get(user_id) not in IN_CHAT:
            raise ValueError(f"user {user_id} is not a member of chat {chat.chat_id}")
        now = int(time.time())
        message_id = chat.take_message_id()
        entities: list[JSONDict] = []
        command_target: str | None = None
        if text.startswith("/"):
            command = text.split(maxsplit=1)[0] if text.strip() else text
            entities.append({"type": "bot_command", "offset": 0, "length": utf16_len(command)})
            _, _, command_target = command.partition("@")
        chat.messages[message_id] = StoredMessage(message_id, False, now, text, entities, sender_id=user_id)
        replied = chat.messages.get(reply_to) if reply_to is not None else None
        if chat.bot_status not in ("member", "administrator", "restricted"):
            return None
        if not self._bot_sees(text, command_target, replied):
            return None
        message: JSONDict = {
            "message_id": message_id,
            "from": account.as_dict(),
            "chat": chat.as_dict(),
            "date": now,
            "text": text,
        }
        if entities:
            message["entities"] = entities
        if replied is not None:
            message["reply_to_message"] = world.message_dict(chat, replied)
        return world.queue({"message": message})

    def _bot_sees(self, text: str, command_target: str | None, replied: StoredMessage | None) -> bool:
        """Telegram's privacy mode: an administrator bot, or a bot with privacy off, sees everything;
        otherwise commands meant for it (``/cmd@bot``, and a bare ``/cmd`` when it is the last bot
        that spoke there), replies to its messages."""
        world, chat = self.world, self.chat
        if not world.privacy_mode or chat.bot_status == "administrator":
            return True
        if replied is not None and replied.from_bot:
            return True
        if command_target is None:
            return False
        if command_target:
            return command_target.lower() == world.bot_username.lower()
        return chat.last_bot_in_chat

    def migrate_to_supergroup(self) -> EmulatedChat:
        """The group is upgraded to a supergroup: a new chat id, the members and the bot's status
        carried over; the bot gets the two service messages (``migrate_to_chat_id`` in the old
        chat, ``migrate_from_chat_id`` in the new), and sending to the old id is refused."""
        world, old = self.world, self.chat
        if old.type != "group":
            raise ValueError("only a basic group is upgraded to a supergroup")
        new = world.create_chat("supergroup", old.title or "", chat_id=-next(world.channel_ids))
        new.members = dict(old.members)
        new.bot_status, new.bot_rights = old.bot_status, dict(old.bot_rights)
        old.migrated_to = new.chat_id
        owner = next((uid for uid, s in old.members.items() if s == "creator"), None)
        sender = world.users[owner].as_dict() if owner is not None else world.bot_user
        now = int(time.time())
        if old.bot_status in ("member", "administrator", "restricted"):
            old_id = old.take_message_id()
            world.queue(
                {
                    "message": {
                        "message_id": old_id, "from": sender, "chat": old.as_dict(), "date": now,
                        "migrate_to_chat_id": new.chat_id,
                    }
                }
            )  # fmt: skip
            new_id = new.take_message_id()
            world.queue(
                {
                    "message": {
                        "message_id": new_id, "from": sender, "chat": new.as_dict(), "date": now,
                        "migrate_from_chat_id": old.chat_id,
                    }
                }
            )  # fmt: skip
        return EmulatedChat(world, new)
