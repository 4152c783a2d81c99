"""Update processing: bounded concurrency, and a way to wait until a given update has been handled.

The console and the end-to-end harness wait on `wait_done(update_id)` instead of sleeping, so what
they show or assert follows the bot's real work, not a guess at how long it takes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor


class TrackingUpdateProcessor(BaseUpdateProcessor):
    def __init__(self, max_concurrent_updates: int = 64) -> None:
        super().__init__(max_concurrent_updates)
        self._done: set[int] = set()
        self._changed = asyncio.Condition()

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        try:
            await coroutine
        finally:
            if isinstance(update, Update):
                async with self._changed:
                    self._done.add(update.update_id)
                    self._changed.notify_all()

    async def wait_done(self, update_id: int, timeout: float = 10.0) -> None:
        """Return once the update with this id has been fully handled (raises TimeoutError)."""
        async with asyncio.timeout(timeout), self._changed:
            await self._changed.wait_for(lambda: update_id in self._done)

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None
