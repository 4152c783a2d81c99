"""The SQLite side of `newsbot migrate-store` (bot/store/transfer.py): a store file's tables, raw,
read and written on the store's own connection, the copy in one transaction."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import AsyncIterator, Sequence

from bot.store.search_terms import indexed
from bot.store.sqlite.db import Database
from bot.store.transfer import BATCH

# The engine's own: FTS5's shadow tables, AUTOINCREMENT's counters, the planner's statistics.
_INTERNAL = ("sqlite_", "articles_fts")


class SqliteTables:
    engine = "sqlite"

    def __init__(self, db: Database) -> None:
        self._db = db
        self._conn = db.conn
        self.where = str(db.path)

    async def columns(self) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        names = await self._db.fetch_all("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        for (name,) in names:
            if name.startswith(_INTERNAL):
                continue
            info = await self._db.fetch_all(f"PRAGMA table_info({_quote(name)})")
            found[name] = [r["name"] for r in info]
        return found

    async def count(self, table: str, skip_keys: Sequence[str] = ()) -> int:
        sql = f"SELECT count(*) FROM {_quote(table)}"
        if skip_keys:
            sql += f" WHERE key NOT IN ({', '.join('?' * len(skip_keys))})"
        async with self._conn.execute(sql, tuple(skip_keys)) as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else 0

    async def read(self, table: str, columns: Sequence[str]) -> AsyncIterator[list[tuple[object, ...]]]:
        keys = await self._key(table)
        sql = f"SELECT {', '.join(map(_quote, columns))} FROM {_quote(table)} ORDER BY {', '.join(keys)}"
        async with self._conn.execute(sql) as cur:
            while rows := await cur.fetchmany(BATCH):
                yield [tuple(r) for r in rows]

    async def _key(self, table: str) -> list[str]:
        info = await self._db.fetch_all(f"PRAGMA table_info({_quote(table)})")
        keys = sorted((r["pk"], r["name"]) for r in info if r["pk"])
        return [_quote(name) for _, name in keys] or ["rowid"]

    async def version(self, table: str) -> int:
        async with self._conn.execute(f"SELECT n FROM {_quote(table)} WHERE id = 1") as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else 0

    async def begin(self) -> None:
        await self._conn.execute("BEGIN IMMEDIATE")

    async def clear(self, tables: Sequence[str]) -> None:
        for table in tables:
            await self._conn.execute(f"DELETE FROM {_quote(table)}")
        await self._conn.execute("DELETE FROM articles_fts")

    async def write(self, table: str, columns: Sequence[str], rows: Sequence[tuple[object, ...]]) -> None:
        marks = ", ".join("?" * len(columns))
        await self._conn.executemany(
            f"INSERT INTO {_quote(table)} ({', '.join(map(_quote, columns))}) VALUES ({marks})", rows
        )

    async def point_merged(self, pairs: Sequence[tuple[object, ...]]) -> None:
        await self._conn.executemany("UPDATE topics SET merged_into = ? WHERE id = ?", pairs)

    async def finish(self, versions: dict[str, int]) -> int:
        await self._conn.execute(
            "UPDATE topics SET article_count = (SELECT count(*) FROM article_topics x WHERE x.topic_id = topics.id)"
        )
        async with self._conn.execute("SELECT id, headline, lead, body FROM articles ORDER BY id") as cur:
            while rows := await cur.fetchmany(BATCH):
                await self._conn.executemany(
                    "INSERT INTO articles_fts (rowid, headline, lead, body) VALUES (?, ?, ?, ?)",
                    [(r[0], indexed(r[1]), indexed(r[2]), indexed(r[3])) for r in rows],
                )
        for table, n in versions.items():  # last: the triggers above moved them
            await self._conn.execute(f"UPDATE {_quote(table)} SET n = max(n, ?) WHERE id = 1", (n,))
        # Readers' words are read by the fan-out from their change number on: the counter above them.
        await self._conn.execute(
            "INSERT INTO meta (key, value) SELECT 'word_seq', coalesce(max(changed), 0) FROM reader_words WHERE 1 "
            "ON CONFLICT (key) DO UPDATE SET value = max(CAST(value AS INTEGER), CAST(excluded.value AS INTEGER))"
        )
        async with self._conn.execute("SELECT count(*) FROM articles_fts") as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else 0

    async def commit(self) -> None:
        await self._conn.commit()

    async def rollback(self) -> None:
        with contextlib.suppress(sqlite3.Error):
            await self._conn.rollback()


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
