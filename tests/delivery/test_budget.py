"""One sending budget for every message: readers' answers draw from it in the bot's HTTP layer, a
429 to an answer pauses the budget and the answer goes again; pushes draw their own slots once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from telegram.constants import ParseMode
from telegram.ext import Defaults

from bot.devtools.emulator.server import BotApiEmulator
from bot.devtools.harness import TEST_TOKEN
from bot.runtime.limiter import PACED, Lane, RateLimiter
from bot.runtime.telegram_http import AiohttpRequest
from bot.runtime.workers import ShardingBot


@pytest.fixture
async def emu() -> AsyncIterator[BotApiEmulator]:
    async with BotApiEmulator() as emulator:
        for chat in (1, 2, 3):
            emulator.user(chat, register=True)
        yield emulator


@asynccontextmanager
async def paced_bot(emu: BotApiEmulator, budget: RateLimiter) -> AsyncIterator[ShardingBot]:
    """A bot whose HTTP client draws from `budget`, as build_application makes it."""
    bot = ShardingBot(
        TEST_TOKEN,
        base_url=emu.base_url,
        defaults=Defaults(parse_mode=ParseMode.HTML),
        request=AiohttpRequest(budget=budget),
        budget=budget,
    )
    await bot.initialize()
    try:
        yield bot
    finally:
        await bot.shutdown()


async def test_answers_draw_from_the_budget_in_the_replies_lane(
    emu: BotApiEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "1")
    budget = RateLimiter(1000, chat_interval=0)
    async with paced_bot(emu, budget) as bot:
        await _answers_draw(bot, emu, budget)


async def _answers_draw(bot: ShardingBot, emu: BotApiEmulator, budget: RateLimiter) -> None:
    await bot.send_message(1, "جواب")
    await bot.send_message(2, "جواب")
    await bot.get_me()  # not a message: draws nothing
    assert budget.sent_by_lane[Lane.REPLY] == 2
    token = PACED.set(True)  # a sender that drew its own slot (the delivery worker)
    try:
        await bot.send_message(3, "تنبيه")
    finally:
        PACED.reset(token)
    assert budget.sent_by_lane[Lane.REPLY] == 2
    assert len(emu.sent) == 3


async def test_an_answer_refused_with_429_pauses_the_budget_and_goes_again(
    emu: BotApiEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "1")
    emu.limits.mode = "sliding"
    emu.limits.global_rate = 1.0  # the server allows one message a second; the budget is told 1000
    budget = RateLimiter(1000, chat_interval=0)
    async with paced_bot(emu, budget) as bot:
        await bot.send_message(1, "الأول")
        await bot.send_message(2, "الثاني")  # refused once (retry after 1 s), then sent after the pause
    assert [r.text for r in emu.sent] == ["الأول", "الثاني"]
    assert [r.status for r in emu.refusals] == [429]
    assert budget.pauses == 1
    assert budget.factor() < 1.0  # and the pace was lowered
