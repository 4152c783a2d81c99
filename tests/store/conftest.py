"""The store contract suite's engines: every test here taking `store` or `open_store` runs once per
factory in STORE_FACTORIES (SQLite, PostgreSQL), through the engine-neutral `NewsStore` protocol only.

A factory takes the test's request (for session resources: the PostgreSQL database) and a fresh
directory for the test, and returns an opener; each call of the opener opens
the same store again (a second connection, as a worker process or `newsbot ingest` has, or the bot
restarted). A second engine joins the suite by adding one `pytest.param(its_factory, id=...)`.
SQLite-only behaviour (pragmas, migrations of old files, the aiosqlite adapter) is tested in
test_sqlite.py and test_aiosqlite_adapter.py.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from bot.store import open_store as open_sqlite_store
from bot.store.postgres import open_postgres_store
from bot.store.protocols import NewsStore
from tests.postgres import PostgresDatabase

StoreOpener = Callable[[], Awaitable[NewsStore]]


def sqlite_file(request: pytest.FixtureRequest, where: Path) -> StoreOpener:
    """The SQLite store: one file in the test's directory."""

    def opener() -> Awaitable[NewsStore]:
        return open_sqlite_store(where / "news.db")

    return opener


def postgres_schema(request: pytest.FixtureRequest, where: Path) -> StoreOpener:
    """The PostgreSQL store: a schema of its own in the session's database (tests/postgres.py),
    created at the first open; a small pool, as many tests open several stores."""
    database: PostgresDatabase = request.getfixturevalue("postgres")
    url: list[str] = []

    async def opener() -> NewsStore:
        if not url:
            url.append(await database.fresh_schema())
        return await open_postgres_store(url[0], pool_size=4)

    return opener


STORE_FACTORIES = [
    pytest.param(sqlite_file, id="sqlite"),
    pytest.param(postgres_schema, id="postgres"),
]


@pytest.fixture(params=STORE_FACTORIES)
def open_store(request: pytest.FixtureRequest, tmp_path: Path) -> StoreOpener:
    factory: Callable[[pytest.FixtureRequest, Path], StoreOpener] = request.param
    return factory(request, tmp_path)


@pytest.fixture
async def store(open_store: StoreOpener) -> AsyncIterator[NewsStore]:
    s = await open_store()
    yield s
    await s.close()
