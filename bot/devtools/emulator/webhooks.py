"""Webhook delivery: while a webhook is set, pending updates are POSTed to it with the secret
header; a failed delivery is retried after a pause that doubles.

By default one update at a time, in order, to the URL the bot set. Two settings on the world make
it the front of a deployment with several instances:

- `webhook_backends`: the instances' own addresses. Telegram posts to the one public URL and a
  load balancer (nginx `upstream`) passes each update to the next instance in turn, and to the
  one after when an instance does not answer (`proxy_next_upstream error timeout`); the emulator
  plays both, round-robin. Only when every instance fails is the update retried later.
- `webhook_connections`: how many updates may be on their way at once (Telegram's
  `max_connections`, up to 100; default 40 there, 1 here so tests see updates in order).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from typing import Any

import aiohttp

from bot.devtools.emulator.http import DUMPS
from bot.devtools.emulator.world import World

__all__ = ["deliver_webhooks"]

log = logging.getLogger(__name__)


async def deliver_webhooks(world: World, session: aiohttp.ClientSession) -> None:
    """Run until the emulator stops (``world.waiters.closing``)."""
    waiters = world.waiters
    turns = itertools.count()
    backoff = _Backoff(world)
    running: set[asyncio.Task[None]] = set()
    try:
        while not waiters.closing:
            await waiters.until(
                lambda: (
                    bool(world.webhook_url and world.updates)
                    and world.webhook_in_flight < max(1, world.webhook_connections)
                    and not backoff.waiting
                ),
                None,
            )
            if waiters.closing:
                return
            world.drop_unwanted()
            if not world.updates:
                continue
            update = world.updates.pop(0)
            world.webhook_in_flight += 1
            task = asyncio.create_task(_deliver(world, session, update, next(turns), backoff))
            running.add(task)
            task.add_done_callback(running.discard)
    finally:
        for task in list(running):
            task.cancel()


class _Backoff:
    """The pause after a delivery every target refused, doubling, shared by all connections."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.delay: float | None = None  # None: the world's first pause, read when it is needed
        self.waiting = False

    async def pause(self) -> None:
        delay = self.world.webhook_retry_delay if self.delay is None else self.delay
        self.waiting = True
        try:
            await asyncio.sleep(delay)
        finally:
            self.waiting = False
            self.delay = min(delay * 2, self.world.webhook_retry_max_delay)
            self.world.wake()

    def reset(self) -> None:
        self.delay = None


async def _deliver(world: World, session: aiohttp.ClientSession, update: Any, turn: int, backoff: _Backoff) -> None:
    backends = list(world.webhook_backends)
    targets = backends[turn % len(backends) :] + backends[: turn % len(backends)] if backends else [world.webhook_url]
    secret = world.webhook_secret
    headers = {"Content-Type": "application/json", **({"X-Telegram-Bot-Api-Secret-Token": secret} if secret else {})}
    body = DUMPS(update).encode()
    dropped = world.updates_dropped
    error: str | None = None
    try:
        for url in targets:
            error = None
            try:
                async with session.post(
                    url, data=body, headers=headers, timeout=aiohttp.ClientTimeout(total=10)
                ) as response:
                    await response.read()
                    if not 200 <= response.status < 300:
                        error = f"Wrong response from the webhook: {response.status} {response.reason}"
            except (aiohttp.ClientError, OSError, TimeoutError) as exc:
                error = f"Connection failed: {type(exc).__name__}"
            if error is None:
                world.webhook_deliveries += 1
                world.webhook_deliveries_by_url[url] += 1
                backoff.reset()
                return
            log.debug("webhook delivery to %s failed: %s", url, error)
        assert error is not None
        world.webhook_last_error = (int(time.time()), error)
        if world.updates_dropped == dropped:  # Telegram keeps it and tries again, unless told to drop it
            world.updates.insert(0, update)
    finally:
        world.webhook_in_flight -= 1
        world.wake()
    await backoff.pause()
