"""Update processing: bounded concurrency, and a way to wait until a given update has been handled.

The console and the end-to-end harness wait on `wait_done(update_id)` instead of sleeping, so what
they show or assert follows the bot's real work, not a guess at how long it takes.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from time import perf_counter
from typing import TYPE_CHECKING, Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

if TYPE_CHECKING:
    from bot.runtime.metrics import Metrics

# Handled update ids remembered for a `wait_done` that comes after the work (a long-running bot
# keeps this many ints, not every id it ever handled).
REMEMBERED = 10_000


class TrackingUpdateProcessor(BaseUpdateProcessor):
    def __init__(
        self, max_concurrent_updates: int = 64, remembered: int = REMEMBERED, metrics: Metrics | None = None
    ) -> None:
        super().__init__(max_concurrent_updates)
        # Each handled update is counted and timed here (NEWSBOT_METRICS_LISTEN), None when off.
        self.metrics = metrics
        self._remembered = remembered
        self._done: OrderedDict[int, None] = OrderedDict()
        # Futures of the callers waiting for each update: finishing one wakes its waiters only.
        self._waiters: dict[int, list[asyncio.Future[None]]] = {}
        self._listeners: list[Callable[[int], None]] = []

    def on_done(self, listener: Callable[[int], None]) -> None:
        """Call `listener(update_id)` each time an update has been fully handled (a worker's acknowledgement)."""
        self._listeners.append(listener)

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        metrics = self.metrics
        started = perf_counter() if metrics is not None else 0.0
        completed = False
        try:
            await coroutine
            completed = True
        finally:
            if isinstance(update, Update):
                if metrics is not None:
                    metrics.handled(update, perf_counter() - started, completed)
                self._finished(update.update_id)

    def _finished(self, update_id: int) -> None:
        self._done[update_id] = None
        if len(self._done) > self._remembered:
            self._done.popitem(last=False)
        for waiter in self._waiters.pop(update_id, ()):
            if not waiter.done():
                waiter.set_result(None)
        for listener in self._listeners:
            listener(update_id)

    async def wait_done(self, update_id: int, timeout: float | None = 10.0) -> None:
        """Return once the update with this id has been fully handled (raises TimeoutError; None waits on)."""
        if update_id in self._done:
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        waiters = self._waiters.setdefault(update_id, [])
        waiters.append(waiter)
        try:
            async with asyncio.timeout(timeout):
                await waiter
        finally:
            if self._waiters.get(update_id) is waiters:  # timed out or cancelled: forget this waiter
                waiters.remove(waiter)
                if not waiters:
                    del self._waiters[update_id]

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None
