"""Telegram's sending limits, on the caller's clock, in one of two models (Telegram documents
neither): ``bucket`` (the default) — token buckets overall and per chat, forgiving short bursts;
``sliding`` — a strict sliding window: at most ``global_rate`` messages in *any* one second
overall, the next one refused until the oldest leaves the window. Per chat, a token bucket in both.

Messages sent with ``allow_paid_broadcast`` (Telegram's paid broadcasts: "up to 1000 messages per
second, ignoring broadcasting limits", 0.1 Star each) are counted apart, against ``paid_rate`` in the
same model, and never against the free ``global_rate``; each is counted in ``paid_sent``.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field
from typing import Literal

Mode = Literal["bucket", "sliding"]


@dataclass
class TokenBucket:
    """``rate`` tokens a second, holding at most ``burst``; times come from the caller's clock."""

    rate: float
    burst: float
    tokens: float = -1.0
    updated: float = 0.0

    def take(self, now: float) -> float:
        """Take a token and return 0, or return the seconds until one is available."""
        if self.tokens < 0:
            self.tokens = self.burst
            self.updated = now
        elapsed = max(0.0, now - self.updated)
        self.tokens = min(self.burst, self.tokens + elapsed * self.rate)
        self.updated = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return 0.0
        return (1.0 - self.tokens) / self.rate


@dataclass
class RateLimits:
    """About 30 messages a second overall and one a second per chat, with short bursts."""

    global_rate: float = 30.0
    global_burst: float = 30.0
    chat_rate: float = 1.0
    chat_burst: float = 5.0
    mode: Mode = "bucket"
    window: float = 1.0  # the sliding window's length in seconds
    paid_rate: float = 1000.0  # messages a second sent with allow_paid_broadcast (their own budget)
    paid_sent: int = 0  # paid messages accepted (each charged 0.1 Star by Telegram)
    _global: TokenBucket | None = None
    _chats: dict[int, TokenBucket] = field(default_factory=dict)
    _recent: deque[float] = field(default_factory=deque)  # sliding: times of the messages in the window
    _paid: TokenBucket | None = None
    _paid_recent: deque[float] = field(default_factory=deque)

    def check(self, chat_id: int, now: float, *, paid: bool = False) -> int:
        """0 if a message to ``chat_id`` may go now, else the ``retry_after`` seconds to answer;
        ``paid``: sent with allow_paid_broadcast, counted against ``paid_rate`` instead.

        A refused message consumes nothing, like Telegram.
        """
        if self._global is None:
            self._global = TokenBucket(self.global_rate, self.global_burst)
        if self._paid is None:
            self._paid = TokenBucket(self.paid_rate, self.paid_rate)
        chat = self._chats.get(chat_id)
        if chat is None:
            chat = self._chats[chat_id] = TokenBucket(self.chat_rate, self.chat_burst)
        wait = chat.take(now)
        if wait > 0:
            return max(1, math.ceil(wait))
        if paid:
            wait = (
                self._window_take(now, self._paid_recent, self.paid_rate)
                if self.mode == "sliding"
                else (self._paid.take(now))
            )
        else:
            wait = self._window_take(now) if self.mode == "sliding" else self._global.take(now)
        if wait > 0:
            chat.tokens += 1.0  # give the chat's token back: the message was not sent
            return max(1, math.ceil(wait))
        self.paid_sent += paid
        return 0

    def _window_take(self, now: float, recent: deque[float] | None = None, rate: float | None = None) -> float:
        """Sliding mode: count the message if fewer than the cap went in the last `window` seconds."""
        recent = self._recent if recent is None else recent
        rate = self.global_rate if rate is None else rate
        while recent and recent[0] <= now - self.window:
            recent.popleft()
        if len(recent) >= int(rate * self.window):
            return recent[0] + self.window - now
        recent.append(now)
        return 0.0

    def reset(self) -> None:
        self._global = None
        self._paid = None
        self._chats.clear()
        self._recent.clear()
        self._paid_recent.clear()
        self.paid_sent = 0
