"""`newsbot console`: chat with the real bot in the terminal, against the local Bot API emulator.

No token and no network: the emulator listens on loopback, the real Application polls it, and this
module plays one Telegram user. Replies show with their formatting rendered for the terminal and
their inline buttons numbered: typing a number presses that button. Piped input
(`printf '/start\\n/latest\\n' | newsbot console`) prints a transcript and exits.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import sys
from collections.abc import Awaitable
from pathlib import Path
from typing import IO

from bot.config import Settings
from bot.devtools.emulator.state import JSONDict, SentRecord
from bot.devtools.harness import BotHarness, ChatClient, Reply

BOLD, ITALIC, UNDERLINE, DIM, RESET = "\033[1m", "\033[3m", "\033[4m", "\033[2m", "\033[0m"
_STYLES = {"bold": BOLD, "italic": ITALIC, "underline": UNDERLINE, "code": DIM, "pre": DIM}

QUIT = {"/quit", "/exit", "خروج"}
PROMPT = "أنت › "
# A command may take as long as its work (an /ingest waits up to NEWSBOT_FETCH_TIMEOUT for a slow
# site): the console waits for it, saying every this many seconds that the bot is still at it.
STILL_WORKING_EVERY = 10.0
STILL_WORKING = "(⏳ ما زال البوت يعمل على طلبك…)"


def render_entities(text: str, entities: list[JSONDict], color: bool) -> str:
    """Telegram text + entities → terminal text: ANSI styles when `color`, link targets in brackets."""
    units = text.encode("utf-16-le")
    opens: dict[int, list[str]] = {}
    closes: dict[int, list[str]] = {}
    for entity in entities:
        start, end = entity["offset"], entity["offset"] + entity["length"]
        style = _STYLES.get(entity["type"]) if color else None
        if style:
            opens.setdefault(start, []).append(style)
            closes.setdefault(end, []).append(RESET)
        if entity["type"] == "text_link":
            closes.setdefault(end, []).append(f" ⟨{entity['url']}⟩")
    out: list[str] = []
    n_units = len(units) // 2
    i = 0
    while i <= n_units:
        out.extend(closes.get(i, []))
        if closes.get(i) and color:
            # a closed style resets everything: reopen the styles still active
            for entity in entities:
                if entity["offset"] < i < entity["offset"] + entity["length"] and _STYLES.get(entity["type"]):
                    out.append(_STYLES[entity["type"]])
        out.extend(opens.get(i, []))
        if i == n_units:
            break
        unit = int.from_bytes(units[2 * i : 2 * i + 2], "little")
        width = 2 if 0xD800 <= unit < 0xDC00 else 1
        out.append(units[2 * i : 2 * (i + width)].decode("utf-16-le"))
        i += width
    return "".join(out)


class Console:
    def __init__(
        self, client: ChatClient, out: IO[str], *, color: bool, still_working_every: float = STILL_WORKING_EVERY
    ) -> None:
        self.client = client
        self.out = out
        self.color = color
        self.still_working_every = still_working_every
        self.buttons: list[tuple[int, str, str]] = []  # (message id, label, data or url)

    def show(self, reply: Reply) -> None:
        numbered: list[tuple[int, str, str]] = []
        for record in reply.records:
            self._show_record(record, numbered)
        if reply.callback_answer and reply.callback_answer.get("text"):
            self._line(f"ℹ️  {reply.callback_answer['text']}")
        if numbered:
            self.buttons = numbered
        if not reply.records and not (reply.callback_answer or {}).get("text"):
            self._line("(لا رد)")

    def _show_record(self, record: SentRecord, numbered: list[tuple[int, str, str]]) -> None:
        if record.method == "deleteMessage":
            return
        marker = "✏️ " if record.method.startswith("editMessage") else ""
        if record.text is not None:
            body = render_entities(record.text, record.entities, self.color)
            self._line(f"{marker}🤖 {body}")
        keyboard = (record.reply_markup or {}).get("inline_keyboard", [])
        for row in keyboard:
            cells = []
            for button in row:
                numbered.append((record.message_id or 0, button["text"], self._target(button)))
                cells.append(f"[{len(numbered)}] {button['text']}")
            self._line("   " + "   ".join(cells))
        reply_keyboard = (record.reply_markup or {}).get("keyboard")
        if reply_keyboard:
            labels = " | ".join(b["text"] for row in reply_keyboard for b in row)
            self._line(f"   ⌨️  {labels}")

    @staticmethod
    def _target(button: JSONDict) -> str:
        if "callback_data" in button:
            return "cb:" + button["callback_data"]
        if "url" in button:
            return "url:" + button["url"]
        if "switch_inline_query" in button:
            return "inline:" + button["switch_inline_query"]
        return ""

    def _line(self, text: str) -> None:
        self.out.write(text + "\n")
        self.out.flush()

    async def handle(self, line: str) -> None:
        line = line.strip()
        if not line:
            return
        if line.isdigit() and self.buttons:
            index = int(line) - 1
            if not 0 <= index < len(self.buttons):
                self._line(f"(لا يوجد زر بالرقم {line}: الأزرار من 1 إلى {len(self.buttons)})")
                return
            message_id, _label, target = self.buttons[index]
            kind, _, value = target.partition(":")
            if kind == "cb":
                self.show(await self._patiently(self.client.press_data(message_id, value, strict=False, timeout=None)))
            elif kind == "url":
                self._line(f"🔗 {value}")
            elif kind == "inline":
                reply = await self._patiently(self.client.inline(value, timeout=None))
                results = (reply.inline_answer or {}).get("results", [])
                self._line(f"🔎 {len(results)} نتيجة للمشاركة")
                for result in results[:10]:
                    self._line(f"   • {result.get('title', '')}")
            return
        self.show(await self._patiently(self.client.send(line, timeout=None)))

    async def _patiently(self, handled: Awaitable[Reply]) -> Reply:
        """Wait for the bot to finish handling an update however long it takes, saying so meanwhile."""
        task = asyncio.ensure_future(handled)
        try:
            while True:
                done, _ = await asyncio.wait({task}, timeout=self.still_working_every)
                if done:
                    return task.result()
                self._line(STILL_WORKING)
        finally:
            task.cancel()  # only when the console itself stops (Ctrl-C) before the bot is done


async def run_console(
    settings: Settings,
    *,
    user_id: int = 1000,
    db: str | None = None,
    stdin: IO[str] | None = None,
    stdout: IO[str] | None = None,
) -> int:
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    if db:
        settings = dataclasses.replace(settings, db_path=Path(db))
    # The demo needs no network: the seeds' items keep their leads (NEWSBOT_FULLTEXT is for `newsbot run`).
    settings = dataclasses.replace(settings, fulltext=False)
    interactive = stdin.isatty()
    color = stdout.isatty() and "NO_COLOR" not in os.environ
    async with BotHarness(settings) as harness:
        client = harness.reader(user_id, "زائر", "visitor")
        console = Console(client, stdout, color=color)
        if interactive:
            stdout.write(
                "newsbot console — the real bot on a local Telegram emulator. "
                "Type /start, a command, or a button's number; /quit to leave.\n"
            )
            stdout.flush()
        loop = asyncio.get_running_loop()
        while True:
            if interactive:
                stdout.write(PROMPT)
                stdout.flush()
            line = await loop.run_in_executor(None, stdin.readline)
            if not line:
                break
            if line.strip() in QUIT:
                break
            if not interactive:
                stdout.write(f"{PROMPT}{line.strip()}\n")
            await console.handle(line)
    return 0
