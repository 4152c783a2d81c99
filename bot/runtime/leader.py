"""The leader's duties, run while this instance holds the store's leader lock.

Any number of `newsbot run` instances may share one PostgreSQL store. Exactly one at a time is the
leader (the store's `leader_lock()`): it runs fan-out, the delivery worker, digests, feed polling
and the full-text filler (NEWSBOT_FULLTEXT), so one pace-maker keeps Telegram's per-bot limit, no
item is polled or sent by two, and sites are asked for pages within one instance's per-site bound.
The others answer whatever updates reach them (webhook mode) and stand by. When the leader dies or
loses its connection, another takes the lock within a few seconds and starts the same duties; the
delivery worker's start puts what the old leader had in flight back in the queue, so nothing is
lost and only those in-flight sends can repeat.

In long polling only the leader may call getUpdates (Telegram allows one consumer): the instance
waits for the lock before it starts polling; one that loses it (its database went away, or it was
cut off) stops polling with its duties and waits for the lock again like any standby, polling again
once it leads. Updates meanwhile wait at Telegram, so a single instance whose database goes away
pauses and resumes its answers and deliveries instead of answering every reader with an error.

On SQLite (one instance per store) the lock is always held: the duties start at once, as before.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from bot.store.health import log_failure
from bot.store.protocols import LeaderLock

log = logging.getLogger(__name__)

RETRY_AFTER_FAILED_START = 2.0  # seconds before a leader whose duties failed to start tries again


class Leadership:
    def __init__(
        self,
        lock: LeaderLock,
        start: Callable[[], Awaitable[None]],
        stop: Callable[[], Awaitable[None]],
    ) -> None:
        self._lock = lock
        self._start = start
        self._stop = stop
        self._task: asyncio.Task[None] | None = None
        self.leading = False
        self.lost = False  # the lead was lost at least once (a start after that resumes polling)

    async def begin(self, *, wait: bool) -> None:
        """Lead now when the lock is free. Otherwise `wait` (long polling) until it is, or (webhook
        mode) stand by in the background and lead when it comes."""
        if await self._lock.try_acquire():
            await self._lead_or_release()
        elif wait:
            log.info("standing by: another instance is the leader; waiting to take over")
            while not self.leading:
                await self._lock.acquire()
                await self._lead_or_release()
        else:
            log.info("another instance is the leader: answering updates and standing by")
        self._task = asyncio.create_task(self._run(), name="leadership")

    async def end(self) -> None:
        """Stop leading (the caller stops the duties) and give the lock up for another instance."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self.leading = False
        await self._lock.release()

    async def _lead_or_release(self) -> None:
        try:
            await self._start()
        except Exception as exc:
            log_failure(log, exc, "the leader's duties could not start; giving the lead up and trying again")
            with contextlib.suppress(Exception):
                await self._stop()
            await self._lock.release()
            await asyncio.sleep(RETRY_AFTER_FAILED_START)
            return
        self.leading = True
        log.info("this instance is the leader: fan-out, delivery and feed polling run here")

    async def _run(self) -> None:
        while True:
            if not self.leading:
                await self._lock.acquire()
                await self._lead_or_release()
                continue
            await self._lock.lost()
            self.leading = False
            self.lost = True
            log.warning("lost the leadership (the store's connection holding it went away): stopping its duties")
            try:
                await self._stop()
            except Exception as exc:  # the store is gone too: what was in flight is requeued by the next leader
                log_failure(log, exc, "stopping the leader's duties failed")
            log.info("standing by: waiting for the leader lock again")
