"""Readers' own words on PostgreSQL (migration reader_words explains the rows).

A change takes the next value of word_version, holding its row until it commits, so values follow
commit order and the fan-out's index, reading rows changed after the last value it saw, misses
none. Changes of one reader are serialized on the reader's row, so two taps at once cannot pass
the limit together. A followed word's mark is the content_version read FOR SHARE, as a subscription's.
"""

from __future__ import annotations

from asyncpg.pool import PoolConnectionProxy

from bot.models import ReaderWord, WordAdded, WordKind
from bot.store.postgres.db import PgDatabase, Record, now_ts
from bot.store.words import WordChange

_NEXT_SEQ = "UPDATE word_version SET n = n + 1 WHERE id = 1 RETURNING n"


async def changes_since(conn: PoolConnectionProxy[Record], seq: int) -> list[WordChange]:
    """Rows changed after `seq`, in the order of their changes (read inside the fan-out's transaction)."""
    found = await conn.fetch(
        "SELECT id, reader_id, kind, folded, after_seq, active, changed FROM reader_words "
        "WHERE changed > $1 ORDER BY changed",
        seq,
    )
    return [
        WordChange(int(r[0]), int(r[1]), WordKind(r[2]), str(r[3]), int(r[4]), bool(r[5]), int(r[6])) for r in found
    ]


class PgWordRepository:
    def __init__(self, db: PgDatabase) -> None:
        self._db = db

    async def add(self, reader_id: int, kind: WordKind, text: str, key: str, limit: int) -> WordAdded:
        async with self._db.transaction() as conn:
            await conn.execute("SELECT 1 FROM readers WHERE id = $1 FOR NO KEY UPDATE", reader_id)
            row = await conn.fetchrow(
                "SELECT id, active FROM reader_words WHERE reader_id = $1 AND kind = $2 AND folded = $3",
                reader_id,
                kind.value,
                key,
            )
            if row is not None and row["active"]:
                return WordAdded.EXISTS
            held = await conn.fetchval(
                "SELECT count(*) FROM reader_words WHERE reader_id = $1 AND kind = $2 AND active",
                reader_id,
                kind.value,
            )
            if int(held) >= limit:
                return WordAdded.LIMIT
            # The mark first: a batch of articles being written holds content_version until it commits.
            mark = int(await conn.fetchval("SELECT n FROM content_version WHERE id = 1 FOR SHARE"))
            seq = int(await conn.fetchval(_NEXT_SEQ))
            if row is None:
                await conn.execute(
                    "INSERT INTO reader_words (reader_id, kind, phrase, folded, after_seq, changed, created_at) "
                    "VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    reader_id,
                    kind.value,
                    text,
                    key,
                    mark,
                    seq,
                    now_ts(),
                )
            else:
                await conn.execute(
                    "UPDATE reader_words SET active = true, phrase = $1, after_seq = $2, changed = $3, "
                    "created_at = $4 WHERE id = $5",
                    text,
                    mark,
                    seq,
                    now_ts(),
                    row["id"],
                )
            return WordAdded.ADDED

    async def remove(self, reader_id: int, word_id: int) -> ReaderWord | None:
        async with self._db.transaction() as conn:
            row = await conn.fetchrow(
                "SELECT id, kind, phrase FROM reader_words WHERE id = $1 AND reader_id = $2 AND active FOR UPDATE",
                word_id,
                reader_id,
            )
            if row is None:
                return None
            seq = int(await conn.fetchval(_NEXT_SEQ))
            await conn.execute("UPDATE reader_words SET active = false, changed = $1 WHERE id = $2", seq, word_id)
            return ReaderWord(int(row["id"]), WordKind(row["kind"]), str(row["phrase"]))

    async def of_reader(self, reader_id: int) -> list[ReaderWord]:
        found = await self._db.fetch(
            "SELECT id, kind, phrase FROM reader_words WHERE reader_id = $1 AND active ORDER BY changed",
            reader_id,
        )
        return [ReaderWord(int(r[0]), WordKind(r[1]), str(r[2])) for r in found]

    async def count(self) -> dict[str, int]:
        counts = {kind.value: 0 for kind in WordKind}
        for kind, n in await self._db.fetch("SELECT kind, count(*) FROM reader_words WHERE active GROUP BY kind"):
            counts[str(kind)] = int(n)
        return counts
