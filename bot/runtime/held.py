"""Readers' updates held while the store is away, and handled again, by the same handlers, when it is back.

In long polling an instance that loses the store stops polling (bot/runtime/leader.py) and updates
wait at Telegram. In webhook mode they keep coming, and Telegram (or the load balancer) has had its
answer before a handler runs: python-telegram-bot's webhook server (`run_webhook`) puts the update in
the queue and answers 200 at once, and its public API offers no way to answer otherwise after a
handler has failed. A non-2xx answer would not serve anyway: Telegram then sends the same update
again after growing pauses and holds every later update of the bot behind it (every chat, not only
the one whose update failed), and a load balancer passes it to another instance, which shares the
same database. So the instance keeps such an update in memory and handles it again when the store
answers; this covers updates in flight in long polling too.

- An update whose handling failed with StoreUnavailable is held (the error handler calls `hold`)
  instead of being answered with the error message.
- Order: while a chat has updates held, its later updates wait behind them (`waits`, asked before
  any handler runs), and a chat's held updates are handled one at a time, in the order they came.
- Trying again: the oldest held update alone first, after FIRST_WAIT, the wait doubling to
  LONGEST_WAIT while it fails; once it succeeds, every chat's held updates (chats side by side,
  through the Application's update processor and its bound on concurrent updates).
- Bounded: at most `limit` updates held. Past it an update gets the error reply as before, and
  the log one WARNING line per outage naming the bound.
- Stopping with updates held: one WARNING line saying how many are not answered.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Hashable

from telegram import Update

log = logging.getLogger(__name__)

HOLD_LIMIT = 5_000  # updates: a few KB each in memory, a few tens of MB at the bound
FIRST_WAIT = 0.5  # seconds before the first try again
LONGEST_WAIT = 10.0  # seconds between tries at most while the store stays away


class HeldUpdates:
    def __init__(
        self,
        dispatch: Callable[[Update], Awaitable[None]],
        *,
        limit: int = HOLD_LIMIT,
        first_wait: float = FIRST_WAIT,
        longest_wait: float = LONGEST_WAIT,
    ) -> None:
        self._dispatch = dispatch
        self.limit = limit
        self._first_wait = first_wait
        self._longest_wait = longest_wait
        self._chats: dict[Hashable, deque[Update]] = {}  # oldest chat first
        self.held = 0
        self._replaying: dict[int, bool] = {}  # id(update) of those being handled again -> failed again
        self._task: asyncio.Task[None] | None = None
        self._full_said = False
        self._handled_again = 0

    @staticmethod
    def _key(update: Update) -> Hashable:
        """What orders updates: the chat, else the user (inline queries), else the update alone."""
        if update.effective_chat is not None:
            return update.effective_chat.id
        if update.effective_user is not None:
            return update.effective_user.id
        return ("update", update.update_id)

    def is_replay(self, update: object) -> bool:
        """True while `update` is being handled again (it went through the flood guard the first time)."""
        return id(update) in self._replaying

    def waits(self, update: Update) -> bool:
        """True when `update` is held behind its chat's earlier held updates (do not handle it now)."""
        if not self._chats or self.is_replay(update):
            return False
        key = self._key(update)
        return key in self._chats and self._add(key, update)

    def hold(self, update: Update) -> bool:
        """Handling `update` failed because the store is away: keep it to handle again. False when
        the bound is reached (the caller answers as for any error)."""
        if id(update) in self._replaying:  # tried again and failed again: it stays first in its chat
            self._replaying[id(update)] = True
            return True
        return self._add(self._key(update), update)

    def _add(self, key: Hashable, update: Update) -> bool:
        if self.held >= self.limit:
            if not self._full_said:
                self._full_said = True
                log.warning(
                    "%d readers' updates are held while the store is away (the bound): "
                    "further ones get the error message until it is back",
                    self.held,
                )
            return False
        if not self.held:
            log.info("holding readers' updates while the store is away: they are answered when it is back")
        # In the order they came: two updates of a chat handled side by side may fail in either order.
        queue = self._chats.setdefault(key, deque())
        at = len(queue)
        while at and queue[at - 1].update_id > update.update_id and not self.is_replay(queue[at - 1]):
            at -= 1
        queue.insert(at, update)
        self.held += 1
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="held updates")
        return True

    async def _run(self) -> None:
        wait = self._first_wait
        while self._chats:
            await asyncio.sleep(wait)
            if not await self._again(next(iter(self._chats))):  # the oldest alone: is the store back?
                wait = min(wait * 2, self._longest_wait)
                continue
            wait = self._first_wait
            await asyncio.gather(*(self._chat_again(key) for key in list(self._chats)))
        log.info("the held readers' updates are answered (%d handled again)", self._handled_again)
        self._handled_again = 0
        self._full_said = False

    async def _chat_again(self, key: Hashable) -> None:
        while key in self._chats and await self._again(key):
            pass

    async def _again(self, key: Hashable) -> bool:
        """Handle the first held update of `key`'s chat again; False when it failed again (still held)."""
        queue = self._chats[key]
        update = queue[0]
        self._replaying[id(update)] = False
        try:
            await self._dispatch(update)
        except Exception:  # the Application reports handlers' errors itself: this is a bug here
            log.exception("update %s: handling it again failed; dropping it", update.update_id)
        finally:
            failed = self._replaying.pop(id(update))
        if failed:
            return False
        queue.popleft()
        self.held -= 1
        self._handled_again += 1
        if not queue:
            del self._chats[key]
        return True

    async def settled(self) -> None:
        """Return once nothing is held: every update held so far has been handled again."""
        while self._task is not None and not self._task.done():
            await asyncio.shield(self._task)

    async def stop(self) -> None:
        """Stop trying; updates still held are not answered (said in one line)."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self.held:
            log.warning("stopping with %d readers' updates held (the store was away): they are not answered", self.held)
        self._chats.clear()
        self.held = 0
