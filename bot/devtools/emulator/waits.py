"""Waiting without polling: a coroutine waits until a condition on the emulator's state holds.

Every change to the state (a queued update, a sent message, an answered query, stopping) calls
:meth:`Waiters.wake`, which resolves the waits whose condition now holds.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

__all__ = ["Waiters"]


class Waiters:
    """The coroutines waiting for a condition; ``closing`` releases them all (the emulator stops)."""

    def __init__(self) -> None:
        self.closing = False
        self._waiting: list[tuple[Callable[[], bool], asyncio.Future[None]]] = []

    def wake(self) -> None:
        for predicate, future in self._waiting:
            if not future.done() and (self.closing or predicate()):
                future.set_result(None)

    async def until(self, predicate: Callable[[], bool], timeout: float | None) -> bool:
        """Wait until ``predicate()`` holds; False when ``timeout`` passes first."""
        if predicate():
            return True
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        entry = (predicate, future)
        self._waiting.append(entry)
        try:
            async with asyncio.timeout(timeout):
                await future
        except TimeoutError:
            return predicate()
        finally:
            self._waiting.remove(entry)
        return predicate()
