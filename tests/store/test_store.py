"""The store's contract, through the engine-neutral NewsStore protocol: each test runs once per
engine in tests/store/conftest.py (today SQLite in a temporary file)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from bot.models import ArticleKind, ParsedItem, ReaderStatus, TopicKind, TopicSpec
from bot.store import StoreError, StoreRejected
from bot.store.protocols import NewsStore
from tests.store.conftest import StoreOpener


def item(guid: str, headline: str = "عنوان", **kw) -> ParsedItem:
    return ParsedItem(guid=guid, headline=headline, url=f"https://example.com/{guid}", **kw)


async def test_a_store_is_new_only_when_this_open_created_it(open_store: StoreOpener) -> None:
    first = await open_store()
    try:
        assert first.is_new
    finally:
        await first.close()
    again = await open_store()
    try:
        assert not again.is_new
    finally:
        await again.close()


async def test_topics_upsert_by_slug(store: NewsStore) -> None:
    t = await store.topics.upsert(TopicSpec("afcon-2025", "كأس أمم إفريقيا 2025", TopicKind.STORY, ("أمم إفريقيا",)))
    again = await store.topics.upsert(TopicSpec("afcon-2025", "كأس أمم أفريقيا", TopicKind.STORY))
    assert again.id == t.id and again.name == "كأس أمم أفريقيا"
    assert [x.slug for x in await store.topics.all()] == ["afcon-2025"]


async def test_same_guid_updates_and_unchanged_is_skipped(store: NewsStore) -> None:
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


async def test_search_folds_spelling_variants_and_ranks_headlines_first(store: NewsStore) -> None:
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


async def test_latest_is_newest_first_with_topic_name(store: NewsStore) -> None:
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


async def test_a_batch_is_all_or_nothing(store: NewsStore) -> None:
    with pytest.raises(StoreRejected):
        await store.articles.upsert_many([(item("ok"), []), (item("bad", headline=""), [])])
    assert await store.articles.count() == 0
    assert await store.articles.search("عنوان") == []
    # nothing of the refused batch waits to be pushed either
    await store.deliveries.fan_out()
    await store.articles.upsert_many([(item("next"), [])])
    assert await store.deliveries.fan_out() == 0


async def test_fan_out_once_per_reader_and_not_before_subscription(store: NewsStore) -> None:
    a = await store.topics.upsert(TopicSpec("a", "أ"))
    b = await store.topics.upsert(TopicSpec("b", "ب"))
    await store.articles.upsert_many([(item("history"), [a.id])])
    assert await store.deliveries.fan_out() == 0  # the first round only empties the outbox
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


async def test_two_connections_write_at_once_without_lock_errors(open_store: StoreOpener) -> None:
    one, two = await open_store(), await open_store()
    try:

        async def writer(s: NewsStore, prefix: str) -> None:
            for n in range(30):
                await s.articles.upsert_many([(item(f"{prefix}{n}"), [])])

        await asyncio.gather(writer(one, "x"), writer(two, "y"))
        assert await one.articles.count() == 60
    finally:
        await one.close()
        await two.close()


async def test_stats_counts(store: NewsStore) -> None:
    await store.readers.get_or_create(7, "سارة")
    stats = await store.stats()
    assert stats.readers == 1 and stats.readers_by_status["active"] == 1
    assert stats.deliveries_by_state == {"queued": 0, "sending": 0, "sent": 0, "failed": 0, "cancelled": 0}


async def test_topic_counts_follow_the_links_in_the_same_transaction(store: NewsStore) -> None:
    gaza = await store.topics.upsert(TopicSpec("gaza", "غزة", TopicKind.STORY))
    world = await store.topics.upsert(TopicSpec("world", "عربي ودولي"))
    await store.articles.upsert_many([(item("a"), [gaza.id, world.id]), (item("b"), [world.id])])
    counts = {t.slug: t.article_count for t in await store.topics.all()}
    assert counts == {"gaza": 1, "world": 2}
    # an update that moves an article from one topic to the other moves its count
    await store.articles.upsert_many([(item("a", "عنوان آخر"), [world.id])])
    assert [(t.slug, t.article_count) for t in await store.topics.all()] == [("gaza", 0), ("world", 2)]
    # a batch that fails leaves the counts as they were
    with pytest.raises(StoreError):
        await store.articles.upsert_many([(item("c"), [gaza.id]), (item("bad", headline=""), [])])
    found = await store.topics.by_id(gaza.id)
    assert found is not None and found.article_count == 0


async def test_toggle_subscribes_then_unsubscribes(store: NewsStore) -> None:
    world = await store.topics.upsert(TopicSpec("world", "عربي ودولي"))
    await store.readers.get_or_create(7, "قارئ")
    assert await store.subscriptions.toggle(7, world.id) is True
    assert await store.subscriptions.topic_ids(7) == {world.id}
    assert await store.subscriptions.toggle(7, world.id) is False
    assert await store.subscriptions.topic_ids(7) == set()


async def test_many_toggles_at_once_alternate(store: NewsStore) -> None:
    world = await store.topics.upsert(TopicSpec("world", "عربي ودولي"))
    await store.readers.get_or_create(7, "قارئ")
    results = await asyncio.gather(*(store.subscriptions.toggle(7, world.id) for _ in range(9)))
    assert sorted(results) == [False] * 4 + [True] * 5
    assert await store.subscriptions.topic_ids(7) == {world.id}


async def test_toggle_on_an_unknown_topic_changes_nothing(store: NewsStore) -> None:
    await store.readers.get_or_create(7, "قارئ")
    assert await store.subscriptions.toggle(7, 999) is None
    assert await store.subscriptions.topic_ids(7) == set()


async def test_every_topic_in_order_with_the_readers_state(store: NewsStore) -> None:
    world = await store.topics.upsert(TopicSpec("world", "عربي ودولي"))
    gaza = await store.topics.upsert(TopicSpec("gaza", "غزة", TopicKind.STORY))
    await store.readers.get_or_create(7, "قارئ")
    await store.readers.get_or_create(8, "قارئ")
    await store.subscriptions.subscribe(7, world.id)
    await store.subscriptions.subscribe(8, gaza.id)
    listed = await store.subscriptions.every_topic(7)
    assert [(t.slug, mine) for t, mine in listed] == [("gaza", False), ("world", True)]
    assert [t for t, _ in listed] == await store.topics.all()


async def test_an_item_stored_in_the_same_second_before_a_subscription_is_not_pushed(store: NewsStore) -> None:
    topic = await store.topics.upsert(TopicSpec("a", "أ"))
    await store.deliveries.fan_out()  # the first round
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


async def test_remembered_searches_and_pages_follow_every_change_from_any_connection(
    open_store: StoreOpener,
) -> None:
    """Pages and searches are reused across readers, yet a change made by another process (here a
    second connection, as `newsbot ingest` or a worker has) shows at the next ask."""
    mine = await open_store()
    other = await open_store()
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


async def test_a_page_is_the_count_and_the_latest_rows_and_follows_changes(open_store: StoreOpener) -> None:
    """`page` answers as `count` and `latest` would, the page moved within those there are, and a
    change from another connection shows at the next ask, as for `latest`."""
    mine = await open_store()
    other = await open_store()
    try:
        section = await mine.topics.upsert(TopicSpec("world", "عربي ودولي"))
        day = datetime(2026, 3, 1, tzinfo=UTC)
        await mine.articles.upsert_many(
            [
                (item(f"i{n}", f"خبر {n}", published_at=day + timedelta(hours=n)), [section.id] if n % 2 else [])
                for n in range(5)
            ]
        )
        assert await mine.articles.page(2, 0) == (5, 0, await mine.articles.latest(2, 0))
        assert await mine.articles.page(2, 2) == (5, 2, await mine.articles.latest(2, 4))
        assert [a.headline for a in (await mine.articles.page(2, 2))[2]] == ["خبر 0"]
        assert (await mine.articles.page(2, 9))[:2] == (5, 2) and (await mine.articles.page(2, -3))[:2] == (5, 0)
        assert await mine.articles.page(2, 1, topic_id=section.id) == (
            2,
            0,
            await mine.articles.latest(2, topic_id=section.id),
        )
        assert await mine.articles.page(2, 0, kind=ArticleKind.VIDEO) == (0, 0, [])

        await other.articles.upsert_many([(item("new", "خبر جديد", published_at=day + timedelta(days=1)), [])])
        total, number, items = await mine.articles.page(2, 0)
        assert (total, number) == (6, 0) and [a.headline for a in items] == ["خبر جديد", "خبر 4"]
        items.clear()  # a caller's list is its own
        assert len((await mine.articles.page(2, 0))[2]) == 2
    finally:
        await other.close()
        await mine.close()


async def test_writes_the_rules_refuse_are_the_stores_own_error_and_change_nothing(store: NewsStore) -> None:
    """A driver's exception never leaves the store: a refused write is StoreRejected (a StoreError,
    which the command line turns into one line and exit code 2), and nothing of it is kept."""
    topic = await store.topics.upsert(TopicSpec("world", "عربي ودولي"))
    await store.readers.get_or_create(7, "قارئ")
    with pytest.raises(StoreRejected):
        await store.subscriptions.subscribe(7, topic.id + 1000)  # no such topic
    with pytest.raises(StoreRejected):
        await store.subscriptions.subscribe(8, topic.id)  # no such reader
    assert await store.subscriptions.count() == 0
    with pytest.raises(StoreRejected) as refused:
        await store.articles.upsert_many([(item("bad", headline=""), [topic.id])])
    assert isinstance(refused.value, StoreError)
    assert (await store.topics.all())[0].article_count == 0
    # the store goes on as before
    assert await store.subscriptions.subscribe(7, topic.id) is True
