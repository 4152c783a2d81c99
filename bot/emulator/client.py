"""The Telegram client side: a user who writes to the bot, presses buttons and blocks it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.emulator.state import JSONDict, UserAccount

if TYPE_CHECKING:
    from bot.emulator.server import BotApiEmulator


class EmulatedUser:
    """A user of the emulated Telegram; every action queues the update Telegram would send.

    Methods are synchronous (they only change the emulator's state, on the event loop's thread);
    wait for the bot's reaction with ``BotApiEmulator.wait_for_*``.
    """

    def __init__(self, emulator: BotApiEmulator, account: UserAccount) -> None:
        self.emulator = emulator
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
        self.emulator.register_chat(self.account.user_id)

    def send_text(self, text: str) -> JSONDict:
        """Write ``text`` to the bot; returns the queued ``message`` update."""
        return self.emulator.inject_message(self.account, text)

    def send_command(self, command: str, args: str = "") -> JSONDict:
        """Send ``/command args`` (a leading slash in ``command`` is optional)."""
        text = "/" + command.lstrip("/")
        if args:
            text += " " + args
        return self.emulator.inject_message(self.account, text)

    def press_button(self, message_id: int, callback_data: str, *, strict: bool = True) -> str:
        """Press the inline button carrying ``callback_data`` under a bot message.

        Returns the callback query id. With ``strict`` the button must exist on the message as it
        currently stands, as in a real client.
        """
        return self.emulator.inject_callback_query(self.account, message_id, callback_data, strict=strict)

    def inline_query(self, query: str, offset: str = "") -> str:
        """Type ``@bot query`` in any chat; returns the inline query id."""
        return self.emulator.inject_inline_query(self.account, query, offset)

    def block(self) -> JSONDict:
        """Block the bot: sends answer 403 and a ``my_chat_member`` update (member → kicked)."""
        return self.emulator.set_blocked(self.account, blocked=True)

    def unblock(self) -> JSONDict:
        """Unblock the bot: a ``my_chat_member`` update (kicked → member)."""
        return self.emulator.set_blocked(self.account, blocked=False)

    def delete_account(self) -> None:
        """Delete the account: later sends to the chat answer 400 "chat not found"."""
        self.account.deleted = True
