"""What only the SQLite engine has: its file, pragmas, migrations of older files, its one-call
transactions, and how sqlite3's exceptions become the store's own errors."""

from __future__ import annotations

import ast
import asyncio
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.models import ParsedItem, TopicSpec
from bot.store import Store, StoreBusy, StoreCorrupt, StoreError, StoreRejected, StoreUnavailable
from bot.store.sqlite.db import migrations
from bot.store.sqlite.errors import translate

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
async def sqlite_store(tmp_path: Path) -> AsyncIterator[Store]:
    s = await Store.open(tmp_path / "news.db")
    yield s
    await s.close()


def item(guid: str, headline: str = "عنوان") -> ParsedItem:
    return ParsedItem(guid=guid, headline=headline, url=f"https://example.com/{guid}")


def old_store(path: Path, version: int) -> sqlite3.Connection:
    """A store file as a release that knew migrations up to `version` left it."""
    con = sqlite3.connect(path)
    for number, _, sql in migrations():
        if number <= version:
            con.executescript(sql)
    con.execute(f"PRAGMA user_version = {version}")
    return con


async def test_new_file_is_migrated_in_wal_with_foreign_keys(tmp_path: Path) -> None:
    s = await Store.open(tmp_path / "sub" / "news.db")
    try:
        assert s.is_new
        assert await s.db.schema_version() == migrations()[-1][0]
        assert (await s.db.fetch_one("PRAGMA journal_mode"))[0] == "wal"
        assert (await s.db.fetch_one("PRAGMA foreign_keys"))[0] == 1
    finally:
        await s.close()
    again = await Store.open(tmp_path / "sub" / "news.db")
    assert not again.is_new
    await again.close()


async def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "news.db"
    con = sqlite3.connect(path)
    con.execute("PRAGMA user_version = 999")
    con.close()
    with pytest.raises(StoreError, match="newer"):
        await Store.open(path)


async def test_a_file_that_is_not_a_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "news.db"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreCorrupt, match="not a usable"):
        await Store.open(path)


