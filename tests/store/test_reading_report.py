"""Issue 17 in the store's contract, on both engines: a reader's time zone (only the offered ones),
opens from a push counted once per reader, subscriptions gained and lost per topic, searches with no
results counted without the reader."""

from __future__ import annotations

import dataclasses
import time

import pytest

from bot.models import ParsedItem, ReaderSettings, TopicSpec
from bot.store import StoreRejected
from bot.store.protocols import NewsStore
from bot.store.records import reading_report


def item(guid: str, headline: str = "عنوان") -> ParsedItem:
    return ParsedItem(guid=guid, headline=headline, url=f"https://example.com/{guid}")


async def test_a_readers_zone_is_kept_and_one_not_offered_is_refused(store: NewsStore) -> None:
    reader, _ = await store.readers.get_or_create(7, "قارئ")
    assert reader.settings.timezone is None  # the site's zone until the reader chooses
    riyadh = dataclasses.replace(reader.settings, timezone="Asia/Riyadh")
    changed = await store.readers.update_settings(7, riyadh)
    assert changed is not None and changed.settings.timezone == "Asia/Riyadh"
    with pytest.raises(StoreRejected):
        await store.readers.update_settings(7, ReaderSettings(timezone="Europe/Paris"))
    with pytest.raises(StoreRejected):
        await store.readers.change_settings(7, timezone="asia/riyadh")
    again = await store.readers.get(7)
    assert again is not None and again.settings == riyadh


async def test_the_zone_reaches_the_sender_with_each_delivery(store: NewsStore) -> None:
    topic = await store.topics.upsert(TopicSpec("a", "أ"))
    await store.articles.upsert_many([(item("old"), [topic.id])])
    await store.deliveries.fan_out()
    await store.readers.get_or_create(1)
    await store.readers.change_settings(1, timezone="Asia/Dubai", push_mode="digest")
    await store.subscriptions.subscribe(1, topic.id)
    await store.articles.upsert_many([(item("new"), [topic.id])])
    assert await store.deliveries.fan_out() == 1
    [waiting] = await store.deliveries.digest_readers()
    assert waiting.timezone == "Asia/Dubai"
    [taken] = await store.deliveries.claim_digest(1, 10)
    assert taken.timezone == "Asia/Dubai"


async def test_an_open_from_a_push_counts_once_per_reader(store: NewsStore) -> None:
    topic = await store.topics.upsert(TopicSpec("a", "أ"))
    await store.articles.upsert_many([(item("old"), [topic.id])])
    await store.deliveries.fan_out()
    for reader in (1, 2, 3):
        await store.readers.get_or_create(reader)
        await store.subscriptions.subscribe(reader, topic.id)
    [outcome] = await store.articles.upsert_many([(item("pushed", "خبر عاجل"), [topic.id])])
    assert await store.deliveries.fan_out() == 3
    claimed = await store.deliveries.claim(10)
    await store.deliveries.mark_sent([(d.id, 50 + d.id) for d in claimed if d.reader_id != 3])
    assert await store.deliveries.mark_opened(1, outcome.article_id)
    assert not await store.deliveries.mark_opened(1, outcome.article_id)  # the same reader again
    assert await store.deliveries.mark_opened(2, outcome.article_id)
    assert not await store.deliveries.mark_opened(9, outcome.article_id)  # never pushed to reader 9
    [reach] = await store.deliveries.reach_since(int(time.time()) - 60, 10)
    assert (reach.article_id, reach.headline, reach.sent, reach.opened) == (outcome.article_id, "خبر عاجل", 2, 2)
    assert await store.deliveries.reach_since(int(time.time()) + 60, 10) == []


async def test_subscriptions_gained_and_lost_per_topic(store: NewsStore) -> None:
    a = await store.topics.upsert(TopicSpec("a", "أ"))
    b = await store.topics.upsert(TopicSpec("b", "ب"))
    for reader in (1, 2, 3):
        await store.readers.get_or_create(reader)
    assert await store.subscriptions.subscribe(1, a.id)
    assert not await store.subscriptions.subscribe(1, a.id)  # already: not counted again
    assert await store.subscriptions.toggle(2, a.id) is True
    assert await store.subscriptions.toggle(2, a.id) is False
    assert await store.subscriptions.subscribe(3, b.id)
    assert await store.subscriptions.unsubscribe(3, b.id)
    assert not await store.subscriptions.unsubscribe(3, b.id)
    now = int(time.time())
    changes = {c.name: (c.gained, c.lost) for c in await store.subscriptions.changes_since(now - 7 * 86400)}
    assert changes == {"أ": (2, 1), "ب": (1, 1)}
    assert await store.subscriptions.changes_since(now + 2 * 86400) == []


async def test_a_merge_counts_the_subscriptions_it_moves(store: NewsStore) -> None:
    a = await store.topics.upsert(TopicSpec("a", "أ"))
    b = await store.topics.upsert(TopicSpec("b", "ب"))
    c = await store.topics.upsert(TopicSpec("c", "ج"))
    for reader in (1, 2, 3, 4):
        await store.readers.get_or_create(reader)
    for reader in (1, 2, 3):
        await store.subscriptions.subscribe(reader, a.id)
    await store.subscriptions.subscribe(3, b.id)  # follows both: keeps one subscription, no gain
    await store.subscriptions.subscribe(4, b.id)
    since = int(time.time()) - 7 * 86400
    before = {ch.name: (ch.gained, ch.lost) for ch in await store.subscriptions.changes_since(since)}
    assert before == {"أ": (3, 0), "ب": (2, 0)}
    await store.topics.merge(a.id, b.id)
    after = {ch.name: (ch.gained, ch.lost) for ch in await store.subscriptions.changes_since(since)}
    assert after == {"أ": (3, 3), "ب": (4, 0)}  # a's three lost; b gained readers 1 and 2, not 3
    for reader in (1, 2, 3, 4):
        assert await store.subscriptions.topic_ids(reader) == {b.id}
    await store.topics.merge(c.id, b.id)  # nobody followed c: nothing counted, no empty row
    assert {ch.name for ch in await store.subscriptions.changes_since(since)} == {"أ", "ب"}


async def test_searches_with_no_results_are_counted_by_their_words_only(store: NewsStore) -> None:
    await store.articles.record_miss("  الرقّة   ")
    await store.articles.record_miss("الرقة")
    await store.articles.record_miss("زلزال")
    await store.articles.record_miss("...")  # no words: nothing to count
    now = int(time.time())
    assert await store.articles.misses_since(now - 86400, 10) == [("الرقه", 2), ("زلزال", 1)]
    report = await reading_report(store, 7, now)
    assert report.days == 7 and report.misses == [("الرقه", 2), ("زلزال", 1)]
    assert report.items == [] and report.topics == []
