"""Faults a test can switch on in front of the Bot API: latency and jitter, 5xx answers, dropped connections."""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass, field

from bot.devtools.emulator.state import ApiError

__all__ = ["DROPPED", "Faults"]

DROPPED = 0  # the status of the ApiError meaning "close the connection without answering"


@dataclass
class Faults:
    """Failures injected in front of the Bot API methods; method names are case-insensitive."""

    error_share: float = 0.0  # share of all calls answered 502 Bad Gateway
    latency: float = 0.0  # seconds added to every call
    jitter: float = 0.0  # up to this many more seconds, drawn at random for each call (network jitter)
    seed: int = 0
    unfetchable: set[str] = field(default_factory=set)  # photo URLs Telegram "cannot fetch" (400)
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
        self.jitter = 0.0
        self.unfetchable.clear()
        self._fail_next.clear()
        self._drop_next.clear()
        self._random.seed(self.seed)

    @property
    def active(self) -> bool:
        return bool(self.error_share or self.latency or self.jitter or self._fail_next or self._drop_next)

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

    async def strike(self, method: str) -> ApiError | None:
        """The faults for one call of ``method`` (lowercase): waits the added latency, then returns
        the refusal to answer (status :data:`DROPPED`: close the connection instead), or None."""
        delay = self.latency + (self._random.uniform(0.0, self.jitter) if self.jitter else 0.0)
        if delay:
            await asyncio.sleep(delay)
        if self.take_drop(method):
            return ApiError(DROPPED, "connection dropped")
        status = self.take_failure(method)
        if status is not None:
            return ApiError(status, "Bad Gateway" if status == 502 else "Server Error")
        return None
