"""Readers' own words on SQLite: followed and muted phrases (migration reader_words explains the rows).

Each change takes the next value of meta 'word_seq' in its write transaction (writers are serialized,
so the values follow commit order) and writes it on the row: the fan-out's index reads the rows
changed since its last round (`changes_since`).
"""

from __future__ import annotations

import sqlite3

import aiosqlite

from bot.models import ReaderWord, WordAdded, WordKind
from bot.store.sqlite.db import Database, now_ts
from bot.store.words import WordChange

_NEXT_SEQ = "UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'word_seq' RETURNING CAST(value AS INTEGER)"


async def changes_since(conn: aiosqlite.Connection, seq: int) -> list[WordChange]:
    """Rows changed after `seq`, in the order of their changes (read inside the fan-out's transaction)."""
    async with conn.execute(
        "SELECT id, reader_id, kind, folded, after_article, active, changed FROM reader_words "
        "WHERE changed > ? ORDER BY changed",
        (seq,),
    ) as cur:
        found = await cur.fetchall()
    return [
        WordChange(int(r[0]), int(r[1]), WordKind(r[2]), str(r[3]), int(r[4]), bool(r[5]), int(r[6])) for r in found
    ]


class WordRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(self, reader_id: int, kind: WordKind, text: str, key: str, limit: int) -> WordAdded:
        now = now_ts()

        def add(conn: sqlite3.Connection) -> WordAdded:
            row = conn.execute(
                "SELECT id, active FROM reader_words WHERE reader_id = ? AND kind = ? AND folded = ?",
                (reader_id, kind.value, key),
            ).fetchone()
            if row is not None and row[1]:
                return WordAdded.EXISTS
            (held,) = conn.execute(
                "SELECT count(*) FROM reader_words WHERE reader_id = ? AND kind = ? AND active = 1",
                (reader_id, kind.value),
            ).fetchone()
            if held >= limit:
                return WordAdded.LIMIT
            (seq,) = conn.execute(_NEXT_SEQ).fetchone()
            (mark,) = conn.execute("SELECT coalesce(max(id), 0) FROM articles").fetchone()
            if row is None:
                conn.execute(
                    "INSERT INTO reader_words (reader_id, kind, phrase, folded, after_article, changed, created_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (reader_id, kind.value, text, key, mark, seq, now),
                )
            else:
                conn.execute(
                    "UPDATE reader_words SET active = 1, phrase = ?, after_article = ?, changed = ?, created_at = ? "
                    "WHERE id = ?",
                    (text, mark, seq, now, row[0]),
                )
            return WordAdded.ADDED

        return await self._db.transaction(add)

    async def remove(self, reader_id: int, word_id: int) -> ReaderWord | None:
        def remove(conn: sqlite3.Connection) -> ReaderWord | None:
            row = conn.execute(
                "SELECT id, kind, phrase FROM reader_words WHERE id = ? AND reader_id = ? AND active = 1",
                (word_id, reader_id),
            ).fetchone()
            if row is None:
                return None
            (seq,) = conn.execute(_NEXT_SEQ).fetchone()
            conn.execute("UPDATE reader_words SET active = 0, changed = ? WHERE id = ?", (seq, word_id))
            return ReaderWord(int(row[0]), WordKind(row[1]), str(row[2]))

        return await self._db.transaction(remove)

    async def of_reader(self, reader_id: int) -> list[ReaderWord]:
        found = await self._db.fetch_all(
            "SELECT id, kind, phrase FROM reader_words WHERE reader_id = ? AND active = 1 ORDER BY changed",
            (reader_id,),
        )
        return [ReaderWord(int(r[0]), WordKind(r[1]), str(r[2])) for r in found]

    async def count(self) -> dict[str, int]:
        counts = {kind.value: 0 for kind in WordKind}
        for kind, n in await self._db.fetch_all(
            "SELECT kind, count(*) FROM reader_words WHERE active = 1 GROUP BY kind"
        ):
            counts[str(kind)] = int(n)
        return counts
