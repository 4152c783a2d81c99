"""The rate limiter on a fake clock: nothing here waits for real time."""

from __future__ import annotations

import asyncio
import heapq
import itertools
import random
from collections.abc import Awaitable, Callable

import pytest

from bot.runtime.limiter import Lane, PaceState, RateLimiter


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
    limiter = RateLimiter(10, chat_interval=0, clock=t.clock, sleep=t.sleep, margin=0)
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
    limiter = RateLimiter(1, chat_interval=0, clock=t.clock, sleep=t.sleep, margin=0)
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


class VirtualTime:
    """A clock many tasks sleep on at once: `run(...)` advances it to the next wake-up whenever
    every task is waiting, so concurrent senders are ordered exactly as in real time."""

    def __init__(self) -> None:
        self.now = 1000.0
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self.now + max(0.0, seconds), next(self._order), future))
        await future

    async def run(self, *coroutines: Awaitable[None]) -> None:
        tasks = [asyncio.ensure_future(c) for c in coroutines]
        while not all(t.done() for t in tasks):
            for _ in range(20):
                await asyncio.sleep(0)
            if self._sleepers and not all(t.done() for t in tasks):
                when, _, future = heapq.heappop(self._sleepers)
                self.now = max(self.now, when)
                future.set_result(None)
        for task in tasks:
            task.result()


def most_in_any_window(times: list[float], window: float = 1.0) -> int:
    times = sorted(times)
    best, start = 0, 0
    for end, t in enumerate(times):
        while times[start] <= t - window:
            start += 1
        best = max(best, end - start + 1)
    return best


def sender(
    limiter: RateLimiter, t: VirtualTime, log: list[float], lane: Lane = Lane.ROUTINE
) -> Callable[[int], Awaitable[None]]:
    async def send(chat: int) -> None:
        await limiter.acquire(chat, lane)
        log.append(t.now)

    return send


async def test_no_one_second_window_holds_more_than_the_cap_even_with_jitter() -> None:
    t = VirtualTime()
    limiter = RateLimiter(30, chat_interval=0, clock=t.clock, sleep=t.sleep)
    sent: list[float] = []
    send = sender(limiter, t, sent)
    await t.run(*(send(n) for n in range(300)))
    rng = random.Random(7)
    arrivals = [s + rng.uniform(0, 0.02) for s in sent]  # each moved by up to 20 ms on the way
    assert most_in_any_window(sent) <= 30
    assert most_in_any_window(arrivals) <= 30
    achieved = (len(sent) - 1) / (sent[-1] - sent[0])
    assert achieved == pytest.approx(30 * 0.98, rel=1e-6)  # the pace: the cap less the margin


async def test_replies_then_breaking_news_then_routine_oldest_first() -> None:
    t = VirtualTime()
    limiter = RateLimiter(10, chat_interval=0, clock=t.clock, sleep=t.sleep)
    order: list[str] = []

    async def send(name: str, lane: Lane, delay: float) -> None:
        await t.sleep(delay)
        await limiter.acquire(None, lane)
        order.append(name)

    routine = [send(f"r{n}", Lane.ROUTINE, 0.0) for n in range(20)]
    await t.run(*routine, send("urgent", Lane.URGENT, 0.35), send("reply", Lane.REPLY, 0.36))
    # Slots fall at 0, 0.102, 0.204, 0.306, 0.408 … s: the reply (0.36 s) and the breaking news
    # (0.35 s) take the next two, the reply first, before the sixteen routine sends still waiting
    # (no slot is held ahead), which keep their order.
    assert order[:6] == ["r0", "r1", "r2", "r3", "reply", "urgent"]
    assert order[6:] == [f"r{n}" for n in range(4, 20)]


async def test_a_429_lowers_the_pace_then_it_creeps_back() -> None:
    t = VirtualTime()
    limiter = RateLimiter(30, chat_interval=0, clock=t.clock, sleep=t.sleep)
    assert limiter.factor() == 1.0
    limiter.pause(2)
    assert limiter.factor() == pytest.approx(0.9)
    sent: list[float] = []
    send = sender(limiter, t, sent)
    await t.run(*(send(n) for n in range(10)))
    assert sent[0] >= 1002.0  # nothing during the pause
    assert sent[1] - sent[0] == pytest.approx(1 / (30 * 0.98 * 0.9), rel=0.02)  # slower just after it
    t.now = 1002.0 + 5
    assert limiter.factor() == pytest.approx(0.95)  # 1 % a second from the end of the pause
    t.now = 1002.0 + 10
    assert limiter.factor() == 1.0  # back to the full pace 10 s after it
    limiter.pause(1)
    limiter.pause(1)  # a second 429 inside the same pause lowers nothing more
    assert limiter.factor() == pytest.approx(0.9) and limiter.pauses == 2


async def test_processes_of_a_group_share_one_schedule(tmp_path: object) -> None:
    t = VirtualTime()
    shared = PaceState.shared()
    try:
        other = PaceState.attach(shared.path)  # as a worker process maps it
        assert shared.path is not None and shared.path.exists()
        a = RateLimiter(10, chat_interval=0, clock=t.clock, sleep=t.sleep, state=shared)
        b = RateLimiter(10, chat_interval=0, clock=t.clock, sleep=t.sleep, state=other)
        sent: list[float] = []
        await t.run(
            *(sender(a, t, sent)(n) for n in range(10)), *(sender(b, t, sent, Lane.REPLY)(n) for n in range(10))
        )
        assert len(sent) == 20
        assert most_in_any_window(sent) <= 10  # one cap for both, not one each
        a.pause(3)
        assert b.paused_until == pytest.approx(t.now + 3)  # a 429 seen by one holds the other
        other.close()
    finally:
        path = shared.path
        shared.close()
    assert path is not None and not path.exists()


async def test_readers_asking_without_pause_do_not_starve_pushes() -> None:
    t = VirtualTime()
    limiter = RateLimiter(10, chat_interval=0, clock=t.clock, sleep=t.sleep)
    order: list[str] = []

    async def send(name: str, lane: Lane) -> None:
        await limiter.acquire(None, lane)
        order.append(name)

    await t.run(*(send("p", Lane.ROUTINE) for _ in range(3)), *(send("a", Lane.REPLY) for _ in range(9)))
    # the first push was the head before the answers came; then three answers, one push, …
    assert "".join(order) == "paaapaaapaaa"


async def test_a_reader_asking_again_on_each_answer_does_not_starve_a_push() -> None:
    """One reader's answers come one at a time, each arriving while the push waits for its slot:
    after three answers in a row the push keeps its turn (seen as a push never sent while a reader
    kept asking /latest)."""
    t = VirtualTime()
    limiter = RateLimiter(10, chat_interval=0, clock=t.clock, sleep=t.sleep)
    order: list[str] = []

    async def reader() -> None:
        for _ in range(12):
            await limiter.acquire(None, Lane.REPLY)
            order.append("a")

    async def push() -> None:
        await t.sleep(0.05)  # queued once the reader is under way
        await limiter.acquire(1, Lane.ROUTINE)
        order.append("p")

    await t.run(reader(), push())
    assert "p" in "".join(order)[:5], "".join(order)  # within FAIR_EVERY answers of its arrival
