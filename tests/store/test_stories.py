"""Stories and freshness in the store's contract (each test once per engine): the same story from
two outlets, or twice from one, is one story, decided when it is stored; /latest and a topic's page
list it once; fan-out pushes it once per reader; an old item is stored and listed, never pushed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.models import ParsedItem, TopicSpec, WordKind
from bot.store.errors import StoreError
from bot.store.protocols import NewsStore
from bot.store.words import phrase_key
from tests.store.conftest import StoreOpener

# Sky News Arabia ran this story twice, under two addresses and two headlines (tests/data SOURCES.md).
DUBAI_1 = "دبي الأولى إقليميا والسادسة عالمي ضمن مؤشر المدن الذكية 2026"
DUBAI_2 = "دبي السادسة عالمياً في مؤشر المدن الذكية 2026"
OTHER = "ترامب: رئيس النظام الإيراني الجديد طلب وقف إطلاق النار"
NOW = datetime.now(UTC).replace(microsecond=0)


def item(
    guid: str, headline: str, *, outlet: str | None, at: datetime | None = NOW, url: str | None = None
) -> ParsedItem:
    return ParsedItem(
        guid=guid, headline=headline, lead="مقدمة", outlet=outlet, published_at=at, url=url, origin=f"feed:{outlet}"
    )


async def _reader_following(store: NewsStore, *slugs: str) -> list[int]:
    ids = [(await store.topics.upsert(TopicSpec(slug, slug))).id for slug in slugs]
    assert await store.deliveries.fan_out() == 0  # the first round only starts the outbox
    await store.readers.get_or_create(1, "قارئ")
    for topic_id in ids:
        await store.subscriptions.subscribe(1, topic_id)
    return ids


async def test_two_outlets_copies_are_one_story_pushed_once_and_listed_once(store: NewsStore) -> None:
    (topic,) = await _reader_following(store, "a")
    outcomes = await store.articles.upsert_many(
        [
            (item("sky-1", DUBAI_1, outlet="Sky News Arabia"), [topic]),
            (item("rt-1", DUBAI_2, outlet="RT Arabic", at=NOW + timedelta(hours=3)), [topic]),
            (item("sky-2", OTHER, outlet="Sky News Arabia"), [topic]),
        ]
    )
    first, copy, other = (o.article_id for o in outcomes)
    assert await store.deliveries.fan_out(fresh_after=0) == 2  # the story once, the other item
    pending = await store.deliveries.claim(10)
    assert sorted(d.article_id for d in pending if d.article_id is not None) == [first, other]

    latest = await store.articles.latest(10)
    assert [a.id for a in latest] == [other, first]
    assert await store.articles.count() == 2
    assert [a.id for a in await store.articles.latest(10, topic_id=topic)] == [other, first]
    assert await store.articles.count(topic_id=topic) == 2

    told = await store.articles.get(first)
    assert told is not None and told.also_in == ("RT Arabic",) and told.story_id == first
    repeated = await store.articles.get(copy)
    assert repeated is not None and repeated.duplicate_of == first and repeated.also_in == ("Sky News Arabia",)
    alone = await store.articles.get(other)
    assert alone is not None and alone.also_in == () and alone.duplicate_of is None


async def test_a_later_copy_is_not_pushed_to_a_reader_who_had_the_story(store: NewsStore) -> None:
    topic_a, topic_b = await _reader_following(store, "a", "b")
    await store.articles.upsert_many([(item("sky-1", DUBAI_1, outlet="Sky News Arabia"), [topic_a])])
    assert await store.deliveries.fan_out(fresh_after=0) == 1
    # The copy arrives in a later batch, filed under the reader's other topic: still the same story.
    (outcome,) = await store.articles.upsert_many([(item("rt-1", DUBAI_2, outlet="RT Arabic"), [topic_b])])
    assert await store.deliveries.fan_out(fresh_after=0) == 0
    # On topic b's page the copy stands for the story (its first item is not filed there).
    assert [a.id for a in await store.articles.latest(10, topic_id=topic_b)] == [outcome.article_id]
    assert len(await store.articles.latest(10)) == 1


async def test_a_copy_reaches_a_reader_who_follows_only_its_topic(store: NewsStore) -> None:
    topic_a = (await store.topics.upsert(TopicSpec("a", "أ"))).id
    (topic_b,) = await _reader_following(store, "b")
    outcomes = await store.articles.upsert_many(
        [
            (item("sky-1", DUBAI_1, outlet="Sky News Arabia"), [topic_a]),
            (item("rt-1", DUBAI_2, outlet="RT Arabic"), [topic_b]),
        ]
    )
    assert await store.deliveries.fan_out(fresh_after=0) == 1
    (pending,) = await store.deliveries.claim(10)
    assert pending.article_id == outcomes[1].article_id


async def test_the_same_address_from_two_origins_is_one_story(store: NewsStore) -> None:
    """The Sky item stored from the seeds, then again from the Sky feed a poll reads (another origin,
    so another item): the same address, listed once."""
    (topic,) = await _reader_following(store, "a")
    url = "https://www.skynewsarabia.com/business/1861885-dubai"
    await store.articles.upsert_many([(item(url, DUBAI_2, outlet=None, url=url), [topic])])
    await store.articles.upsert_many(
        [(item(url, "دبي سادسة", outlet="Sky News Arabia", url=url + "/?traffic_source=rss"), [topic])]
    )
    assert await store.articles.count() == 1
    assert len(await store.articles.latest(10)) == 1


async def test_the_same_headline_days_apart_is_two_stories(store: NewsStore) -> None:
    (topic,) = await _reader_following(store, "a")
    await store.articles.upsert_many([(item("sky-1", DUBAI_1, outlet="Sky", at=NOW - timedelta(days=3)), [topic])])
    await store.articles.upsert_many([(item("rt-1", DUBAI_1, outlet="RT"), [topic])])
    assert await store.articles.count() == 2


async def test_an_old_item_is_stored_and_listed_but_not_pushed(store: NewsStore) -> None:
    (topic,) = await _reader_following(store, "a")
    fresh_after = int((NOW - timedelta(hours=24)).timestamp())
    old = item("covid", "مصر تسجل 30 إصابة جديدة بفيروس كورونا", outlet="Sputnik", at=datetime(2020, 3, 17, tzinfo=UTC))
    new = item("new", OTHER, outlet="Sky")
    undated = item("undated", "انفجارات تهز شمال بيروت وتثير الهلع بين السكان", outlet="Sky", at=None)
    await store.articles.upsert_many([(old, [topic]), (new, [topic]), (undated, [topic])])
    assert await store.deliveries.fan_out(fresh_after=fresh_after) == 2  # the new one and the undated one (stored now)
    assert await store.articles.count() == 3
    assert await store.deliveries.claim(10) != []
    # An undated item counts from when it was stored: a day later it is old.
    later = item("undated-2", "الجابر: 33 كيلومتراً تفصل بين الازدهار والشدة", outlet="Sky", at=None)
    await store.articles.upsert_many([(later, [topic])])
    assert await store.deliveries.fan_out(fresh_after=int((NOW + timedelta(days=2)).timestamp())) == 0


async def test_stories_hold_across_a_reopen(open_store: StoreOpener) -> None:
    store = await open_store()
    try:
        (topic,) = await _reader_following(store, "a")
        await store.articles.upsert_many([(item("sky-1", DUBAI_1, outlet="Sky News Arabia"), [topic])])
    finally:
        await store.close()
    again = await open_store()
    try:
        await again.articles.upsert_many([(item("rt-1", DUBAI_2, outlet="RT Arabic"), [topic])])
        assert await again.articles.count() == 1
    finally:
        await again.close()


async def test_a_story_stored_by_another_process_is_found_by_the_next_batch(open_store: StoreOpener) -> None:
    """Each store keeps its story candidates between batches and reads only what was stored since:
    by itself or by any other process on the same store."""
    first = await open_store()
    second = await open_store()
    try:
        (topic,) = await _reader_following(first, "a")
        await first.articles.upsert_many([(item("sky-0", OTHER, outlet="Sky News Arabia"), [topic])])  # warm
        (told,) = await second.articles.upsert_many([(item("sky-1", DUBAI_1, outlet="Sky News Arabia"), [topic])])
        (copy,) = await first.articles.upsert_many([(item("rt-1", DUBAI_2, outlet="RT Arabic"), [topic])])
        found = await first.articles.get(copy.article_id)
        assert found is not None and found.duplicate_of == told.article_id
        # and the other way round, the first store's own items as the second sees them next
        (own,) = await first.articles.upsert_many([(item("aj-9", OTHER + " الآن", outlet="Al Jazeera"), [topic])])
        assert (await first.articles.get(own.article_id)) is not None
        (again,) = await second.articles.upsert_many([(item("rt-9", OTHER, outlet="RT Arabic"), [topic])])
        repeated = await second.articles.get(again.article_id)
        assert repeated is not None and repeated.duplicate_of is not None
        assert await first.articles.count() == 2
    finally:
        await first.close()
        await second.close()


async def test_a_failed_batch_leaves_no_story_behind(store: NewsStore) -> None:
    (topic,) = await _reader_following(store, "a")
    await store.articles.upsert_many([(item("sky-0", OTHER, outlet="Sky News Arabia"), [topic])])  # warm
    with pytest.raises(StoreError):  # a topic that does not exist: the batch is refused whole
        await store.articles.upsert_many([(item("sky-1", DUBAI_1, outlet="Sky News Arabia"), [topic + 999])])
    (copy,) = await store.articles.upsert_many([(item("rt-1", DUBAI_2, outlet="RT Arabic"), [topic])])
    found = await store.articles.get(copy.article_id)
    assert found is not None and found.duplicate_of is None  # not a copy of an item never stored
    assert [a.id for a in await store.articles.latest(10)] == [copy.article_id, 1]


async def test_a_followed_word_pushes_a_story_told_twice_in_one_round_once(store: NewsStore) -> None:
    assert await store.deliveries.fan_out() == 0  # the first round only starts the outbox
    await store.readers.get_or_create(1, "قارئ")
    await store.words.add(1, WordKind.FOLLOW, "دبي", phrase_key("دبي"), 20)
    outcomes = await store.articles.upsert_many(
        [
            (item("sky-1", DUBAI_1, outlet="Sky News Arabia"), []),
            (item("rt-1", DUBAI_2, outlet="RT Arabic", at=NOW + timedelta(hours=3)), []),
        ]
    )
    first, copy = (o.article_id for o in outcomes)
    assert (await store.articles.get(copy)).duplicate_of == first  # type: ignore[union-attr]
    assert await store.deliveries.fan_out(fresh_after=0) == 1  # both name the word: the story once
    assert [d.article_id for d in await store.deliveries.claim(10)] == [first]
