"""The PostgreSQL side of `newsbot migrate-store` (bot/store/transfer.py): a database's tables,
raw, read with a cursor and written with COPY on one connection, the copy in one transaction."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence

from asyncpg.pool import PoolConnectionProxy

from bot.store.postgres import search
from bot.store.postgres.db import PgDatabase, Record
from bot.store.transfer import BATCH

_INTERNAL = ("newsbot_schema",)


class PgTables:
    engine = "postgresql"

    def __init__(self, db: PgDatabase, conn: PoolConnectionProxy[Record]) -> None:
        self._db = db
        self._conn = conn
        self.where = db.where
        self._transaction = conn.transaction()
        self._types: dict[tuple[str, str], str] = {}

    async def columns(self) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        for r in await self._conn.fetch(
            "SELECT table_name::text, column_name::text, data_type::text FROM information_schema.columns "
            "WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position"
        ):
            if r[0] in _INTERNAL:
                continue
            found.setdefault(r[0], []).append(r[1])
            self._types[(r[0], r[1])] = r[2]
        return found

    async def count(self, table: str, skip_keys: Sequence[str] = ()) -> int:
        if skip_keys:
            sql = f"SELECT count(*) FROM {_quote(table)} WHERE NOT key = ANY($1::text[])"
            return int(await self._conn.fetchval(sql, list(skip_keys)) or 0)
        return int(await self._conn.fetchval(f"SELECT count(*) FROM {_quote(table)}") or 0)

    async def read(self, table: str, columns: Sequence[str]) -> AsyncIterator[list[tuple[object, ...]]]:
        keys = await self._conn.fetch(
            "SELECT a.attname::text FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid "
            "AND a.attnum = ANY(i.indkey) WHERE i.indrelid = $1::regclass AND i.indisprimary ORDER BY a.attname",
            _quote(table),
        )
        order = ", ".join(_quote(k[0]) for k in keys) or "ctid"
        sql = f"SELECT {', '.join(map(_quote, columns))} FROM {_quote(table)} ORDER BY {order}"
        async with self._conn.transaction(readonly=True, isolation="repeatable_read"):
            batch: list[tuple[object, ...]] = []
            async for r in self._conn.cursor(sql, prefetch=BATCH):
                batch.append(tuple(r))
                if len(batch) >= BATCH:
                    yield batch
                    batch = []
            if batch:
                yield batch

    async def version(self, table: str) -> int:
        return int(await self._conn.fetchval(f"SELECT n FROM {_quote(table)} WHERE id = 1") or 0)

    async def begin(self) -> None:
        await self._transaction.start()

    async def clear(self, tables: Sequence[str]) -> None:
        await self._conn.execute(f"TRUNCATE {', '.join(map(_quote, tables))} CASCADE")

    async def write(self, table: str, columns: Sequence[str], rows: Sequence[tuple[object, ...]]) -> None:
        booleans = [i for i, c in enumerate(columns) if self._types.get((table, c)) == "boolean"]
        if booleans:  # SQLite keeps them as 0 and 1
            rows = [tuple(bool(v) if i in booleans and v is not None else v for i, v in enumerate(r)) for r in rows]
        if table == "articles":  # with its search document, from the text it stores (binary COPY has no tsvector)
            at = [columns.index(c) for c in ("headline", "lead", "body")]
            marks = ", ".join(f"${i + 1}" for i in range(len(columns)))
            await self._conn.executemany(
                f"INSERT INTO articles ({', '.join(map(_quote, columns))}, search) "
                f"VALUES ({marks}, ${len(columns) + 1}::tsvector)",
                [(*r, search.document(*(str(r[i] or "") for i in at))) for r in rows],
            )
            return
        await self._conn.copy_records_to_table(table, records=rows, columns=list(columns))

    async def point_merged(self, pairs: Sequence[tuple[object, ...]]) -> None:
        await self._conn.executemany("UPDATE topics SET merged_into = $1 WHERE id = $2", pairs)

    async def finish(self, versions: dict[str, int]) -> int:
        await self._conn.execute(
            "UPDATE topics t SET article_count = (SELECT count(*) FROM article_topics x WHERE x.topic_id = t.id)"
        )
        for table, column in await self._conn.fetch(
            "SELECT c.table_name::text, c.column_name::text FROM information_schema.columns c "
            "WHERE c.table_schema = current_schema() AND (c.is_identity = 'YES' OR c.column_default LIKE 'nextval(%')"
        ):
            await self._conn.execute(
                f"SELECT setval(pg_get_serial_sequence($1, $2), coalesce(max({_quote(column)}), 0) + 1, false) "
                f"FROM {_quote(table)}",
                _quote(table),
                column,
            )
        for table, n in versions.items():  # last: the triggers above moved them
            await self._conn.execute(f"UPDATE {_quote(table)} SET n = greatest(n, $1) WHERE id = 1", n)
        # Readers' words are read by the fan-out from their change number on: the counter above them.
        await self._conn.execute(
            "UPDATE word_version SET n = greatest(n, (SELECT coalesce(max(changed), 0) FROM reader_words)) WHERE id = 1"
        )
        return int(await self._conn.fetchval("SELECT count(*) FROM articles WHERE search IS NOT NULL") or 0)

    async def commit(self) -> None:
        await self._transaction.commit()

    async def rollback(self) -> None:
        await self._transaction.rollback()


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
