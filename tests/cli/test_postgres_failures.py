"""A PostgreSQL NEWSBOT_DB that cannot be used: an unreachable server, a login the server refuses,
a schema newer than this program. Each is one line naming the URL (never its password) and what to
fix, and exit code 2, from the real command in a subprocess, for `newsbot stats` and `newsbot run`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from bot.devtools.emulator.server import BotApiEmulator
from bot.store.postgres import open_postgres_store
from tests.cli.test_failures import TOKEN, final_line, newsbot
from tests.postgres import PostgresDatabase

pytestmark = pytest.mark.slow


@pytest.fixture
async def emulator() -> AsyncIterator[BotApiEmulator]:
    async with BotApiEmulator(rate_limits=False) as emu:
        yield emu


def _run_env(emulator: BotApiEmulator) -> dict[str, str]:
    return {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_URL": emulator.base_url}


@pytest.mark.parametrize("command", ["stats", "run"])
async def test_an_unreachable_server_or_a_refused_login_is_one_line_and_exit_2(
    tmp_path: Path, emulator: BotApiEmulator, postgres: PostgresDatabase, command: str
) -> None:
    env = _run_env(emulator) if command == "run" else {}
    host = postgres.url.split("@", 1)[1].split("/", 1)[0]
    cases = {
        "postgresql://bot:hunter2secret@127.0.0.1:1/news": (
            "newsbot: postgresql://bot:<secret>@127.0.0.1:1/news: cannot reach the PostgreSQL server"
        ),
        f"postgresql://no_such_role_newsbot:hunter2secret@{host}/postgres": (
            f"newsbot: postgresql://no_such_role_newsbot:<secret>@{host}/postgres: the server refused the login"
        ),
    }
    for url, start in cases.items():
        code, output = await newsbot(tmp_path, command, NEWSBOT_DB=url, **env)
        assert code == 2, output
        line = final_line(output)
        assert line.startswith(start), line
        assert "NEWSBOT_DB" in line and "hunter2secret" not in output


@pytest.mark.parametrize("command", ["stats", "run"])
async def test_a_newer_schema_is_one_line_and_exit_2(
    tmp_path: Path, emulator: BotApiEmulator, postgres: PostgresDatabase, command: str
) -> None:
    url = await postgres.fresh_schema()
    store = await open_postgres_store(url, pool_size=1)
    await store.close()
    conn = await asyncpg.connect(url)
    try:
        await conn.execute("INSERT INTO newsbot_schema (version, name, applied_at) VALUES (99, '0099_future.sql', 0)")
    finally:
        await conn.close()
    env = _run_env(emulator) if command == "run" else {}
    code, output = await newsbot(tmp_path, command, NEWSBOT_DB=url, **env)
    assert code == 2, output
    line = final_line(output)
    assert "schema version 99 is newer than this program knows" in line, line
    assert "upgrade newsbot" in line, line
