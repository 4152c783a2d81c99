"""The leader lock of a store only one instance uses: the SQLite file, on one machine.

One `newsbot run` per SQLite store (NEWSBOT_WORKERS spreads it over the cores, its process 0 does
the leader's work), so that process is always the leader. Several instances need a shared store
(PostgreSQL), whose lock is an advisory lock (bot/store/postgres/leader.py).
"""

from __future__ import annotations

import asyncio


class SoleLeader:
    """Always the leader, never lost until released."""

    def __init__(self) -> None:
        self._released = asyncio.Event()

    async def try_acquire(self) -> bool:
        self._released.clear()
        return True

    async def acquire(self) -> None:
        self._released.clear()

    async def lost(self) -> None:
        await self._released.wait()

    async def release(self) -> None:
        self._released.set()
