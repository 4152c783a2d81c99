"""The SQLite connection: pragmas, numbered migrations shipped in the package, write transactions.

Every query's failure leaves this module as one of the store's own errors (`bot.store.errors`,
translated by `bot.store.sqlite.errors`), so nothing above `bot/store` handles a sqlite3 exception.
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

from bot.store.errors import StoreCorrupt, StoreError, StoreUnavailable
from bot.store.health import StoreHealth
from bot.store.sqlite.aiosqlite_adapter import connect, run_on_connection_thread
from bot.store.sqlite.errors import error_class, is_driver_misuse, translate

__all__ = ["Database", "StoreError", "migrations", "now_ts"]

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 10_000
_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
T = TypeVar("T")


class _WriteOpen(Exception):
    """A `write()` transaction is open on the connection: `transaction()` waits for the lock."""


_DAMAGED = ("malformed", "disk image", "corrupt")


def store_error(path: Path, exc: BaseException) -> StoreError:
    """One line for a store that cannot be opened or read: what is wrong and what to do.

    For the errors SQLite and the file system raise on a bad NEWSBOT_DB: a damaged file, a folder
    given as the store, a parent that is a file, a folder or file that cannot be written.
    """
    reason = (exc.strerror or str(exc)) if isinstance(exc, OSError) else str(exc)
    if isinstance(exc, sqlite3.DatabaseError) and any(word in reason.lower() for word in _DAMAGED):
        return StoreCorrupt(
            f"{path}: the store is damaged ({reason}): restore it from a copy made by `newsbot backup`, "
            "or move the file aside to start a fresh store"
        )
    if isinstance(exc, sqlite3.DatabaseError) and "not a database" in reason:
        return StoreCorrupt(
            f"{path}: not a usable newsbot store ({reason}): check NEWSBOT_DB; if this is the store, it is "
            "damaged: restore it from a copy made by `newsbot backup`, or move it aside to start a fresh store"
        )
    if isinstance(exc, IsADirectoryError) or path.is_dir():
        return StoreUnavailable(
            f"{path}: is a folder, not a store file: set NEWSBOT_DB to a file path like data/newsbot.db"
        )
    parent = next((p for p in path.parents if p.exists()), None)
    if isinstance(exc, (NotADirectoryError, FileExistsError)) or (parent is not None and not parent.is_dir()):
        return StoreUnavailable(
            f"{path}: {parent or path.parent} is a file, not a folder: set NEWSBOT_DB to a path in a folder"
        )
    if isinstance(exc, PermissionError) or "readonly" in reason or "unable to open" in reason:
        return StoreUnavailable(
            f"{path}: the store cannot be created or written ({reason}): "
            f"give this user write access to {path.parent} and the file, or set NEWSBOT_DB elsewhere"
        )
    return StoreError(f"{path}: the store cannot be used ({reason})")


def now_ts() -> int:
    return int(time.time())


def migrations() -> list[tuple[int, str, str]]:
    """The numbered migrations shipped inside the package, in order: (version, name, sql)."""
    found = []
    for entry in resources.files("bot.store.sqlite").joinpath("migrations").iterdir():
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
        self.health = StoreHealth(str(path))  # the file unwritable, the disk full: one line, and when it is back

    @classmethod
    async def open(cls, path: str | Path, *, schema: int | None = None) -> Database:
        """Open the store, migrating it to the newest schema (or only up to `schema`: tests build
        a store as an older release left it)."""
        path = Path(path)
        try:
            created = str(path) == ":memory:" or not path.exists() or path.stat().st_size == 0
            if str(path) != ":memory:":
                path.parent.mkdir(parents=True, exist_ok=True)
            conn = await _connect(path)
        except (OSError, sqlite3.DatabaseError) as exc:
            raise store_error(path, exc) from exc
        conn.row_factory = sqlite3.Row
        try:
            await conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            await conn.execute("PRAGMA journal_mode = WAL")
            await conn.execute("PRAGMA synchronous = NORMAL")
            await conn.execute("PRAGMA foreign_keys = ON")
            await conn.execute("PRAGMA temp_store = MEMORY")
            db = cls(conn, path, created)
            await db._migrate(schema)
        except (OSError, sqlite3.DatabaseError) as exc:
            await conn.close()
            raise store_error(path, exc) from exc
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
        if error_class(exc) is StoreCorrupt:  # what to do about it: restore a backup or start afresh
            raise store_error(self.path, exc) from exc
        error = translate(exc, str(self.path))
        if isinstance(error, StoreUnavailable):
            self.health.unavailable(error)
        raise error from exc

    async def schema_version(self) -> int:
        row = await self.fetch_one("PRAGMA user_version")
        return int(row[0]) if row else 0

    async def _migrate(self, limit: int | None = None) -> None:
        """Apply the migrations the store has not seen (up to `limit`, for tests building an older
        store) in one transaction.

        Foreign keys are off meanwhile (the pragma cannot change inside a transaction), so a
        migration that rebuilds a table (0006) does not cascade the old table's drop to the rows
        that reference it; they are checked before the commit, and any dangling one refuses it.
        """
        known = [m for m in migrations() if limit is None or m[0] <= limit]
        latest = max((m[0] for m in migrations()), default=0)
        await self.conn.execute("PRAGMA foreign_keys = OFF")
        try:
            async with self.write() as conn:
                async with conn.execute("PRAGMA user_version") as cur:
                    row = await cur.fetchone()
                current = int(row[0]) if row else 0
                if current > latest:
                    raise StoreError(
                        f"{self.path}: schema version {current} is newer than this program knows ({latest})"
                    )
                applied = False
                for version, name, sql in known:
                    if version <= current:
                        continue
                    log.info("applying migration %s", name)
                    for statement in _statements(sql):
                        await conn.execute(statement)
                    await conn.execute(f"PRAGMA user_version = {version}")
                    applied = True
                if applied:
                    async with conn.execute("PRAGMA foreign_key_check") as cur:
                        dangling = await cur.fetchone()
                    if dangling is not None:
                        raise StoreError(
                            f"{self.path}: migrating left a {dangling[0]} row pointing at a missing {dangling[2]} row"
                        )
        finally:
            await self.conn.execute("PRAGMA foreign_keys = ON")

    async def fetch_all(self, sql: str, params: Iterable[object] = ()) -> list[sqlite3.Row]:
        """Every row of a query, in one trip to the connection's thread (execute, fetch and close)."""
        try:
            rows = list(await self.conn.execute_fetchall(sql, tuple(params)))
        except sqlite3.Error as exc:
            self._raise(exc)
        self.health.available()
        return rows

    async def fetch_one(self, sql: str, params: Iterable[object] = ()) -> sqlite3.Row | None:
        """The first row of a query that returns at most a few (by key, or a count), or None."""
        try:
            found = await self.conn.execute_fetchall(sql, tuple(params))
        except sqlite3.Error as exc:
            self._raise(exc)
        self.health.available()
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
                result = await run_on_connection_thread(self.conn, run)
            except _WriteOpen:
                async with self._write_lock:  # no write() is open while this is held
                    result = await run_on_connection_thread(self.conn, run)
        except sqlite3.Error as exc:
            self._raise(exc)
        self.health.available()
        return result

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
                self.health.available()
            except BaseException as exc:
                # Shielded: a cancelled task (shutdown) still rolls back, so no transaction is left
                # open for the next writer ("cannot start a transaction within a transaction").
                await asyncio.shield(self.conn.rollback())
                if isinstance(exc, sqlite3.Error):
                    self._raise(exc)
                raise


async def _connect(path: Path) -> aiosqlite.Connection:
    return await connect(path, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)


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
