"""Sending within Telegram's limits: a steady overall rate, about one message a second per chat,
and a shared pause when Telegram answers 429 with retry_after.

Time and sleeping are injected, so tests move a fake clock instead of waiting.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

Sleep = Callable[[float], Awaitable[None]]


class RateLimiter:
    """Hands out send slots: `await acquire(chat_id)` returns when a message to that chat may go.

    Overall, slots are spaced 1/`rate` apart (a smooth schedule, no bursts, so Telegram's own
    bucket never runs dry); per chat, `chat_interval` apart. `pause(seconds)` holds every slot until
    the pause ends: slots reserved before the pause are given up and taken again after it.
    """

    def __init__(
        self,
        rate: float,
        *,
        chat_interval: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = rate
        self.interval = 1.0 / rate
        self.chat_interval = chat_interval
        self._clock = clock
        self._sleep = sleep
        self._next = 0.0  # the earliest free overall slot
        self._paused_until = 0.0
        self._generation = 0  # bumped by each pause: reservations of older generations are void
        self._chat_next: dict[int, float] = {}
        self.pauses = 0

    @property
    def paused_until(self) -> float:
        return self._paused_until

    def pause(self, seconds: float) -> None:
        """Hold all sending for `seconds` from now (a 429's retry_after)."""
        until = self._clock() + max(0.0, seconds)
        if until > self._paused_until:
            self._paused_until = until
            self._next = until
            self._generation += 1
            self.pauses += 1

    async def acquire(self, chat_id: int) -> None:
        await self._chat_slot(chat_id)
        while True:
            now = self._clock()
            slot = max(now, self._next, self._paused_until)
            self._next = slot + self.interval
            generation = self._generation
            if slot > now:
                await self._sleep(slot - now)
            if generation == self._generation:
                return

    async def _chat_slot(self, chat_id: int) -> None:
        if self.chat_interval <= 0:
            return
        now = self._clock()
        slot = max(now, self._chat_next.get(chat_id, 0.0))
        self._chat_next[chat_id] = slot + self.chat_interval
        if len(self._chat_next) > 50_000:
            self._forget_idle_chats(now)
        if slot > now:
            await self._sleep(slot - now)

    def _forget_idle_chats(self, now: float) -> None:
        for chat_id in [c for c, t in self._chat_next.items() if t <= now]:
            del self._chat_next[chat_id]
