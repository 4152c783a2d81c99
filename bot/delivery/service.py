"""Push delivery as one service owned by the bot's lifecycle: started in post_init, stopped in post_stop.

Every `push_interval` seconds the fan-out round records deliveries for items stored since the last
round (each story once, only items younger than `push_max_age`) by the bot's feed polling, an
admin's /ingest, or `newsbot ingest` in another process; the worker is woken to send them, digest
readers whose hour has come get their digest, and items changed after they were pushed become edit
jobs on the messages sent (bot.delivery.corrections).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from telegram import Bot

from bot.delivery.corrections import MessageJobs
from bot.delivery.worker import DeliveryPolicy, DeliveryWorker
from bot.runtime.context import NewsBot
from bot.store.health import log_failure

log = logging.getLogger(__name__)


class DeliveryService:
    def __init__(self, news: NewsBot, bot: Bot, *, policy: DeliveryPolicy | None = None) -> None:
        self.news = news
        self.worker = DeliveryWorker(news, bot, policy=policy)
        # Corrections and withdrawals of sent messages: the worker's budget and renderer.
        self.jobs = MessageJobs(news, bot, limiter=self.worker.limiter, pushes=self.worker.pushes)
        self.rounds = 0
        self._loop: asyncio.Task[None] | None = None
        self._kick = asyncio.Event()

    async def start(self) -> None:
        # The first round right away: on a new store it only empties the outbox (seeds are not pushed).
        await self.round()
        await self.worker.start()
        await self.jobs.start()
        self._loop = asyncio.create_task(self._run(), name="delivery-fan-out")

    def kick(self) -> None:
        """Run a round now (after an admin's /ingest or /broadcast) instead of at the next interval."""
        self._kick.set()

    async def stop(self) -> None:
        if self._loop is not None:
            self._loop.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._loop
            self._loop = None
        await self.jobs.stop()
        await self.worker.stop()

    async def round(self) -> int:
        """One fan-out round and one digest round; returns the deliveries recorded."""
        # Scheduled breaking news whose time has come: recorded for the readers of this moment.
        due = await self.news.store.deliveries.record_due_broadcasts(int(self.news.clock().timestamp()))
        if due:
            log.info("scheduled broadcasts: %d deliveries recorded", due)
        # Only news is pushed (NEWSBOT_PUSH_MAX_AGE): older items are stored and listed, never sent,
        # neither at once nor in a digest (a digest lists what came in since the last one; a page
        # from 2020 ingested today is not news to a digest reader either).
        fresh_after = int(self.news.clock().timestamp()) - self.news.settings.push_max_age
        recorded = await self.news.store.deliveries.fan_out(fresh_after=fresh_after) + due
        self.rounds += 1
        if recorded:
            log.info("fan-out: %d deliveries recorded", recorded)
            self.worker.wake()
        await self.worker.digest_round()
        await self.corrections()
        return recorded

    async def corrections(self) -> int:
        """Items changed since they were pushed become edit jobs on their messages; returns how many items."""
        now = int(self.news.clock().timestamp())
        corrected = await self.news.store.messages.plan_corrections(now=now, window=self.jobs.policy.window)
        if corrected:
            log.info("corrections: %d items changed after they were pushed", len(corrected))
            self.worker.forget(corrected)
            self.jobs.wake()
        return len(corrected)

    async def _run(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._kick.wait(), timeout=self.news.settings.push_interval)
            self._kick.clear()
            try:
                await self.round()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a busy or failing store: the next round tries again
                log_failure(log, exc, "delivery round failed")
                if self.news.metrics is not None:
                    self.news.metrics.store_error("delivery", exc)
            self.worker.wake()


async def start_delivery(news: NewsBot, bot: Bot) -> DeliveryService:
    service = DeliveryService(news, bot)
    await service.start()
    return service
