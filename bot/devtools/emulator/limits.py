"""Telegram's sending limits: token buckets overall and per chat, on the caller's clock."""

from __future__ import annotations

import math
from dataclasses import dataclass, field


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
    _global: TokenBucket | None = None
    _chats: dict[int, TokenBucket] = field(default_factory=dict)

    def check(self, chat_id: int, now: float) -> int:
        """0 if a message to ``chat_id`` may go now, else the ``retry_after`` seconds to answer.

        A refused message consumes nothing, like Telegram.
        """
        if self._global is None:
            self._global = TokenBucket(self.global_rate, self.global_burst)
        chat = self._chats.get(chat_id)
        if chat is None:
            chat = self._chats[chat_id] = TokenBucket(self.chat_rate, self.chat_burst)
        wait = chat.take(now)
        if wait > 0:
            return max(1, math.ceil(wait))
        wait = self._global.take(now)
        if wait > 0:
            chat.tokens += 1.0  # give the chat's token back: the message was not sent
            return max(1, math.ceil(wait))
        return 0

    def reset(self) -> None:
        self._global = None
        self._chats.clear()
