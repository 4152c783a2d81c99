"""Telegram's sending limits, on the caller's clock, in one of two models (Telegram documents
neither): ``bucket`` (the default) — token buckets overall and per chat, forgiving short bursts;
``sliding`` — a strict sliding window: at most ``global_rate`` messages in *any* one second
overall, the next one refused until the oldest leaves the window. Per chat, a token bucket in both.

Groups, supergroups and channels (negative chat ids) also keep Telegram's group limit, read
strictly: at most ``group_per_minute`` (20) messages in *any* 60 seconds to one such chat. Telegram
states it for groups; the emulator holds channels to it too, the strictest reading.

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
    group_per_minute: int = 20  # messages to one group (any chat with a negative id) in any 60 s; 0: off
    group_window: float = 60.0
    _groups: dict[int, deque[float]] = field(default_factory=dict)
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
        group_wait = self._group_wait(chat_id, now)
        if group_wait > 0:
            return max(1, math.ceil(group_wait))
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
        if chat_id < 0 and self.group_per_minute:
            self._groups.setdefault(chat_id, deque()).append(now)
        self.paid_sent += paid
        return 0

    def _group_wait(self, chat_id: int, now: float) -> float:
        """Seconds until one more message may go to this group (0: now); counts nothing."""
        if chat_id >= 0 or not self.group_per_minute:
            return 0.0
        recent = self._groups.get(chat_id)
        if recent is None:
            return 0.0
        while recent and recent[0] <= now - self.group_window:
            recent.popleft()
        if len(recent) >= self.group_per_minute:
            return recent[0] + self.group_window - now
        return 0.0

    def group_sent(self, chat_id: int, now: float) -> int:
        """Messages counted against the group limit of ``chat_id`` in the last window."""
        self._group_wait(chat_id, now)
        return len(self._groups.get(chat_id, ()))

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
        self._groups.clear()
        self._paid_recent.clear()
        self.paid_sent = 0
