"""Flood control: a reader sending too much is answered once, then ignored until the window passes."""

from __future__ import annotations

import time
from collections import deque

from telegram import Update
from telegram.ext import ApplicationHandlerStop

from bot.runtime.context import NewsContext


class FloodGuard:
    """A sliding window of update times per user. Other readers are never slowed by one who floods."""

    def __init__(self, limit: int, window: float) -> None:
        self.limit = limit
        self.window = window
        self._seen: dict[int, deque[float]] = {}
        self._warned: set[int] = set()

    def allow(self, user_id: int, now: float) -> tuple[bool, bool]:
        """(allowed, warn): warn is True for the first refused update of a burst."""
        times = self._seen.setdefault(user_id, deque())
        while times and now - times[0] >= self.window:
            times.popleft()
        if len(times) < self.limit:
            times.append(now)
            self._warned.discard(user_id)
            return True, False
        first = user_id not in self._warned
        self._warned.add(user_id)
        return False, first

    def forget_idle(self, now: float) -> None:
        for user_id in [u for u, t in self._seen.items() if not t or now - t[-1] >= self.window]:
            del self._seen[user_id]

    async def __call__(self, update: Update, context: NewsContext) -> None:
        user = update.effective_user
        if user is None or (context.news.held is not None and context.news.held.is_replay(update)):
            return  # a held update handled again was counted when it came
        now = time.monotonic()
        if len(self._seen) > 10_000:
            self.forget_idle(now)
        allowed, warn = self.allow(user.id, now)
        if allowed:
            return
        if warn:
            if update.callback_query is not None:
                await update.callback_query.answer(context.renderer.render_plain("flood.html.j2"))
            elif update.effective_message is not None:
                await update.effective_message.reply_text(context.renderer.render("flood.html.j2"))
        raise ApplicationHandlerStop
