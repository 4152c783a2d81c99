"""An article's identity is its origin with its GUID: another source cannot change it (migration 0006)."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.ingest.service import ingest_sources
from bot.models import ParsedItem, TopicSpec
from bot.store import Store
from bot.store.sqlite.db import Database
from bot.text.arabic import fold

SEEDS = Path(__file__).resolve().parents[2] / "seeds"


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    s = await Store.open(tmp_path / "news.db")
    yield s
    await s.close()


def item(guid: str, headline: str, origin: str | None, url: str | None = None) -> ParsedItem:
    return ParsedItem(guid=guid, headline=headline, url=url, origin=origin)


async def test_the_same_guid_from_another_source_is_another_item(store: Store) -> None:
    [mine] = await store.articles.upsert_many([(item("g", "خبر الموقع", "https://site.test/rss"), [])])
    [theirs] = await store.articles.upsert_many([(item("g", "خبر منتحل", "https://other.test/feed"), [])])
    assert mine.status == theirs.status == "added" and mine.article_id != theirs.article_id
    kept = await store.articles.by_guid("g", "https://site.test/rss")
    other = await store.articles.by_guid("g", "https://other.test/feed")
    assert kept is not None and kept.headline == "خبر الموقع" and kept.id == mine.article_id
    assert other is not None and other.headline == "خبر منتحل"


async def test_the_same_source_again_updates_its_own_item(store: Store) -> None:
    [first] = await store.articles.upsert_many([(item("g", "العنوان الأول", "https://site.test/rss"), [])])
    await store.articles.upsert_many([(item("g", "عنوان آخر", "https://other.test/feed"), [])])
    [again] = await store.articles.upsert_many([(item("g", "العنوان المعدل", "https://site.test/rss"), [])])
    assert again.status == "updated" and again.article_id == first.article_id
    stored = await store.articles.get(first.article_id)
    assert stored is not None and stored.headline == "العنوان المعدل"
    assert await store.articles.count() == 2


async def test_a_repeat_inside_one_batch_keeps_the_first(store: Store) -> None:
    outcomes = await store.articles.upsert_many(
        [(item("g", "الأول", "https://a.test/rss"), []), (item("g", "الثاني", "https://a.test/rss"), [])]
    )
    assert [o.status for o in outcomes] == ["added", "duplicate"]
    assert outcomes[0].article_id == outcomes[1].article_id
    stored = await store.articles.by_guid("g")
    assert stored is not None and stored.headline == "الأول"


async def test_a_repeated_guid_in_a_feed_is_reported_by_item(store: Store, tmp_path: Path) -> None:
    feed = tmp_path / "twice.xml"
    feed.write_text(
        """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>اختبار</title>
<item><title>النسخة الأولى</title><link>https://e.test/1</link><guid>same</guid></item>
<item><title>خبر آخر</title><link>https://e.test/2</link><guid>other</guid></item>
<item><title>النسخة الثانية</title><link>https://e.test/1</link><guid>same</guid></item>
</channel></rss>""",
        encoding="utf-8",
    )
    report = await ingest_sources(store, [str(feed)])
    assert report.added == 2
    [problem] = report.rejected
    assert problem.source == str(feed) and problem.item == "same"
    assert "item 3" in problem.reason and "item 1" in problem.reason and "first is kept" in problem.reason
    stored = await store.articles.by_guid("same")
    assert stored is not None and stored.headline == "النسخة الأولى"


async def test_local_files_are_identified_by_the_items_site(store: Store, tmp_path: Path) -> None:
    """A seed file read again from another folder updates its items instead of adding copies."""
    body = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>اختبار</title>
<item><title>{title}</title><link>https://e.test/1</link></item></channel></rss>"""
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "f.xml").write_text(body.format(title="قبل"), encoding="utf-8")
    (tmp_path / "b" / "f.xml").write_text(body.format(title="بعد"), encoding="utf-8")
    await ingest_sources(store, [str(tmp_path / "a" / "f.xml")])
    report = await ingest_sources(store, [str(tmp_path / "b" / "f.xml")])
    assert report.updated == 1 and await store.articles.count() == 1
    stored = await store.articles.by_guid("https://e.test/1", "e.test")
    assert stored is not None and stored.headline == "بعد"


# --- the migration, on a store as the release before it left it -------------------------------


async def _store_at_schema_5(path: Path) -> None:
    db = await Database.open(path, schema=5)
    assert await db.schema_version() == 5
    await db.close()
    con = sqlite3.connect(path)
    con.executescript(
        """
        INSERT INTO topics (id, slug, name, kind, created_at) VALUES (1, 'world', 'عربي ودولي', 'section', 0);
        INSERT INTO articles (id, guid, url, headline, stored_at, updated_at, content_hash)
            VALUES (1, 'https://site.test/1', 'https://site.test/1', 'خبر أول', 0, 0, 'h1'),
                   (2, 'seedpage:abc', NULL, 'خبر من صفحة', 0, 0, 'h2'),
                   (3, 'https://site.test/3', 'https://site.test/3', 'خبر ثالث', 0, 0, 'h3'),
                   (4, 'gone', NULL, 'خبر حذف', 0, 0, 'h4');
        DELETE FROM articles WHERE id = 4;
        INSERT INTO article_topics (article_id, topic_id) VALUES (1, 1), (3, 1);
        INSERT INTO readers (id, created_at, updated_at) VALUES (10, 0, 0), (11, 0, 0);
        INSERT INTO subscriptions (reader_id, topic_id, created_at, after_article) VALUES (10, 1, 0, 2);
        INSERT INTO deliveries (id, reader_id, article_id, state, created_at)
            VALUES (1, 10, 1, 'sent', 0), (2, 10, 3, 'queued', 0), (3, 11, 2, 'failed', 0);
        INSERT INTO meta (key, value) VALUES ('fanout_mark', '3');
        """
    )
    # the search index, as that release's upsert_many wrote it
    for article_id, headline in con.execute("SELECT id, headline FROM articles").fetchall():
        con.execute(
            "INSERT INTO articles_fts (rowid, headline, lead, body) VALUES (?, ?, '', '')", (article_id, fold(headline))
        )
    con.commit()
    con.close()


