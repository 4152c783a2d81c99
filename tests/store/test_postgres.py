"""What only the PostgreSQL store has: opening a server (its failures one clear line, never the
password), its migrations, and the orderings several writers need (the contract suite in this
folder runs everything else on both engines)."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from bot.models import ParsedItem, TopicSpec
from bot.store import StoreError, StoreUnavailable, open_store
from bot.store.location import safe_url
from bot.store.postgres import PostgresStore, open_postgres_store
from bot.store.postgres.db import migrations
from tests.postgres import PostgresDatabase


def item(guid: str) -> ParsedItem:
    return ParsedItem(guid=guid, headline="عنوان", lead="مقدمة")


def test_the_url_shown_never_carries_the_password() -> None:
    assert safe_url("postgresql://bot:hunter2@db.example:5432/news") == "postgresql://bot:<secret>@db.example:5432/news"
    assert safe_url("postgresql://bot@db.example/news") == "postgresql://bot@db.example/news"


async def test_an_unreachable_server_is_one_line_naming_the_url_without_its_password() -> None:
    with pytest.raises(StoreUnavailable) as refused:
        await open_store("postgresql://bot:hunter2@127.0.0.1:1/news")
    message = str(refused.value)
    assert "hunter2" not in message and "\n" not in message
    assert message.startswith("postgresql://bot:<secret>@127.0.0.1:1/news: cannot reach the PostgreSQL server")


async def test_a_refused_login_and_a_missing_database_say_what_to_fix(postgres: PostgresDatabase) -> None:
    host = postgres.url.split("@", 1)[1].split("/", 1)[0]
    with pytest.raises(StoreUnavailable, match=r"the server refused the login .*check the user and password"):
        await open_store(f"postgresql://no_such_role_newsbot:pw@{host}/postgres")
    with pytest.raises(StoreUnavailable, match=r"create it \(createdb\) or fix the database name in NEWSBOT_DB"):
        await open_store(f"postgresql://postgres@{host}/no_such_database_newsbot")


async def test_a_schema_newer_than_the_program_is_refused(postgres: PostgresDatabase) -> None:
    url = await postgres.fresh_schema()
    store = await open_postgres_store(url, pool_size=2)
    assert store.is_new
    await store.close()
    conn = await asyncpg.connect(url)
    try:
        await conn.execute("INSERT INTO newsbot_schema (version, name, applied_at) VALUES (99, '0099_future.sql', 0)")
    finally:
        await conn.close()
    latest = max(version for version, _, _ in migrations())
    with pytest.raises(StoreError, match=rf"schema version 99 is newer than this program knows \({latest}\)"):
        await open_postgres_store(url, pool_size=2)


async def test_instances_starting_together_migrate_once(postgres: PostgresDatabase) -> None:
    url = await postgres.fresh_schema()
    stores = await asyncio.gather(*(PostgresStore.open(url, pool_size=2) for _ in range(4)))
    try:
        assert sorted(s.is_new for s in stores) == [False, False, False, True]
    finally:
        for s in stores:
            await s.close()


async def _waiting_on_a_lock(url: str, count: int) -> None:
    """Until `count` other sessions wait on a lock (what the server says, not a timer)."""
    conn = await asyncpg.connect(url)
    try:
        async with asyncio.timeout(30):
            while True:
                waiting = await conn.fetchval(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock'"
                )
                if waiting >= count:
                    return
                await asyncio.sleep(0.02)
    finally:
        await conn.close()


async def test_a_subscription_made_while_a_batch_is_written_waits_and_follows_it(postgres: PostgresDatabase) -> None:
    """The batch committed first, so its item is not pushed to the subscription made meanwhile, though
    the subscription's transaction began before the batch's commit (ids could not tell)."""
    url = await postgres.fresh_schema()
    store = await PostgresStore.open(url, pool_size=4)
    holder = await asyncpg.connect(url)
    try:
        topic = await store.topics.upsert(TopicSpec("a", "أ"))
        await store.deliveries.fan_out()  # the first round
        await store.readers.get_or_create(1, "قارئ")
        # Hold the topic's row: the batch stops there (its links count the topic), mid-transaction.
        tx = holder.transaction()
        await tx.start()
        await holder.execute("SELECT 1 FROM topics WHERE id = $1 FOR UPDATE", topic.id)
        batch = asyncio.create_task(store.articles.upsert_many([(item("during"), [topic.id])]))
        await _waiting_on_a_lock(url, 1)
        subscribing = asyncio.create_task(store.subscriptions.subscribe(1, topic.id))
        await _waiting_on_a_lock(url, 2)  # the subscription waits for the open batch
        assert not subscribing.done()
        await tx.rollback()
        await batch
        assert await subscribing is True
        assert await store.deliveries.fan_out() == 0
        await store.articles.upsert_many([(item("after"), [topic.id])])
        assert await store.deliveries.fan_out() == 1
    finally:
        await holder.close()
        await store.close()


async def test_deleting_a_reader_or_an_article_by_hand_removes_their_deliveries(postgres: PostgresDatabase) -> None:
    """deliveries has no foreign keys (a fan-out's speed); statement triggers cascade instead."""
    url = await postgres.fresh_schema()
    store = await PostgresStore.open(url, pool_size=2)
    try:
        topic = await store.topics.upsert(TopicSpec("a", "أ"))
        await store.deliveries.fan_out()
        for reader in (1, 2):
            await store.readers.get_or_create(reader, "قارئ")
            await store.subscriptions.subscribe(reader, topic.id)
        [x, y] = await store.articles.upsert_many([(item("x"), [topic.id]), (item("y"), [topic.id])])
        assert await store.deliveries.fan_out() == 4
        await store.db.execute("DELETE FROM readers WHERE id = 1")
        await store.db.execute("DELETE FROM articles WHERE id = $1", x.article_id)
        assert await store.deliveries.for_reader(1) == []
        assert [a for a, _, _, _ in await store.deliveries.for_reader(2)] == [y.article_id]
    finally:
        await store.close()
