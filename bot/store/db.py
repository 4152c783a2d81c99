"""The SQLite connection: pragmas, numbered migrations shipped in the package, write transactions.

Every query's failure leaves this module as one of the store's own errors (`bot.store.errors`,
translated by `bot.store.sqlite_errors`), so nothing above `bot/store` handles a sqlite3 exception.
"""

from __future__ import annotations

import asyncio
import logging
import re
import sqlite3
import time
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from typing import NoReturn, TypeVar

import aiosqlite

from bot.store.aiosqlite_adapter import run_on_connection_thread
from bot.store.errors import StoreError
from bot.store.sqlite_errors import error_class, is_driver_misuse, translate

__all__ = ["Database", "StoreError", "migrations", "now_ts"]

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 10_000
_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
T = TypeVar("T")


class _WriteOpen(Exception):
    """A `write()` transaction is open on the connection: `transaction()` waits for the lock."""


def now_ts() -> int:
    return int(time.time())


def migrations() -> list[tuple[int, str, str]]:
    """The numbered migrations shipped inside the package, in order: (version, name, sql)."""
    found = []
    for entry in resources.files("bot.store").joinpath("migrations").iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match:
            found.append((int(match.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    return sorted(found)


class Database:
    """One aiosqlite connection in autocommit mode; writes go through `write()` (BEGIN IMMEDIATE).

    BEGIN IMMEDIATE takes the write lock up front, so a second process (`newsbot ingest` beside the
    running bot) waits on the busy timeout instead of failing with "database is locked" when a read
    transaction would later need to upgrade.
    """

    def __init__(self, conn: aiosqlite.Connection, path: Path, created: bool) -> None:
        self.conn = conn
        self.path = path
        self.created = created
        self._write_lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: str | Path) -> Database:
        path = Path(path)
        created = str(path) == ":memory:" or not path.exists() or path.stat().st_size == 0
        if str(path) != ":memory:":
            path.parent.mkdir(parents=True, exist_ok=True)
        conn = await aiosqlite.connect(path, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
        conn.row_factory = sqlite3.Row
        try:
            await conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            await conn.execute("PRAGMA journal_mode = WAL")
            await conn.execute("PRAGMA synchronous = NORMAL")
            await conn.execute("PRAGMA foreign_keys = ON")
            await conn.execute("PRAGMA temp_store = MEMORY")
            db = cls(conn, path, created)
            await db._migrate()
        except sqlite3.DatabaseError as exc:
            await conn.close()
            raise error_class(exc)(f"{path}: not a usable newsbot store ({exc})") from exc
        except BaseException:
            await conn.close()
            raise
        return db

    async def close(self) -> None:
        await self.conn.close()

    def _raise(self, exc: sqlite3.Error) -> NoReturn:
        """Raise the store's error for a query's failure, naming the file (a bug in how this package
        uses sqlite3 is raised as it is)."""
        if is_driver_misuse(exc):
            raise exc
        raise translate(exc, str(self.path)) from exc

    async def schema_version(self) -> int:
        row = await self.fetch_one("PRAGMA user_version")
        return int(row[0]) if row else 0

    async def _migrate(self) -> None:
        known = migrations()
        latest = known[-1][0] if known else 0
        async with self.write() as conn:
            async with conn.execute("PRAGMA user_version") as cur:
                row = await cur.fetchone()
            current = int(row[0]) if row else 0
            if current > latest:
                raise StoreError(f"{self.path}: schema version {current} is newer than this program knows ({latest})")
            for version, name, sql in known:
                if version <= current:
                    continue
                log.info("applying migration %s", name)
                for statement in _statements(sql):
                    await conn.execute(statement)
                await conn.execute(f"PRAGMA user_version = {version}")

    async def fetch_all(self, sql: str, params: Iterable[object] = ()) -> list[sqlite3.Row]:
        """Every row of a query, in one trip to the connection's thread (execute, fetch and close)."""
        try:
            return list(await self.conn.execute_fetchall(sql, tuple(params)))
        except sqlite3.Error as exc:
            self._raise(exc)

    async def fetch_one(self, sql: str, params: Iterable[object] = ()) -> sqlite3.Row | None:
        """The first row of a query that returns at most a few (by key, or a count), or None."""
        try:
            found = await self.conn.execute_fetchall(sql, tuple(params))
        except sqlite3.Error as exc:
            self._raise(exc)
        return next(iter(found), None)

    async def transaction(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run `work` in BEGIN IMMEDIATE … COMMIT (rolled back on any error) as one call on the
        connection's thread, where nothing else can run between its statements.

        `write()` takes a trip to that thread per statement, each waiting its turn on a busy event
        loop, with the write lock held throughout; a short read-modify-write belongs here. The lock
        is only waited for when a `write()` transaction is open on the connection at that moment.
        """

        def run(raw: sqlite3.Connection) -> T:
            if raw.in_transaction:
                raise _WriteOpen  # a write() is between two of its statements
            raw.execute("BEGIN IMMEDIATE")
            try:
                result = work(raw)
            except BaseException:
                raw.rollback()
                raise
            raw.commit()
            return result

        # One more call queued on aiosqlite's thread, through the one module that uses its private API.
        try:
            try:
                return await run_on_connection_thread(self.conn, run)
            except _WriteOpen:
                pass
            async with self._write_lock:  # no write() is open while this is held
                return await run_on_connection_thread(self.conn, run)
        except sqlite3.Error as exc:
            self._raise(exc)

    @asynccontextmanager
    async def write(self) -> AsyncIterator[aiosqlite.Connection]:
        """A write transaction: BEGIN IMMEDIATE … COMMIT, rolled back on any error (a sqlite3 error
        raised by a statement inside leaves as the store's error)."""
        async with self._write_lock:
            try:
                # BEGIN inside the try: a task cancelled while awaiting it has still queued it on
                # aiosqlite's thread, and the rollback below (queued after it) must close it.
                await self.conn.execute("BEGIN IMMEDIATE")
                yield self.conn
                await self.conn.commit()
            except BaseException as exc:
                # Shielded: a cancelled task (shutdown) still rolls back, so no transaction is left
                # open for the next writer ("cannot start a transaction within a transaction").
                await asyncio.shield(self.conn.rollback())
                if isinstance(exc, sqlite3.Error):
                    self._raise(exc)
                raise


def _statements(sql: str) -> list[str]:
    """Split a migration into complete statements (sqlite3.complete_statement knows quoting)."""
    out: list[str] = []
    buf = ""
    for line in sql.splitlines(keepends=True):
        if not buf and line.strip().startswith("--"):
            continue
        buf += line
        if sqlite3.complete_statement(buf):
            out.append(buf.strip())
            buf = ""
    if buf.strip():
        out.append(buf.strip())
    return out
