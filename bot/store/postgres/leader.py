"""The leader among instances sharing a PostgreSQL store: a session-level advisory lock held on a
connection of its own (not the pool's), so it lives exactly as long as that session.

- Taking it: `pg_try_advisory_lock` on a key derived from the store's schema, tried every
  `retry` seconds by each instance that is not the leader.
- Losing it: the leader asks its session `SELECT 1` every `ping` seconds; no answer within
  `ping_timeout` (the server gone, the network broken) and it stops leading at once. The server
  ends a session whose peer died: a killed process closes its socket (the lock is free at once);
  a silent network is noticed by TCP keepalives set short on this session (about 8 s), by which
  time the old leader has stopped (after at most ping + ping_timeout = 3 s). So two instances never
  lead at the same time, and another takes over within about `retry` seconds of a crash.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import asyncpg

from bot.store.location import safe_url

log = logging.getLogger(__name__)

_KEY = "hashtext('newsbot leader ' || current_schema())"
# The server notices a silent peer after idle + interval × count seconds.
_KEEPALIVES = {"tcp_keepalives_idle": "5", "tcp_keepalives_interval": "1", "tcp_keepalives_count": "3"}
_FAILURES = (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError)


class AdvisoryLeaderLock:
    def __init__(self, url: str, *, retry: float = 1.0, ping: float = 1.0, ping_timeout: float = 2.0) -> None:
        self._url = url
        self._retry = retry
        self._ping = ping
        self._ping_timeout = ping_timeout
        self._conn: asyncpg.Connection | None = None
        self._held = False
        self._complained = False

    async def try_acquire(self) -> bool:
        if self._held:
            return True
        try:
            if self._conn is None or self._conn.is_closed():
                self._conn = await asyncpg.connect(
                    self._url,
                    timeout=self._ping_timeout * 2,
                    server_settings={**_KEEPALIVES, "application_name": "newsbot leader lock"},
                )
            async with asyncio.timeout(self._ping_timeout * 2):
                self._held = bool(await self._conn.fetchval(f"SELECT pg_try_advisory_lock({_KEY})"))
        except _FAILURES as exc:
            if not self._complained:  # once per outage, not every second
                log.warning("leader lock: cannot reach %s (%s); trying again", safe_url(self._url), exc)
                self._complained = True
            await self._drop()
            return False
        self._complained = False
        return self._held

    async def acquire(self) -> None:
        while True:  # another process holds it: nothing in this one to wait on but the clock
            if await self.try_acquire():
                return
            await asyncio.sleep(self._retry)

    async def lost(self) -> None:
        while True:
            await asyncio.sleep(self._ping)
            conn = self._conn
            if conn is None or conn.is_closed():
                break
            try:
                async with asyncio.timeout(self._ping_timeout):
                    await conn.fetchval("SELECT 1")
            except _FAILURES as exc:
                log.warning("leader lock: the session holding it stopped answering (%s)", exc)
                break
        self._held = False
        await self._drop()

    async def release(self) -> None:
        conn, held = self._conn, self._held
        self._held = False
        if conn is not None and held and not conn.is_closed():
            with contextlib.suppress(*_FAILURES):
                async with asyncio.timeout(self._ping_timeout):
                    await conn.execute(f"SELECT pg_advisory_unlock({_KEY})")
        await self._drop()

    async def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is None or conn.is_closed():
            return
        try:
            async with asyncio.timeout(self._ping_timeout):
                await conn.close()
        except _FAILURES:
            conn.terminate()