async def test_topic_counts_are_filled_in_when_an_older_store_is_migrated(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    con = old_store(path, 2)
    con.execute("INSERT INTO topics (id, slug, name, kind, created_at) VALUES (1, 'world', 'عربي ودولي', 'section', 0)")
    for n in (1, 2, 3):
        con.execute(
            "INSERT INTO articles (id, guid, headline, stored_at, updated_at, content_hash) "
            "VALUES (?, ?, 'ع', 0, 0, '')",
            (n, f"g{n}"),
        )
        con.execute("INSERT INTO article_topics (article_id, topic_id) VALUES (?, 1)", (n,))
    con.commit()
    con.close()
    s = await Store.open(path)
    try:
        assert [(t.slug, t.article_count) for t in await s.topics.all()] == [("world", 3)]
    finally:
        await s.close()


async def test_a_deleted_article_takes_its_links_counts_and_outbox_row_with_it(sqlite_store: Store) -> None:
    store = sqlite_store
    world = await store.topics.upsert(TopicSpec("world", "عربي ودولي"))
    await store.deliveries.fan_out()  # the first round
    await store.readers.get_or_create(1, "قارئ")
    await store.subscriptions.subscribe(1, world.id)
    await store.articles.upsert_many([(item("a"), [world.id]), (item("b"), [world.id])])
    assert (await store.db.fetch_one("SELECT count(*) FROM outbox"))[0] == 2
    async with store.db.write() as conn:
        await conn.execute("DELETE FROM articles WHERE guid = 'b'")
    world_now = await store.topics.by_slug("world")
    assert world_now is not None and world_now.article_count == 1
    assert (await store.db.fetch_one("SELECT count(*) FROM outbox"))[0] == 1
    assert await store.deliveries.fan_out() == 1


@pytest.mark.parametrize("ran_before", [True, False])
async def test_the_outbox_migration_keeps_what_the_old_mark_had_not_reached(tmp_path: Path, ran_before: bool) -> None:
    """Migration 0007: articles above the old fan-out mark are pushed once, those below never; a
    store whose fan-out never ran still starts with a round that pushes nothing."""
    path = tmp_path / "old.db"
    con = old_store(path, 5)
    con.execute("INSERT INTO topics (id, slug, name, kind, created_at) VALUES (1, 'world', 'عربي ودولي', 'section', 0)")
    con.execute("INSERT INTO readers (id, created_at, updated_at) VALUES (7, 0, 0)")
    con.execute("INSERT INTO subscriptions (reader_id, topic_id, created_at, after_article) VALUES (7, 1, 0, 0)")
    for n in range(1, 6):
        con.execute(
            "INSERT INTO articles (id, guid, headline, stored_at, updated_at, content_hash) "
            "VALUES (?, ?, 'ع', 0, 0, '')",
            (n, f"g{n}"),
        )
        con.execute("INSERT INTO article_topics (article_id, topic_id) VALUES (?, 1)", (n,))
    if ran_before:
        con.execute("INSERT INTO meta (key, value) VALUES ('fanout_mark', '3')")
    con.commit()
    con.close()
    s = await Store.open(path)
    try:
        if ran_before:
            assert await s.deliveries.fan_out() == 2
            assert [a for a, _, _, _ in await s.deliveries.for_reader(7)] == [4, 5]
        else:
            assert await s.deliveries.fan_out() == 0
        assert await s.deliveries.fan_out() == 0
        [new] = await s.articles.upsert_many([(item("new"), [1])])
        assert await s.deliveries.fan_out() == 1
        assert [a for a, _, _, _ in await s.deliveries.for_reader(7)][-1] == new.article_id
        assert await s.db.fetch_one("SELECT value FROM meta WHERE key = 'fanout_mark'") is None
    finally:
        await s.close()


async def test_a_transaction_waits_for_an_open_write_and_rolls_back_on_error(sqlite_store: Store) -> None:
    store = sqlite_store
    world = await store.topics.upsert(TopicSpec("world", "عربي ودولي"))
    await store.readers.get_or_create(7, "قارئ")
    toggled: asyncio.Task[bool | None] | None = None
    async with store.db.write() as conn:
        await conn.execute("UPDATE readers SET username = 'inside' WHERE id = 7")
        # a one-call transaction started while write() is between statements waits for its COMMIT
        toggled = asyncio.create_task(store.subscriptions.toggle(7, world.id))
        await asyncio.sleep(0)
        await conn.execute("UPDATE readers SET first_name = 'still inside' WHERE id = 7")
    assert await toggled is True
    reader = await store.readers.get(7)
    assert reader is not None and (reader.first_name, reader.username) == ("still inside", "inside")

    def fail(conn: sqlite3.Connection) -> None:
        conn.execute("DELETE FROM subscriptions")
        raise ValueError("changed my mind")

    with pytest.raises(ValueError, match="changed my mind"):
        await store.db.transaction(fail)
    assert await store.subscriptions.topic_ids(7) == {world.id}

    def refused(conn: sqlite3.Connection) -> None:
        conn.execute("DELETE FROM subscriptions")
        conn.execute("INSERT INTO subscriptions (reader_id, topic_id, created_at) VALUES (7, 999, 0)")

    with pytest.raises(StoreRejected):
        await store.db.transaction(refused)
    assert await store.subscriptions.topic_ids(7) == {world.id}


async def test_a_writer_cancelled_while_beginning_leaves_no_transaction_open(sqlite_store: Store) -> None:
    store = sqlite_store

    async def writer() -> None:
        async with store.db.write() as conn:
            await conn.execute("INSERT INTO meta (key, value) VALUES ('cancelled', 'x')")

    for _ in range(20):
        task = asyncio.create_task(writer())
        await asyncio.sleep(0)  # the task has queued BEGIN IMMEDIATE and waits for it
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        # the next writer starts its own transaction: nothing was left open
        await store.readers.get_or_create(1, "قارئ")
        async with store.db.write() as conn:
            await conn.execute("DELETE FROM meta WHERE key = 'cancelled'")


# -- sqlite3's exceptions leave as the store's errors ------------------------------------------------


async def test_a_statement_that_fails_inside_write_rolls_back_and_is_a_store_error(sqlite_store: Store) -> None:
    store = sqlite_store
    with pytest.raises(StoreRejected, match=r"news\.db: UNIQUE constraint failed"):
        async with store.db.write() as conn:
            await conn.execute("INSERT INTO meta (key, value) VALUES ('kept', 'no')")
            await conn.execute("INSERT INTO meta (key, value) VALUES ('kept', 'twice')")
    assert await store.db.fetch_one("SELECT 1 FROM meta WHERE key = 'kept'") is None
    with pytest.raises(StoreError):
        await store.db.fetch_all("SELECT * FROM no_such_table")


async def test_a_writer_held_past_the_busy_timeout_is_store_busy(tmp_path: Path) -> None:
    holder, waiter = await Store.open(tmp_path / "news.db"), await Store.open(tmp_path / "news.db")
    try:
        await waiter.db.conn.execute("PRAGMA busy_timeout = 20")
        async with holder.db.write():
            with pytest.raises(StoreBusy):
                await waiter.readers.get_or_create(1, "قارئ")
            with pytest.raises(StoreBusy):
                await waiter.subscriptions.subscribe(1, 1)
        assert (await waiter.readers.get_or_create(1, "قارئ"))[1] is True  # free again
    finally:
        await waiter.close()
        await holder.close()


async def test_a_file_damaged_while_open_is_store_corrupt(tmp_path: Path) -> None:
    path = tmp_path / "news.db"
    reader, writer = await Store.open(path), await Store.open(path)
    try:
        await writer.articles.upsert_many([(item(f"g{n}", "عنوان " * 50), []) for n in range(300)])
        await writer.db.fetch_one("PRAGMA wal_checkpoint(TRUNCATE)")
        size = path.stat().st_size
        with path.open("r+b") as f:
            f.seek(8192)
            f.write((bytes(range(256)) * (size // 256 + 1))[: size - 8192])
        with pytest.raises(StoreCorrupt, match="malformed"):
            await reader.articles.latest(50)
    finally:
        await writer.close()
        await reader.close()


def test_result_codes_map_to_the_store_errors() -> None:
    def err(kind: type[sqlite3.Error], code: int) -> sqlite3.Error:
        exc = kind("message")
        exc.sqlite_errorcode = code  # type: ignore[attr-defined]
        return exc

    assert type(translate(err(sqlite3.OperationalError, 5))) is StoreBusy  # SQLITE_BUSY
    assert type(translate(err(sqlite3.OperationalError, 517))) is StoreBusy  # SQLITE_BUSY_SNAPSHOT
    assert type(translate(err(sqlite3.DatabaseError, 26))) is StoreCorrupt  # SQLITE_NOTADB
    assert type(translate(err(sqlite3.DatabaseError, 11))) is StoreCorrupt  # SQLITE_CORRUPT
    assert type(translate(err(sqlite3.OperationalError, 13))) is StoreUnavailable  # SQLITE_FULL
    assert type(translate(err(sqlite3.OperationalError, 8))) is StoreUnavailable  # SQLITE_READONLY
    assert type(translate(err(sqlite3.OperationalError, 14))) is StoreUnavailable  # SQLITE_CANTOPEN
    assert type(translate(err(sqlite3.OperationalError, 266))) is StoreUnavailable  # SQLITE_IOERR_READ
    assert type(translate(err(sqlite3.IntegrityError, 275))) is StoreRejected  # SQLITE_CONSTRAINT_CHECK
    assert type(translate(err(sqlite3.OperationalError, 1))) is StoreError  # SQLITE_ERROR
    assert type(translate(sqlite3.IntegrityError("no code"))) is StoreRejected
    assert str(translate(err(sqlite3.OperationalError, 13), "data/newsbot.db")) == "data/newsbot.db: message"


async def test_a_bug_in_how_the_store_uses_sqlite3_is_not_disguised_as_a_store_error(sqlite_store: Store) -> None:
    with pytest.raises(sqlite3.ProgrammingError):
        await sqlite_store.db.fetch_all("SELECT ?", ())  # a binding missing: this package's own bug


# -- the seam: drivers stay inside bot/store, engine-neutral modules stay engine-neutral -------------

ENGINE_NEUTRAL = ["protocols", "errors", "cache", "search_terms", "hashing", "rows"]
DRIVERS = {"sqlite3", "aiosqlite"}


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def test_no_module_above_the_store_imports_a_database_driver() -> None:
    offenders = [
        str(path.relative_to(REPO))
        for top in ("bot", "handlers")
        for path in (REPO / top).rglob("*.py")
        if (REPO / "bot" / "store") not in path.parents and {i.split(".")[0] for i in _imports(path)} & DRIVERS
    ]
    assert offenders == []


def test_the_engine_neutral_store_modules_import_no_driver_and_no_sqlite_module() -> None:
    for name in ENGINE_NEUTRAL:
        imports = _imports(REPO / "bot" / "store" / f"{name}.py")
        assert not {i.split(".")[0] for i in imports} & DRIVERS, name
        sqlite_side = {
            "bot.store.sqlite.db",
            "bot.store.sqlite.errors",
            "bot.store.sqlite.aiosqlite_adapter",
            "bot.store.sqlite.articles",
        }
        assert not imports & sqlite_side, name
