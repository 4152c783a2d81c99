"""The aiosqlite private API `bot/store/sqlite/aiosqlite_adapter.py` relies on still exists and behaves.

These fail the day an aiosqlite release renames `_execute` or `_conn`, runs calls elsewhere than the
connection's one thread, or stops handing back results and exceptions: then the adapter (the only
user) must change, and the `aiosqlite<0.23` pin in pyproject.toml may move only once these pass.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import AsyncIterator
from pathlib import Path

import aiosqlite
import pytest

from bot.store.sqlite.aiosqlite_adapter import connect, run_on_connection_thread


@pytest.fixture
async def conn(tmp_path: Path) -> AsyncIterator[aiosqlite.Connection]:
    async with aiosqlite.connect(tmp_path / "a.db", isolation_level=None) as c:
        yield c


def test_the_private_attributes_are_there() -> None:
    assert callable(getattr(aiosqlite.Connection, "_execute", None))
    assert isinstance(getattr(aiosqlite.Connection, "_conn", None), property)


async def test_the_callable_runs_on_the_connections_thread_with_the_sqlite3_connection(
    conn: aiosqlite.Connection,
) -> None:
    # aiosqlite's thread, found through its public API: a SQL function runs where queries run.
    await conn.create_function("thread_id", 0, threading.get_ident)
    [(aiosqlite_thread,)] = list(await conn.execute_fetchall("SELECT thread_id()"))

    def where(raw: sqlite3.Connection) -> tuple[int, bool, int]:
        return threading.get_ident(), isinstance(raw, sqlite3.Connection), raw.execute("SELECT 41 + 1").fetchone()[0]

    thread, is_sqlite3, answer = await run_on_connection_thread(conn, where)
    assert thread == aiosqlite_thread != threading.get_ident()
    assert is_sqlite3 and answer == 42


async def test_calls_keep_their_order_with_the_public_ones(conn: aiosqlite.Connection) -> None:
    await conn.execute("CREATE TABLE t (n INTEGER)")
    inserted = asyncio.ensure_future(conn.execute("INSERT INTO t VALUES (1)"))
    await asyncio.sleep(0)  # the insert is queued first
    count = await run_on_connection_thread(conn, lambda raw: raw.execute("SELECT count(*) FROM t").fetchone()[0])
    await inserted
    assert count == 1


async def test_an_exception_in_the_callable_reaches_the_caller(conn: aiosqlite.Connection) -> None:
    class Boom(Exception):
        pass

    def fail(raw: sqlite3.Connection) -> None:
        raise Boom("from the thread")

    with pytest.raises(Boom, match="from the thread"):
        await run_on_connection_thread(conn, fail)
    with pytest.raises(sqlite3.OperationalError):
        await run_on_connection_thread(conn, lambda raw: raw.execute("SELECT * FROM missing"))
    # the connection goes on
    assert list(await conn.execute_fetchall("SELECT 1")) == [(1,)]


async def test_a_failed_connect_leaves_no_thread_running(tmp_path: Path) -> None:
    """`connect` waits for aiosqlite's private `_thread` after a failed open (a folder as the file)."""
    before = set(threading.enumerate())
    with pytest.raises(sqlite3.OperationalError):
        await connect(tmp_path)  # a folder: "unable to open database file"
    # asyncio's own executor thread (which did the waiting) may stay; aiosqlite's has ended
    assert {t for t in threading.enumerate() if t.is_alive() and not t.name.startswith("asyncio_")} <= before
    assert isinstance(getattr(aiosqlite.connect(tmp_path / "b.db"), "_thread", None), threading.Thread)
