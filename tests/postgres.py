"""A PostgreSQL database for the tests: created once per test session (a random name), dropped at
its end; each test that asks gets a schema of its own in it (the URL's search_path), so tests never
see one another's rows.

The server is NEWSBOT_TEST_POSTGRES (an admin URL; default the machine's server at
postgresql://postgres@127.0.0.1:5432/postgres). Without a reachable server the tests that need it
are skipped, each saying why (pytest -ra lists the reason); under CI (CI=true) they fail instead,
so CI never passes by skipping them (`.ci/run` starts a server first, scripts/postgres.sh).
"""

from __future__ import annotations

import asyncio
import itertools
import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

ADMIN_URL = os.environ.get("NEWSBOT_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")
_schemas = itertools.count(1)


def _with_database(url: str, database: str, query: str = "") -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + database, query, ""))


@dataclass(frozen=True)
class PostgresDatabase:
    """The session's database: `url` to it, and `fresh_schema()` for one test's store."""

    url: str

    async def fresh_schema(self) -> str:
        """A new empty schema; the URL opening a store in it."""
        name = f"t{next(_schemas)}_{secrets.token_hex(3)}"
        conn = await asyncpg.connect(self.url)
        try:
            await conn.execute(f"CREATE SCHEMA {name}")
        finally:
            await conn.close()
        parts = urlsplit(self.url)
        return urlunsplit((parts.scheme, parts.netloc, parts.path, f"search_path={name}", ""))


def unavailable(reason: str) -> None:
    """Skip the test with the reason, or fail it under CI, where PostgreSQL must be there."""
    message = f"no PostgreSQL server for the tests ({reason}); set NEWSBOT_TEST_POSTGRES to an admin URL"
    if os.environ.get("CI"):
        pytest.fail(message + " (CI must run them: .ci/run starts one)")
    pytest.skip(message)


async def _admin(sql: str) -> None:
    conn = await asyncpg.connect(ADMIN_URL, timeout=5)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


_session: PostgresDatabase | None = None
_problem: str | None = None


@pytest.fixture(scope="session")
def postgres_session() -> Iterator[PostgresDatabase | str]:
    """The session's database, or why there is none (a str)."""
    name = f"newsbot_test_{secrets.token_hex(4)}"
    try:
        asyncio.run(_admin(f"CREATE DATABASE {name}"))
    except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        yield f"{ADMIN_URL.split('@')[-1]}: {exc}"
        return
    yield PostgresDatabase(_with_database(ADMIN_URL, name))
    asyncio.run(_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


@pytest.fixture
def postgres(postgres_session: PostgresDatabase | str) -> PostgresDatabase:
    """The session's PostgreSQL database (skips, or fails under CI, without a server)."""
    if isinstance(postgres_session, str):
        unavailable(postgres_session)
    assert isinstance(postgres_session, PostgresDatabase)
    return postgres_session