def _rows(path: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(path) as con:
        return con.execute(sql).fetchall()


async def test_migration_keeps_every_item_delivery_and_mark(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    await _store_at_schema_5(path)
    before_articles = _rows(path, "SELECT id, guid, url, headline, content_hash FROM articles ORDER BY id")
    before_deliveries = _rows(path, "SELECT * FROM deliveries ORDER BY id")
    before_links = _rows(path, "SELECT * FROM article_topics ORDER BY article_id")
    before_subs = _rows(path, "SELECT * FROM subscriptions")

    store = await Store.open(path)
    try:
        assert await store.db.schema_version() >= 6
        world = await store.topics.by_slug("world")
        assert world is not None and world.article_count == 2
        # no id is reused: the next article comes after the deleted 4
        [new] = await store.articles.upsert_many([(item("n", "خبر جديد", "https://new.test/rss"), [])])
        assert new.article_id == 5
    finally:
        await store.close()
    assert _rows(path, "SELECT id, guid, url, headline, content_hash FROM articles WHERE id < 5 ORDER BY id") == (
        before_articles
    )
    assert _rows(path, "SELECT DISTINCT origin FROM articles WHERE id < 5") == [("",)]
    after_deliveries = _rows(path, "SELECT * FROM deliveries ORDER BY id")
    # later migrations add columns (0012: opened_at): the columns there before keep their values
    assert [row[: len(old)] for row, old in zip(after_deliveries, before_deliveries, strict=True)] == before_deliveries
    assert _rows(path, "SELECT * FROM article_topics ORDER BY article_id") == before_links
    assert _rows(path, "SELECT * FROM subscriptions") == before_subs
    # the fan-out mark became the outbox (migration 0007): nothing above it was waiting, the new item is
    assert _rows(path, "SELECT key, value FROM meta WHERE key LIKE 'fanout%'") == [("fanout_started", "1")]
    assert _rows(path, "SELECT article_id FROM outbox") == [(5,)]
    assert _rows(path, "PRAGMA foreign_key_check") == []
    assert _rows(path, "PRAGMA integrity_check") == [("ok",)]


async def test_a_migrated_item_is_taken_over_by_its_own_site_not_by_another(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    await _store_at_schema_5(path)
    store = await Store.open(path)
    try:
        await store.topics.upsert(TopicSpec("world", "عربي ودولي"))
        # another site reusing the GUID, with other content: an item of its own
        [foreign] = await store.articles.upsert_many(
            [(item("https://site.test/1", "منتحل", "https://evil.test/rss", "https://site.test/1"), [])]
        )
        assert foreign.status == "added" and foreign.article_id != 1
        # the site's own feed takes the stored row over: same id, no second copy to push
        [own] = await store.articles.upsert_many(
            [(item("https://site.test/1", "خبر أول معدل", "https://site.test/rss", "https://site.test/1"), [])]
        )
        assert own.article_id == 1 and own.status == "updated"
        # a seed page read again (no URL, an operator's file) takes its row over too
        [page] = await store.articles.upsert_many([(item("seedpage:abc", "خبر من صفحة", None), [])])
        assert page.article_id == 2
        original = await store.articles.get(1)
        assert (
            original is not None and original.headline == "خبر أول معدل" and original.origin == "https://site.test/rss"
        )
        assert await store.articles.count() == 4
        assert [a.id for a in await store.articles.search("معدل")] == [1]
    finally:
        await store.close()
    assert _rows(path, "SELECT reader_id, article_id FROM deliveries ORDER BY id") == [(10, 1), (10, 3), (11, 2)]


async def test_a_one_item_feed_reusing_a_seed_guid_leaves_the_seed_article_intact(store: Store, tmp_path: Path) -> None:
    from bot.ingest.service import seed_if_new

    await seed_if_new(store, SEEDS)
    row = await store.db.fetch_one("SELECT id FROM articles WHERE url LIKE 'https://arabic.rt.com/%' LIMIT 1")
    assert row is not None
    original = await store.articles.get(row[0])
    assert original is not None and original.url
    feed = tmp_path / "one.xml"
    feed.write_text(
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Other</title>'
        f"<item><title>عنوان مزور</title><link>https://other.test/x</link><guid>{original.guid}</guid></item>"
        "</channel></rss>",
        encoding="utf-8",
    )
    report = await ingest_sources(store, [str(feed)])
    assert report.added == 1 and report.updated == 0
    again = await store.articles.get(original.id)
    assert again is not None and (again.headline, again.lead, again.outlet) == (
        original.headline,
        original.lead,
        original.outlet,
    )
