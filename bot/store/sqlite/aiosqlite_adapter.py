"""The one place that reaches into aiosqlite's private API: run a callable on a connection's thread,
and wait for that thread when a connection could not be opened.

aiosqlite runs every call on one thread per connection, queued through its private `_execute`, and
keeps the sqlite3 connection in the private `_conn`. It has no public way to run a function there,
and `Database.transaction` needs one: a short read-modify-write (a subscribe toggle, a reader's
first contact) runs as one call, BEGIN IMMEDIATE to COMMIT, with nothing else between its
statements and one trip through the event loop instead of one per statement. The public path,
`Database.write()`, costs a round trip per statement (BEGIN, each query, COMMIT), each waiting its
turn on a busy event loop with the write lock held: `bench/bench_store_tx.py` measures both.

tests/store/test_aiosqlite_adapter.py fails the day aiosqlite changes what is used here (the
attributes exist; the callable runs on the connection's thread; its result comes back; its
exception propagates), which is what the `aiosqlite<0.23` pin in pyproject.toml guards until then.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite

T = TypeVar("T")


async def run_on_connection_thread(conn: aiosqlite.Connection, fn: Callable[[sqlite3.Connection], T]) -> T:
    """`fn(the sqlite3 connection)` on aiosqlite's thread, queued after the calls before it."""

    def call() -> T:
        return fn(conn._conn)  # only ever touched on aiosqlite's own thread, as aiosqlite does

    result: T = await conn._execute(call)
    return result


async def connect(path: str | Path, **kwargs: Any) -> aiosqlite.Connection:
    """aiosqlite.connect, waiting for aiosqlite's thread when the connect fails.

    aiosqlite stops its thread after a failed connect without waiting for it; unwaited, the thread
    reports to an event loop already closed ("Event loop is closed" traceback after a one-line
    error about a bad NEWSBOT_DB). The thread is the private `_thread`.
    """
    connecting = aiosqlite.connect(path, **kwargs)
    try:
        return await connecting
    except BaseException:
        await asyncio.to_thread(connecting._thread.join, 5)
        raise
