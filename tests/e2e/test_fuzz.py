"""Thousands of random and hostile updates from several readers: no refused call, the bot stays up."""

from __future__ import annotations

import asyncio
import logging
import random

import pytest

from bot.devtools.harness import BotHarness, ChatClient

_HOSTILE = [
    "<b>",
    "</i>",
    "&",
    "&amp;",
    "&#0;",
    "<a href='javascript:x'>",
    "'; DROP TABLE readers; --",
    '" OR 1=1',
    "NEAR(",
    "*",
    "\u202e",
    "\u200f",
    "\u2066",
    "\x00",
    "\x1b[31m",
    "\ufeff",
    "🔥",
    "👨‍👩‍👧",
    "غزة",
    "إسرائيل",
    "١٢٣",
    "%s%n",
    "{{ 7*7 }}",
    "{% raw %}",
]
_COMMANDS = ["/start", "/latest", "/topics", "/mysubs", "/search", "/article", "/settings", "/live", "/videos"]
_COMMANDS += ["/follow", "/stop", "/help", "/nonsense", "🔎 بحث", "📰 آخر الأخبار", "⚙️ الإعدادات"]


def _junk(rng: random.Random, size: int) -> str:
    pieces = []
    while sum(len(p) for p in pieces) < size:
        roll = rng.random()
        if roll < 0.4:
            pieces.append(rng.choice(_HOSTILE))
        elif roll < 0.8:
            pieces.append(chr(rng.choice([rng.randint(0x20, 0x7E), rng.randint(0x600, 0x6FF), rng.randint(1, 0x2FFF)])))
        else:
            pieces.append(chr(rng.randint(0x1F300, 0x1FAFF)))
    return "".join(pieces)[:size] or "x"


async def _one(rng: random.Random, reader: ChatClient, harness: BotHarness) -> None:
    roll = rng.random()
    if roll < 0.35:
        text = rng.choice(_COMMANDS)
        if rng.random() < 0.5:
            text += " " + _junk(rng, rng.choice([1, 5, 40, 300, 4000]))
        await reader.send(text)
    elif roll < 0.5:
        await reader.send(_junk(rng, rng.choice([1, 10, 200, 4000])))
    elif roll < 0.6:
        await reader.send(f"/article {rng.choice([rng.randint(-5, 200), rng.randint(0, 10**15)])}")
    elif roll < 0.85:
        buttons = reader.buttons()
        if buttons and rng.random() < 0.7:
            message_id, _, data = rng.choice(buttons)
            if data.startswith("1:"):
                await reader.press_data(message_id, data, strict=False)
                return
        messages = [line.message_id for line in harness.emulator.chat_view(reader.chat_id) if line.from_bot]
        message_id = rng.choice(messages) if messages else 1
        action = rng.choice(["lt", "ar", "tp", "tt", "to", "tl", "ts", "mr", "sr", "st", "sp", "vd", "lv", "zz"])
        args = ":".join(str(rng.randint(0, 30)) for _ in range(rng.randint(0, 3)))
        data = rng.choice([f"1:{action}:{args}", f"0:{action}:{args}", _junk(rng, rng.randint(1, 64))])
        await reader.press_data(message_id, data.encode()[:64].decode("utf-8", "ignore") or "x", strict=False)
    else:
        await reader.inline(_junk(rng, rng.choice([0, 1, 5, 50, 300, 5000])) if rng.random() < 0.9 else "")


async def test_random_and_hostile_updates_never_break_the_bot(
    harness: BotHarness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, logger="newsbot.errors")
    rng = random.Random(20260401)
    readers = [harness.reader(3000 + i, _junk(rng, 8)) for i in range(8)]
    for reader in readers:
        await reader.send("/start")

    async def run(reader: ChatClient, seed: int) -> None:
        local = random.Random(seed)
        for _ in range(300):
            await _one(local, reader, harness)

    await asyncio.gather(*(run(reader, rng.randint(0, 10**9)) for reader in readers))
    assert harness.emulator.refusals == []
    assert [r.getMessage() for r in caplog.records if r.name == "newsbot.errors"] == []  # no handler failed
    # still up: a plain command is answered normally afterwards
    reply = await readers[0].send("/latest")
    assert "📰 آخر الأخبار" in reply.text
