"""The PostgreSQL connection pool (asyncpg), numbered migrations shipped in this package, and
transactions whose failures leave as the store's own errors (`bot.store.errors`)."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources
from typing import Any, NoReturn

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from bot.store.errors import StoreError, StoreUnavailable
from bot.store.health import StoreHealth
from bot.store.location import safe_url
from bot.store.postgres.errors import error_class, is_driver_misuse, open_error, translate

__all__ = ["PgDatabase", "migrations", "now_ts"]

log = logging.getLogger(__name__)

_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
POOL_SIZE = 10  # connections per process: readers' updates, delivery and fan-out, feed polling
CONNECT_TIMEOUT = 10.0  # seconds to reach the server before saying it cannot be reached
Record = asyncpg.Record
# What a query or a connection raises when it fails. InternalClientError is a connection whose
# protocol broke under it (the server ended the session while the pool held it idle, and the next
# BEGIN met the half-read error): it is handled as a lost connection (errors.is_connection_lost).
_FAILURES = (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError, asyncpg.InternalClientError)


class _PoolRetriesAtDebug(logging.Filter):
    """asyncpg's pool logs each failed attempt to reconnect its spare connection as a WARNING with a
    traceback (every 1, 2, 4 … 60 s while the server is away). That the store is away is said by the
    store's own StoreHealth line when an operation fails, and again when it is back: these records
    become DEBUG lines naming the error, without the traceback. Any other record passes as it is."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if error is None or error_class(error) is not StoreUnavailable:
            return True
        record.msg = f"{record.getMessage()} ({type(error).__name__}: {error})"
        record.args, record.exc_info, record.exc_text = None, None, None
        record.levelno, record.levelname = logging.DEBUG, logging.getLevelName(logging.DEBUG)
        return logging.getLogger(record.name).isEnabledFor(logging.DEBUG)


_pool_log = logging.getLogger("asyncpg.pool")
if not any(isinstance(f, _PoolRetriesAtDebug) for f in _pool_log.filters):
    _pool_log.addFilter(_PoolRetriesAtDebug())


def now_ts() -> int:
    return int(time.time())


def migrations() -> list[tuple[int, str, str]]:
    """The numbered migrations shipped inside the package, in order: (version, name, sql)."""
    found = []
    for entry in resources.files("bot.store.postgres").joinpath("migrations").iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match:
            found.append((int(match.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    return sorted(found)


class PgDatabase:
    """A pool of connections to one database (and schema, by the URL's search_path)."""

    def __init__(self, pool: asyncpg.Pool, url: str, created: bool) -> None:
        self.pool = pool
        self.url = url
        self.where = safe_url(url)
        self.created = created
        self.health = StoreHealth(self.where)  # the server going away and coming back: one line each

    @classmethod
    async def open(cls, url: str, *, pool_size: int = POOL_SIZE) -> PgDatabase:
        """Connect and migrate to the newest schema. An unreachable server, a refused login, a
        missing database or a schema newer than this program: one StoreError line naming it."""
        where = safe_url(url)
        pool: asyncpg.Pool = asyncpg.create_pool(
            url, min_size=1, max_size=pool_size, timeout=CONNECT_TIMEOUT, command_timeout=None
        )
        try:
            await pool  # connects its first connection
        except (OSError, TimeoutError, ValueError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            pool.terminate()
            raise open_error(exc, where) from None
        try:
            created = await _migrate(pool, where)
        except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            await pool.close()
            raise open_error(exc, where) from exc
        except BaseException:
            await pool.close()
            raise
        return cls(pool, url, created)

    async def close(self) -> None:
        await self.pool.close()

    def _raise(self, exc: BaseException) -> NoReturn:
        if is_driver_misuse(exc):
            raise exc
        error = translate(exc, self.where)
        if isinstance(error, StoreUnavailable):
            self.health.unavailable(error)
        raise error from exc

    async def fetch(self, sql: str, *args: object) -> list[Record]:
        try:
            rows = list(await self.pool.fetch(sql, *args))
        except _FAILURES as exc:
            self._raise(exc)
        self.health.available()
        return rows

    async def fetchrow(self, sql: str, *args: object) -> Record | None:
        try:
            row = await self.pool.fetchrow(sql, *args)
        except _FAILURES as exc:
            self._raise(exc)
        self.health.available()
        return row

    async def fetchval(self, sql: str, *args: object) -> Any:
        try:
            value = await self.pool.fetchval(sql, *args)
        except _FAILURES as exc:
            self._raise(exc)
        self.health.available()
        return value

    async def execute(self, sql: str, *args: object) -> str:
        try:
            status = await self.pool.execute(sql, *args)
        except _FAILURES as exc:
            self._raise(exc)
        self.health.available()
        return status

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[PoolConnectionProxy[Record]]:
        """A connection from the pool inside BEGIN … COMMIT, rolled back on any error; a driver's
        exception raised inside leaves as the store's error."""
        try:
            async with self.pool.acquire() as conn, conn.transaction():
                yield conn
        except _FAILURES as exc:
            self._raise(exc)
        self.health.available()


def affected(status: str) -> int:
    """The row count of a command's status ("UPDATE 3", "INSERT 0 5", "DELETE 1")."""
    tail = status.rsplit(" ", 1)[-1]
    return int(tail) if tail.isdigit() else 0


async def _migrate(pool: asyncpg.Pool, where: str) -> bool:
    """Apply the migrations the database has not seen, in one transaction under an advisory lock
    (instances starting together wait for one another). True when this created the schema."""
    known = migrations()
    latest = max((m[0] for m in known), default=0)
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(hashtext('newsbot migrate ' || current_schema()))")
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS newsbot_schema ("
            " version integer PRIMARY KEY, name text NOT NULL, applied_at bigint NOT NULL)"
        )
        current = int(await conn.fetchval("SELECT coalesce(max(version), 0) FROM newsbot_schema"))
        if current > latest:
            raise StoreError(
                f"{where}: schema version {current} is newer than this program knows ({latest}): "
                "upgrade newsbot to the version that wrote it"
            )
        for version, name, sql in known:
            if version <= current:
                continue
            log.info("applying migration %s", name)
            await conn.execute(sql)
            await conn.execute(
                "INSERT INTO newsbot_schema (version, name, applied_at) VALUES ($1, $2, $3)", version, name, now_ts()
            )
    return current == 0
