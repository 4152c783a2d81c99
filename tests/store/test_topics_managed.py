"""The store's side of managed topics (migration 0008), on every engine: one transaction per change,
the topic version every process watches, merging, archiving, filing without pushing."""

from __future__ import annotations

import pytest

from bot.models import ParsedItem, TopicKind, TopicSpec, TopicStatus
from bot.store.errors import StoreRejected
from bot.store.protocols import NewsStore
from tests.store.conftest import StoreOpener


def item(guid: str, headline: str = "عنوان", categories: tuple[str, ...] = ()) -> ParsedItem:
    return ParsedItem(guid=guid, headline=headline, url=f"https://e.org/{guid}", categories=categories)


async def test_changes_move_the_version_another_connection_sees(open_store: StoreOpener) -> None:
    mine, other = await open_store(), await open_store()
    try:
        start = await other.topics.version()
        topic = await mine.topics.add(TopicSpec("a", "أ", TopicKind.STORY, ("كلمة",), ("alias",)))
        assert await other.topics.version() > start
        seen = await other.topics.version()
        await mine.articles.upsert_many([(item("g1"), [topic.id])])  # counts move, rules do not
        assert await other.topics.version() == seen
        await mine.topics.change(topic.id, TopicSpec("a", "أ", TopicKind.STORY, ("كلمة", "أخرى"), ("alias",)))
        assert await other.topics.version() > seen
        found = await other.topics.by_slug("a")
        assert found is not None and found.keywords == ("كلمة", "أخرى") and found.aliases == ("alias",)
    finally:
        await mine.close()
        await other.close()


async def test_filing_links_old_items_without_pushing_them(store: NewsStore) -> None:
    section = await store.topics.upsert(TopicSpec("s", "قسم"))
    reader, _ = await store.readers.get_or_create(1, "ق")
    await store.deliveries.fan_out()  # the first round starts the outbox
    outcomes = await store.articles.upsert_many([(item("g1", categories=("label",)), [section.id])])
    assert await store.deliveries.fan_out() == 0  # nobody subscribed yet
    story = await store.topics.add(TopicSpec("t", "قصة", TopicKind.STORY))
    await store.subscriptions.subscribe(reader.id, story.id)
    changed = await store.topics.change(story.id, story.spec(), [outcomes[0].article_id])
    assert changed.article_count == 1
    assert await store.deliveries.fan_out() == 0  # filed, never pushed
    [stored] = await store.topics.stored_since(0)
    assert stored.labels == ("label",) and stored.topic_ids == {section.id, story.id}
    with pytest.raises(StoreRejected):
        await store.topics.add(TopicSpec("t", "أخرى"))  # slugs are never reused


async def test_archived_topics_leave_the_list_take_no_subscriptions_and_push_nothing(store: NewsStore) -> None:
    topic = await store.topics.add(TopicSpec("t", "قصة", TopicKind.STORY))
    await store.readers.get_or_create(1, "ق")
    await store.readers.get_or_create(2, "ر")
    await store.deliveries.fan_out()
    assert await store.subscriptions.subscribe(1, topic.id)
    archived = await store.topics.set_state(topic.id, TopicStatus.ARCHIVED)
    assert archived.ended and archived.state is TopicStatus.ARCHIVED
    assert [t for t, _ in await store.subscriptions.every_topic(1)] == []
    assert [t.ended for t in await store.subscriptions.topics(1)] == [True]
    assert await store.subscriptions.subscribe(2, topic.id) is False
    assert await store.subscriptions.toggle(2, topic.id) is None
    await store.articles.upsert_many([(item("new"), [topic.id])])
    assert await store.deliveries.fan_out() == 0
    assert (await store.topics.set_state(topic.id, TopicStatus.ACTIVE)).state is TopicStatus.ACTIVE


async def test_merge_moves_items_and_subscriptions_keeping_one_per_reader(store: NewsStore) -> None:
    a = await store.topics.add(TopicSpec("a", "أ", TopicKind.STORY, ("ك1",), ("al-a",)))
    b = await store.topics.add(TopicSpec("b", "ب", TopicKind.STORY, ("ك2",)))
    for reader in (1, 2, 3):
        await store.readers.get_or_create(reader, "ق")
    await store.subscriptions.subscribe(1, a.id)
    await store.subscriptions.subscribe(1, b.id)
    await store.subscriptions.subscribe(2, a.id)
    await store.subscriptions.subscribe(3, b.id)
    await store.articles.upsert_many([(item("x"), [a.id]), (item("y"), [a.id, b.id]), (item("z"), [b.id])])
    into = await store.topics.merge(a.id, b.id)
    assert into.id == b.id and into.article_count == 3
    assert set(into.aliases) == {"أ", "al-a"} and set(into.keywords) == {"ك1", "ك2"}
    assert await store.subscriptions.count() == 3  # reader 1 keeps one
    assert {r: await store.subscriptions.topic_ids(r) for r in (1, 2, 3)} == {1: {b.id}, 2: {b.id}, 3: {b.id}}
    merged = await store.topics.by_slug("a")
    assert merged is not None and merged.state is TopicStatus.MERGED and merged.merged_into == b.id
    with pytest.raises(StoreRejected):
        await store.topics.merge(b.id, b.id)
