"""Telegram's sending limits (token buckets) and the faults tests can switch on."""

from __future__ import annotations

import math
import random
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


@dataclass
class Faults:
    """Failures injected in front of the Bot API methods; method names are case-insensitive."""

    error_share: float = 0.0  # share of all calls answered 502 Bad Gateway
    latency: float = 0.0  # seconds added to every call
    seed: int = 0
    _fail_next: dict[str, list[int]] = field(default_factory=dict)  # method -> statuses to answer
    _drop_next: dict[str, int] = field(default_factory=dict)
    _random: random.Random = field(default_factory=random.Random)

    def __post_init__(self) -> None:
        self._random.seed(self.seed)

    def fail_next(self, method: str, count: int = 1, status: int = 502) -> None:
        """Answer the next ``count`` calls of ``method`` with ``status`` (5xx)."""
        self._fail_next.setdefault(method.lower(), []).extend([status] * count)

    def drop_next(self, method: str, count: int = 1) -> None:
        """Close the connection without answering for the next ``count`` calls of ``method``."""
        key = method.lower()
        self._drop_next[key] = self._drop_next.get(key, 0) + count

    def reset(self) -> None:
        self.error_share = 0.0
        self.latency = 0.0
        self._fail_next.clear()
        self._drop_next.clear()
        self._random.seed(self.seed)

    @property
    def active(self) -> bool:
        return bool(self.error_share or self.latency or self._fail_next or self._drop_next)

    def take_drop(self, method: str) -> bool:
        left = self._drop_next.get(method, 0)
        if not left:
            return False
        if left == 1:
            del self._drop_next[method]
        else:
            self._drop_next[method] = left - 1
        return True

    def take_failure(self, method: str) -> int | None:
        statuses = self._fail_next.get(method)
        if statuses:
            status = statuses.pop(0)
            if not statuses:
                del self._fail_next[method]
            return status
        # a reproducible stream of faults, not a security matter
        if self.error_share and self._random.random() < self.error_share:
            return 502
        return None
