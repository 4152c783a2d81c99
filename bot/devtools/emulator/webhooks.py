"""Webhook delivery: while a webhook is set, pending updates are POSTed to it one at a time, in
order, with the secret header; a failed delivery is retried after a pause that doubles."""

from __future__ import annotations

import asyncio
import logging
import time

import aiohttp

from bot.devtools.emulator.http import DUMPS
from bot.devtools.emulator.world import World

__all__ = ["deliver_webhooks"]

log = logging.getLogger(__name__)


async def deliver_webhooks(world: World, session: aiohttp.ClientSession) -> None:
    """Run until the emulator stops (``world.waiters.closing``)."""
    waiters = world.waiters
    delay = world.webhook_retry_delay
    while not waiters.closing:
        await waiters.until(lambda: bool(world.webhook_url and world.updates), None)
        if waiters.closing:
            return
        world.drop_unwanted()
        if not world.updates:
            continue
        url, secret, update = world.webhook_url, world.webhook_secret, world.updates[0]
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret else {}
        error: str | None = None
        try:
            async with session.post(
                url, data=DUMPS(update).encode(), headers={"Content-Type": "application/json", **headers},
                timeout=aiohttp.ClientTimeout(total=10),
            ) as response:  # fmt: skip
                await response.read()
                if not 200 <= response.status < 300:
                    error = f"Wrong response from the webhook: {response.status} {response.reason}"
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            error = f"Connection failed: {type(exc).__name__}"
        if error is None:
            world.webhook_deliveries += 1
            if world.updates and world.updates[0] is update:
                world.updates.pop(0)
            delay = world.webhook_retry_delay
            world.wake()
        else:
            log.debug("webhook delivery to %s failed: %s", url, error)
            world.webhook_last_error = (int(time.time()), error)
            await asyncio.sleep(delay)
            delay = min(delay * 2, world.webhook_retry_max_delay)
