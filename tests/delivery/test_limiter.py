"""The rate limiter on a fake clock: nothing here waits for real time."""

from __future__ import annotations

import asyncio

import pytest

from bot.delivery.limiter import RateLimiter


class FakeTime:
    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


async def test_overall_rate_spaces_sends_evenly() -> None:
    t = FakeTime()
    limiter = RateLimiter(10, chat_interval=0, clock=t.clock, sleep=t.sleep)
    start = t.now
    for chat in range(31):
        await limiter.acquire(chat)
    assert t.now - start == pytest.approx(3.0)  # 31 sends at 10/s: the first at once, then 0.1 s apart


async def test_one_chat_gets_one_message_a_second() -> None:
    t = FakeTime()
    limiter = RateLimiter(1000, chat_interval=1.0, clock=t.clock, sleep=t.sleep)
    start = t.now
    for _ in range(4):
        await limiter.acquire(7)
    assert t.now - start == pytest.approx(3.0)
    before = t.now
    await limiter.acquire(8)  # another chat is not held by chat 7
    assert t.now - before == pytest.approx(0.0, abs=0.002)


async def test_pause_holds_every_send_until_retry_after() -> None:
    t = FakeTime()
    limiter = RateLimiter(100, chat_interval=0, clock=t.clock, sleep=t.sleep)
    await limiter.acquire(1)
    limiter.pause(5)
    await limiter.acquire(2)
    assert t.now >= 1005.0
    assert limiter.pauses == 1
    limiter.pause(1)  # a shorter pause inside a longer one changes nothing
    assert limiter.pauses == 2 and limiter.paused_until == pytest.approx(t.now + 1)


async def test_a_pause_during_a_wait_voids_the_reserved_slot() -> None:
    t = FakeTime()
    limiter = RateLimiter(1, chat_interval=0, clock=t.clock, sleep=t.sleep)
    await limiter.acquire(1)  # slot at 1000; the next one at 1001

    async def sleep_then_pause(seconds: float) -> None:
        limiter.pause(10)  # a 429 arrives while this send waits for its slot
        t.now += seconds
        await asyncio.sleep(0)

    limiter._sleep = sleep_then_pause
    waiter = asyncio.create_task(limiter.acquire(2))
    await asyncio.sleep(0)
    limiter._sleep = t.sleep
    await waiter
    assert t.now >= 1010.0


def test_rate_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        RateLimiter(0)
