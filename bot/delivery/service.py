"""Push delivery as one service owned by the bot's lifecycle: started in post_init, stopped in post_stop.

Every `push_interval` seconds the fan-out round records deliveries for items stored since the last
round (by the bot's feed polling, an admin's /ingest, or `newsbot ingest` in another process), the
worker is woken to send them, and digest readers whose hour has come get their digest.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from telegram import Bot

from bot.delivery.worker import DeliveryPolicy, DeliveryWorker
from bot.runtime.context import NewsBot

log = logging.getLogger(__name__)


class DeliveryService:
    def __init__(self, news: NewsBot, bot: Bot, *, policy: DeliveryPolicy | None = None) -> None:
        self.news = news
        self.worker = DeliveryWorker(news, bot, policy=policy)
        self.rounds = 0
        self._loop: asyncio.Task[None] | None = None
        self._kick = asyncio.Event()

    async def start(self) -> None:
        # The first round right away: on a new store it only empties the outbox (seeds are not pushed).
        await self.round()
        await self.worker.start()
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
        await self.worker.stop()

    async def round(self) -> int:
        """One fan-out round and one digest round; returns the deliveries recorded."""
        # Scheduled breaking news whose time has come: recorded for the readers of this moment.
        due = await self.news.store.deliveries.record_due_broadcasts(int(self.news.clock().timestamp()))
        if due:
            log.info("scheduled broadcasts: %d deliveries recorded", due)
        recorded = await self.news.store.deliveries.fan_out() + due
        self.rounds += 1
        if recorded:
            log.info("fan-out: %d deliveries recorded", recorded)
            self.worker.wake()
        await self.worker.digest_round()
        return recorded

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
                log.exception("delivery round failed")
                if self.news.metrics is not None:
                    self.news.metrics.store_error("delivery", exc)
            self.worker.wake()


async def start_delivery(news: NewsBot, bot: Bot) -> DeliveryService:
    service = DeliveryService(news, bot)
    await service.start()
    return service
