"""The Telegram client side: a user who writes to the bot, presses buttons and blocks it."""

from __future__ import annotations

import time

from bot.devtools.emulator.state import JSONDict, PendingQuery, StoredMessage, UserAccount
from bot.devtools.emulator.telegram_html import utf16_len
from bot.devtools.emulator.world import World

__all__ = ["EmulatedUser"]


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
