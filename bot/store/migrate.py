"""Open two stores for `newsbot migrate-store` and copy one into the other (bot/store/transfer.py).

Each store is opened as the bot opens it, so both stand at this program's newest schema first (a
source older than that is migrated, as `newsbot run` would; one newer is refused, exit 2). The
engines are imported only when named, as `open_store` does."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path

from bot.store.location import is_postgres_url, safe_url
from bot.store.transfer import Tables, TransferError, TransferReport, copy_store

__all__ = ["TransferError", "TransferReport", "migrate_store"]


@asynccontextmanager
async def _tables(location: str, *, source: bool) -> AsyncIterator[Tables]:
    if is_postgres_url(location):
        from bot.store.postgres.db import PgDatabase
        from bot.store.postgres.transfer import PgTables

        pg = await PgDatabase.open(location, pool_size=2)
        try:
            async with pg.pool.acquire() as conn:
                yield PgTables(pg, conn)
        finally:
            await pg.close()
        return
    from bot.store.sqlite.db import Database
    from bot.store.sqlite.transfer import SqliteTables

    path = Path(location)
    if source and not await asyncio.to_thread(path.is_file):
        raise TransferError(f"{path}: no store file there to copy from: check --from")
    db = await Database.open(path)
    try:
        yield SqliteTables(db)
    finally:
        await db.close()


def _same(a: str, b: str) -> bool:
    if is_postgres_url(a) or is_postgres_url(b):
        return a == b
    return Path(a).resolve() == Path(b).resolve()


async def migrate_store(source: str, target: str, *, replace: bool = False) -> TransferReport:
    """Copy every record of the store at `source` into the one at `target` (a path or a
    postgresql:// URL each). TransferError (or the store's error) says why when it cannot."""
    if _same(source, target):
        raise TransferError(f"{safe_url(source)}: --from and --to name the same store")
    async with AsyncExitStack() as stack:
        source_tables = await stack.enter_async_context(_tables(source, source=True))
        target_tables = await stack.enter_async_context(_tables(target, source=False))
        return await copy_store(source_tables, target_tables, replace=replace)
    raise AssertionError("unreachable")  # pragma: no cover - the stack only suppresses nothing
