"""Channels and groups in the store (issue 15), once per engine: a chat is a reader row with its
kind, so it follows topics and gets deliveries like a reader; pausing keeps its subscriptions and
cancels what waited; resuming gives new items only; a group's migration keeps its subscriptions;
readers' counts and broadcasts leave chats out."""

from __future__ import annotations

from bot.models import ChatKind, ParsedItem, ReaderStatus, TopicSpec
from bot.store.protocols import NewsStore

CHANNEL = -1001000000000001
GROUP = -4000000001
SUPERGROUP = -1001000000000002


def item(guid: str) -> ParsedItem:
    return ParsedItem(guid=guid, headline=f"عنوان {guid}", lead="مقدمة")


async def _topic(store: NewsStore) -> int:
    topic = await store.topics.upsert(TopicSpec("gaza", "غزة"))
    assert await store.deliveries.fan_out() == 0  # the first round only starts the outbox
    return topic.id


async def test_a_linked_channel_gets_each_item_once_with_its_kind(store: NewsStore) -> None:
    topic = await _topic(store)
    channel = await store.chats.save(CHANNEL, ChatKind.CHANNEL, "قناة", "news_channel", linked_by=5)
    assert (channel.kind, channel.status, channel.linked_by, channel.topics) == (
        ChatKind.CHANNEL, ReaderStatus.ACTIVE, 5, (),
    )  # fmt: skip
    assert await store.subscriptions.subscribe(CHANNEL, topic)
    await store.readers.get_or_create(7, "قارئ")
    await store.subscriptions.subscribe(7, topic)
    await store.articles.upsert_many([(item("a"), [topic])])
    assert await store.deliveries.fan_out() == 2
    taken = {d.reader_id: d for d in await store.deliveries.claim(10)}
    assert taken[CHANNEL].chat_kind is ChatKind.CHANNEL and taken[7].chat_kind is ChatKind.PRIVATE
    assert (await store.chats.by_username("NEWS_channel")) == await store.chats.get(CHANNEL)
    assert (await store.chats.get(CHANNEL)).topics == ("gaza",)  # type: ignore[union-attr]
    # Readers' counts and broadcasts are people's private chats only.
    assert (await store.readers.count_by_status())["active"] == 1
    assert (await store.deliveries.create_broadcast("عاجل", None))[1] == 1


async def test_pause_cancels_what_waited_and_resume_brings_new_items_only(store: NewsStore) -> None:
    topic = await _topic(store)
    await store.chats.save(GROUP, ChatKind.GROUP, "مجموعة", None, linked_by=9)
    await store.subscriptions.subscribe(GROUP, topic)
    await store.articles.upsert_many([(item("before"), [topic])])
    assert await store.deliveries.fan_out() == 1
    assert await store.chats.pause(GROUP, "removed from the group")
    assert not await store.chats.pause(GROUP, "removed from the group")  # already paused
    paused = await store.chats.get(GROUP)
    assert paused is not None and paused.status is ReaderStatus.BLOCKED and paused.paused == "removed from the group"
    assert paused.topics == ("gaza",)  # subscriptions kept
    assert [s for _, _, s, _ in await store.deliveries.for_reader(GROUP)] == ["cancelled"]
    await store.articles.upsert_many([(item("while"), [topic])])
    assert await store.deliveries.fan_out() == 0
    assert await store.chats.resume(GROUP)
    assert not await store.chats.resume(GROUP)
    await store.articles.upsert_many([(item("after"), [topic])])
    assert await store.deliveries.fan_out() == 1
    resumed = await store.chats.get(GROUP)
    assert resumed is not None and resumed.status is ReaderStatus.ACTIVE and resumed.paused is None
    counts = {c.kind: c for c in await store.chats.counts()}
    assert counts[ChatKind.GROUP].active == 1 and counts[ChatKind.CHANNEL].active == 0


async def test_migration_to_a_supergroup_keeps_subscriptions_and_queue(store: NewsStore) -> None:
    topic = await _topic(store)
    await store.chats.save(GROUP, ChatKind.GROUP, "مجموعة", None, linked_by=9)
    await store.chats.set_members(GROUP, 12)
    await store.subscriptions.subscribe(GROUP, topic)
    await store.articles.upsert_many([(item("queued"), [topic])])
    assert await store.deliveries.fan_out() == 1
    moved = await store.chats.migrate(GROUP, SUPERGROUP)
    assert moved is not None
    assert (moved.id, moved.kind, moved.topics, moved.linked_by, moved.status) == (
        SUPERGROUP, ChatKind.SUPERGROUP, ("gaza",), 9, ReaderStatus.ACTIVE,
    )  # fmt: skip
    assert await store.chats.migrate(GROUP, SUPERGROUP) == moved  # a second notice changes nothing
    assert await store.chats.migrate(-4000000099, SUPERGROUP) is None
    old = await store.chats.get(GROUP)
    assert old is not None and old.status is ReaderStatus.GONE and old.migrated_to == SUPERGROUP and old.topics == ()
    assert [d.reader_id for d in await store.deliveries.claim(10)] == [SUPERGROUP]
    await store.articles.upsert_many([(item("later"), [topic])])
    assert await store.deliveries.fan_out() == 1
    counts = {c.kind: c for c in await store.chats.counts()}
    assert counts[ChatKind.SUPERGROUP].active == 1 and counts[ChatKind.SUPERGROUP].members == 12
    assert counts[ChatKind.GROUP].active == 0


async def test_unlink_removes_subscriptions_and_what_waited(store: NewsStore) -> None:
    topic = await _topic(store)
    await store.chats.save(CHANNEL, ChatKind.CHANNEL, "قناة", "news_channel")
    await store.subscriptions.subscribe(CHANNEL, topic)
    await store.articles.upsert_many([(item("a"), [topic])])
    assert await store.deliveries.fan_out() == 1
    assert await store.chats.unlink(CHANNEL)
    assert not await store.chats.unlink(CHANNEL)
    gone = await store.chats.get(CHANNEL)
    assert gone is not None and gone.status is ReaderStatus.STOPPED and gone.topics == ()
    assert await store.deliveries.claim(10) == []
    assert [c.kind for c in await store.chats.all()] == [ChatKind.CHANNEL]
    assert (await store.stats()).chats[0].kind is ChatKind.CHANNEL
