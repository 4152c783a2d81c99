"""Running a benchmark on PostgreSQL: `--postgres [ADMIN_URL]` makes a database of its own for the
run (dropped at the end) on the server ADMIN_URL reaches (default the local one)."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

import asyncpg

DEFAULT_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
HELP = f"run on PostgreSQL: a fresh database on the server this admin URL reaches (default {DEFAULT_ADMIN_URL})"


async def _admin(url: str, sql: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@contextlib.contextmanager
def temporary_database(admin_url: str) -> Iterator[str]:
    """A new database for the run, its URL; dropped afterwards."""
    name = f"newsbot_bench_{secrets.token_hex(4)}"
    asyncio.run(_admin(admin_url, f"CREATE DATABASE {name}"))
    parts = urlsplit(admin_url)
    try:
        yield urlunsplit((parts.scheme, parts.netloc, "/" + name, "", ""))
    finally:
        asyncio.run(_admin(admin_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
