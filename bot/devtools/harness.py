"""The real bot against the local Bot API emulator, in one event loop: for tests and the console.

`BotHarness` starts the emulator on a free loopback port and the real Application (the same
composition root and handlers as `newsbot run`) polling it. `ChatClient` plays one Telegram user:
each action injects the update Telegram would send and returns once the bot has finished handling
it, with what the bot sent or edited in that chat meanwhile. Nothing sleeps or guesses.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from telegram import Update

from bot.app import NewsApplication, build_application, start_in_loop, stop_in_loop
from bot.config import Settings
from bot.devtools.emulator.client import EmulatedUser
from bot.devtools.emulator.server import BotApiEmulator
from bot.devtools.emulator.state import JSONDict, SentRecord
from bot.runtime.context import Clock, NewsBot, utc_now
from bot.runtime.processing import TrackingUpdateProcessor

TEST_TOKEN = "123456789:AAH-emulated-token-for-local-use_only"  # noqa: S105 - the emulator accepts any token


@dataclass
class Reply:
    """What the bot did in a chat while handling one update."""

    records: list[SentRecord] = field(default_factory=list)
    callback_answer: JSONDict | None = None
    inline_answer: JSONDict | None = None

    @property
    def sent(self) -> list[SentRecord]:
        return [r for r in self.records if r.method == "sendMessage"]

    @property
    def edited(self) -> list[SentRecord]:
        return [r for r in self.records if r.method.startswith("editMessage")]

    @property
    def texts(self) -> list[str]:
        return [r.text for r in self.records if r.text is not None]

    @property
    def text(self) -> str:
        """Every text the bot sent or edited, joined: handy for `in` assertions."""
        return "\n".join(self.texts)

    def buttons(self) -> list[tuple[str, str]]:
        """(label, callback_data or url) of every inline button on the messages in this reply."""
        out: list[tuple[str, str]] = []
        for record in self.records:
            for row in (record.reply_markup or {}).get("inline_keyboard", []):
                for button in row:
                    out.append((button["text"], button.get("callback_data") or button.get("url") or ""))
        return out


class ChatClient:
    """One Telegram user in a private chat with the bot."""

    def __init__(self, harness: BotHarness, user: EmulatedUser) -> None:
        self.harness = harness
        self.user = user

    @property
    def chat_id(self) -> int:
        return self.user.chat_id

    async def send(self, text: str, *, timeout: float | None = 15.0) -> Reply:
        """Write `text` to the bot and wait until it has been handled (timeout None: however long it takes)."""
        mark = len(self.harness.emulator.sent)
        update = self.user.send_text(text)
        await self.harness.wait_handled(update["update_id"], timeout)
        return Reply(self.harness.records_since(mark, self.chat_id))

    async def press(self, label: str, *, message_id: int | None = None, timeout: float = 15.0) -> Reply:
        """Press the inline button whose label contains `label` on the newest bot message that has one."""
        message_id, data = self.find_button(label, message_id)
        return await self.press_data(message_id, data, timeout=timeout)

    async def press_data(
        self, message_id: int, data: str, *, strict: bool = True, timeout: float | None = 15.0
    ) -> Reply:
        """Press a button by its callback data (strict=False sends data no button carries)."""
        emulator = self.harness.emulator
        mark = len(emulator.sent)
        query_id = self.user.press_button(message_id, data, strict=strict)
        update_id = emulator.updates[-1]["update_id"]  # the update just queued for this press
        await self.harness.wait_handled(update_id, timeout)
        answer = emulator.callback_queries[query_id].answer
        return Reply(self.harness.records_since(mark, self.chat_id), callback_answer=answer)

    async def inline(self, query: str, *, timeout: float | None = 15.0) -> Reply:
        emulator = self.harness.emulator
        query_id = self.user.inline_query(query)
        update_id = emulator.updates[-1]["update_id"]  # the update just queued for this query
        await self.harness.wait_handled(update_id, timeout)
        return Reply(inline_answer=emulator.inline_queries[query_id].answer)

    async def block(self, *, timeout: float = 15.0) -> None:
        update = self.user.block()
        await self.harness.wait_handled(update["update_id"], timeout)

    async def unblock(self, *, timeout: float = 15.0) -> None:
        update = self.user.unblock()
        await self.harness.wait_handled(update["update_id"], timeout)

    def buttons(self, message_id: int | None = None) -> list[tuple[int, str, str]]:
        """(message id, label, data) of the inline buttons on a message (default: the newest with any)."""
        lines = [line for line in self.harness.emulator.chat_view(self.chat_id) if line.from_bot]
        for line in reversed(lines):
            if message_id is not None and line.message_id != message_id:
                continue
            keyboard = (line.reply_markup or {}).get("inline_keyboard", [])
            found = [
                (line.message_id, b["text"], b.get("callback_data") or b.get("url") or "")
                for row in keyboard
                for b in row
            ]
            if found or message_id is not None:
                return found
        return []

    def find_button(self, label: str, message_id: int | None = None) -> tuple[int, str]:
        lines = [line for line in self.harness.emulator.chat_view(self.chat_id) if line.from_bot]
        for line in reversed(lines):
            if message_id is not None and line.message_id != message_id:
                continue
            for row in (line.reply_markup or {}).get("inline_keyboard", []):
                for button in row:
                    if label in button["text"] and "callback_data" in button:
                        return line.message_id, button["callback_data"]
        raise LookupError(f"no inline button labelled {label!r} in chat {self.chat_id}")

    def screen(self) -> list[str]:
        """The chat's bot messages as they stand now (after edits and deletions)."""
        return [line.text for line in self.harness.emulator.chat_view(self.chat_id) if line.from_bot]


class BotHarness:
    """Start with `async with BotHarness(settings) as h:`; `h.reader(id)` plays a user."""

    def __init__(
        self,
        settings: Settings,
        *,
        emulator: BotApiEmulator | None = None,
        clock: Clock = utc_now,
        rate_limits: bool = False,
    ) -> None:
        self.emulator = emulator or BotApiEmulator(rate_limits=rate_limits)
        self.settings = settings
        self.clock = clock
        self._app: NewsApplication | None = None

    @property
    def app(self) -> NewsApplication:
        if self._app is None:
            raise RuntimeError("the harness is not started")
        return self._app

    @property
    def news(self) -> NewsBot:
        return self.app.bot_data

    async def start(self) -> None:
        await self.emulator.start()
        settings = dataclasses.replace(self.settings, token=TEST_TOKEN, api_url=self.emulator.base_url)
        self._app = build_application(settings, clock=self.clock)
        await start_in_loop(self._app, poll_interval=0.0, timeout=1, allowed_updates=Update.ALL_TYPES)

    async def stop(self) -> None:
        if self._app is not None:
            app, self._app = self._app, None
            await stop_in_loop(app)
        await self.emulator.stop()

    async def __aenter__(self) -> BotHarness:
        try:
            await self.start()
        except BaseException:
            await self.stop()
            raise
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def reader(self, user_id: int, first_name: str = "قارئ", username: str | None = None, **kw: Any) -> ChatClient:
        return ChatClient(self, self.emulator.user(user_id, first_name, username, **kw))

    async def wait_handled(self, update_id: int, timeout: float | None = 15.0) -> None:
        processor = self.app.update_processor
        assert isinstance(processor, TrackingUpdateProcessor)
        await processor.wait_done(update_id, timeout)

    def records_since(self, mark: int, chat_id: int) -> list[SentRecord]:
        return [r for r in self.emulator.sent[mark:] if r.chat_id == chat_id]
