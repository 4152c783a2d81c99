"""Contract tests for the repositories on a temporary SQLite file."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.models import ParsedItem, ReaderStatus, TopicKind, TopicSpec
from bot.store import Store, StoreError
from bot.store.db import migrations


@pytest.fixture
async def store(tmp_path: Path):
    s = await Store.open(tmp_path / "news.db")
    yield s
    await s.close()


def item(guid: str, headline: str = "عنوان", **kw) -> ParsedItem:
    return ParsedItem(guid=guid, headline=headline, url=f"https://example.com/{guid}", **kw)


async def test_new_file_is_migrated_in_wal_with_foreign_keys(tmp_path: Path) -> None:
    s = await Store.open(tmp_path / "sub" / "news.db")
    try:
        assert s.is_new
        assert await s.db.schema_version() == migrations()[-1][0]
        async with s.db.conn.execute("PRAGMA journal_mode") as cur:
            assert (await cur.fetchone())[0] == "wal"
        async with s.db.conn.execute("PRAGMA foreign_keys") as cur:
            assert (await cur.fetchone())[0] == 1
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
    with pytest.raises(StoreError, match="not a usable"):
        await Store.open(path)


async def test_topics_upsert_by_slug(store: Store) -> None:
    t = await store.topics.upsert(TopicSpec("afcon-2025", "كأس أمم إفريقيا 2025", TopicKind.STORY, ("أمم إفريقيا",)))
    again = await store.topics.upsert(TopicSpec("afcon-2025", "كأس أمم أفريقيا", TopicKind.STORY))
    assert again.id == t.id and again.name == "كأس أمم أفريقيا"
    assert [x.slug for x in await store.topics.all()] == ["afcon-2025"]


async def test_same_guid_updates_and_unchanged_is_skipped(store: Store) -> None:
    t = await store.topics.upsert(TopicSpec("world", "عربي ودولي"))
    [first] = await store.articles.upsert_many([(item("g1", "غزة اليوم"), [t.id])])
    assert first.status == "added"
    [same] = await store.articles.upsert_many([(item("g1", "غزة اليوم"), [t.id])])
    assert same.status == "unchanged" and same.article_id == first.article_id
    [changed] = await store.articles.upsert_many([(item("g1", "إسرائيل اليوم"), [t.id])])
    assert changed.status == "updated" and changed.article_id == first.article_id
    assert await store.articles.count() == 1
    # the index follows the update: the old words are gone, the new ones found
    assert await store.articles.search("غزة") == []
    assert [a.id for a in await store.articles.search("اسرائيل")] == [first.article_id]


async def test_search_folds_spelling_variants_and_ranks_headlines_first(store: Store) -> None:
    await store.articles.upsert_many(
        [
            (item("a", "أخبار اليوم", lead="قصف على غزة"), []),
            (item("b", "غزة تحت القصف", lead="تفاصيل"), []),
            (item("c", "لا علاقة", lead="رياضة"), []),
        ]
    )
    hits = await store.articles.search("غزه")
    assert [h.headline for h in hits] == ["غزة تحت القصف", "أخبار اليوم"]
    assert await store.articles.search_count("غزه") == 2
    assert await store.articles.search('"; DROP TABLE articles; --') == []
    assert await store.articles.search("") == []
    assert await store.articles.search("NEAR(a b) OR * ^") == []


async def test_latest_is_newest_first_with_topic_name(store: Store) -> None:
    story = await store.topics.upsert(TopicSpec("gaza", "خطة ترامب لإنهاء الحرب في غزة", TopicKind.STORY))
    section = await store.topics.upsert(TopicSpec("world", "عربي ودولي"))
    old = datetime(2026, 3, 1, tzinfo=UTC)
    new = datetime(2026, 3, 2, tzinfo=UTC)
    await store.articles.upsert_many(
        [(item("old", published_at=old), [section.id]), (item("new", published_at=new), [section.id, story.id])]
    )
    latest = await store.articles.latest(10)
    assert [a.published_at for a in latest] == [new, old]
    assert latest[0].topic_name == story.name  # a story is named before a section
    assert [a.published_at for a in await store.articles.latest(10, topic_id=story.id)] == [new]
    assert await store.articles.count(topic_id=section.id) == 2
    full = await store.articles.get(latest[0].id)
    assert full is not None and {t.slug for t in full.topics} == {"gaza", "world"}


async def test_a_batch_is_all_or_nothing(store: Store) -> None:
    with pytest.raises(sqlite3.IntegrityError):
        await store.articles.upsert_many([(item("ok"), []), (item("bad", headline=""), [])])
    assert await store.articles.count() == 0
    assert await store.articles.search("عنوان") == []


async def test_fan_out_once_per_reader_and_not_before_subscription(store: Store) -> None:
    a = await store.topics.upsert(TopicSpec("a", "أ"))
    b = await store.topics.upsert(TopicSpec("b", "ب"))
    await store.articles.upsert_many([(item("history"), [a.id])])
    assert await store.deliveries.fan_out() == 0  # the first round only sets the mark
    for reader in (1, 2, 3):
        await store.readers.get_or_create(reader, "قارئ")
    await store.subscriptions.subscribe(1, a.id)
    await store.subscriptions.subscribe(1, b.id)
    await store.subscriptions.subscribe(2, b.id)
    await store.subscriptions.subscribe(3, a.id)
    await store.readers.set_status(3, ReaderStatus.BLOCKED)
    await store.articles.upsert_many([(item("both"), [a.id, b.id])])
    assert await store.deliveries.fan_out() == 2  # reader 1 once, reader 2 once, blocked reader 3 none
    assert await store.deliveries.fan_out() == 0
    claimed = await store.deliveries.claim(10)
    assert sorted(d.reader_id for d in claimed) == [1, 2]
    await store.deliveries.mark_sent([(d.id, 100 + d.id) for d in claimed])
    assert (await store.deliveries.count_by_state())["sent"] == 2


async def test_two_connections_write_at_once_without_lock_errors(tmp_path: Path) -> None:
    path = tmp_path / "news.db"
    one, two = await Store.open(path), await Store.open(path)
    try:

        async def writer(s: Store, prefix: str) -> None:
            for n in range(30):
                await s.articles.upsert_many([(item(f"{prefix}{n}"), [])])

        await asyncio.gather(writer(one, "x"), writer(two, "y"))
        assert await one.articles.count() == 60
    finally:
        await one.close()
        await two.close()


async def test_stats_counts(store: Store) -> None:
    await store.readers.get_or_create(7, "سارة")
    stats = await store.stats()
    assert stats.readers == 1 and stats.readers_by_status["active"] == 1
    assert stats.deliveries_by_state == {"queued": 0, "sending": 0, "sent": 0, "failed": 0, "cancelled": 0}


async def test_topic_counts_follow_the_links_in_the_same_transaction(store: Store) -> None:
    gaza = await store.topics.upsert(TopicSpec("gaza", "غزة", TopicKind.STORY))
    world = await store.topics.upsert(TopicSpec("world", "عربي ودولي"))
    await store.articles.upsert_many([(item("a"), [gaza.id, world.id]), (item("b"), [world.id])])
    counts = {t.slug: t.article_count for t in await store.topics.all()}
    assert counts == {"gaza": 1, "world": 2}
    # an update that moves an article from one topic to the other moves its count
    await store.articles.upsert_many([(item("a", "عنوان آخر"), [world.id])])
    assert [(t.slug, t.article_count) for t in await store.topics.all()] == [("gaza", 0), ("world", 2)]
    # a batch that fails leaves the counts as they were
    with pytest.raises(sqlite3.IntegrityError):
        await store.articles.upsert_many([(item("c"), [gaza.id]), (item("bad", headline=""), [])])
    found = await store.topics.by_id(gaza.id)
    assert found is not None and found.article_count == 0
    # a deleted article takes its links, and its counts, with it
    async with store.db.write() as conn:
        await conn.execute("DELETE FROM articles WHERE guid = 'b'")
    world_now = await store.topics.by_slug("world")
    assert world_now is not None and world_now.article_count == 1


async def test_topic_counts_are_filled_in_when_an_older_store_is_migrated(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    con = sqlite3.connect(path)
    for version, _, sql in migrations():
        if version < 3:
            con.executescript(sql)
    con.execute("PRAGMA user_version = 2")
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


async def test_toggle_subscribes_then_unsubscribes(store: Store) -> None:
    world = await store.topics.upsert(TopicSpec("world", "عربي ودولي"))
    await store.readers.get_or_create(7, "قارئ")
    assert await store.subscriptions.toggle(7, world.id) is True
    assert await store.subscriptions.topic_ids(7) == {world.id}
    assert await store.subscriptions.toggle(7, world.id) is False
    assert await store.subscriptions.topic_ids(7) == set()


async def test_a_transaction_waits_for_an_open_write_and_rolls_back_on_error(store: Store) -> None:
    world = await store.topics.upsert(TopicSpec("world", "عربي ودولي"))
    await store.readers.get_or_create(7, "قارئ")
    toggled: asyncio.Task[bool] | None = None
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


async def test_many_toggles_at_once_alternate(store: Store) -> None:
    world = await store.topics.upsert(TopicSpec("world", "عربي ودولي"))
    await store.readers.get_or_create(7, "قارئ")
    results = await asyncio.gather(*(store.subscriptions.toggle(7, world.id) for _ in range(9)))
    assert sorted(results) == [False] * 4 + [True] * 5
    assert await store.subscriptions.topic_ids(7) == {world.id}


async def test_toggle_on_an_unknown_topic_changes_nothing(store: Store) -> None:
    await store.readers.get_or_create(7, "قارئ")
    assert await store.subscriptions.toggle(7, 999) is None
    assert await store.subscriptions.topic_ids(7) == set()


async def test_every_topic_in_order_with_the_readers_state(store: Store) -> None:
    world = await store.topics.upsert(TopicSpec("world", "عربي ودولي"))
    gaza = await store.topics.upsert(TopicSpec("gaza", "غزة", TopicKind.STORY))
    await store.readers.get_or_create(7, "قارئ")
    await store.readers.get_or_create(8, "قارئ")
    await store.subscriptions.subscribe(7, world.id)
    await store.subscriptions.subscribe(8, gaza.id)
    listed = await store.subscriptions.every_topic(7)
    assert [(t.slug, mine) for t, mine in listed] == [("gaza", False), ("world", True)]
    assert [t for t, _ in listed] == await store.topics.all()


async def test_an_item_stored_in_the_same_second_before_a_subscription_is_not_pushed(store: Store) -> None:
    topic = await store.topics.upsert(TopicSpec("a", "أ"))
    await store.deliveries.fan_out()  # sets the mark
    await store.readers.get_or_create(1, "قارئ")
    await store.articles.upsert_many([(item("before"), [topic.id])])
    await store.subscriptions.subscribe(1, topic.id)  # same second, but after the item
    await store.articles.upsert_many([(item("after"), [topic.id])])
    assert await store.deliveries.fan_out() == 1
    [delivery] = await store.deliveries.claim(10)
    after = await store.articles.by_guid("after")
    assert after is not None and delivery.article_id == after.id
    # unsubscribing and subscribing again follows only what is stored from then on
    assert await store.subscriptions.toggle(1, topic.id) is False
    await store.articles.upsert_many([(item("while-away"), [topic.id])])
    assert await store.subscriptions.toggle(1, topic.id) is True
    assert await store.deliveries.fan_out() == 0


async def test_a_writer_cancelled_while_beginning_leaves_no_transaction_open(store: Store) -> None:
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


async def test_remembered_searches_and_pages_follow_every_change_from_any_connection(tmp_path: Path) -> None:
    """Pages and searches are reused across readers, yet a change made by another process (here a
    second connection, as `newsbot ingest` or a worker has) shows at the next ask."""
    mine = await Store.open(tmp_path / "news.db")
    other = await Store.open(tmp_path / "news.db")
    try:
        section = await mine.topics.upsert(TopicSpec("world", "عربي ودولي"))
        await mine.articles.upsert_many([(item("a", "غزة اليوم", published_at=datetime(2026, 3, 1, tzinfo=UTC)), [])])
        assert [h.headline for h in await mine.articles.search("غزه")] == ["غزة اليوم"]
        assert await mine.articles.count() == 1

        # another connection adds an article: the same question now has two answers
        later = datetime(2026, 3, 2, tzinfo=UTC)
        await other.articles.upsert_many([(item("b", "غزة غدًا", published_at=later), [section.id])])
        assert {h.headline for h in await mine.articles.search("غزه")} == {"غزة اليوم", "غزة غدًا"}
        assert await mine.articles.search_count("غزه") == 2
        assert [a.headline for a in await mine.articles.latest(10)] == ["غزة غدًا", "غزة اليوم"]
        assert await mine.articles.count() == 2

        # an update to a headline, and a topic renamed, show too
        await other.articles.upsert_many([(item("a", "غزة الآن", published_at=datetime(2026, 3, 1, tzinfo=UTC)), [])])
        assert [a.headline for a in await mine.articles.latest(10)] == ["غزة غدًا", "غزة الآن"]
        await other.topics.upsert(TopicSpec("world", "العالم"))
        assert (await mine.articles.latest(1))[0].topic_name == "العالم"

        # an unchanged store answers from memory: the same rows, and a caller's list is its own
        first = await mine.articles.latest(10)
        first.clear()
        assert len(await mine.articles.latest(10)) == 2
    finally:
        await other.close()
        await mine.close()
