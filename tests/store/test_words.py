"""Readers' own words through the store contract (both engines): kept once, limited, removed, and
joined into the fan-out once per reader and item; muted words keep items out."""

from __future__ import annotations

from bot.models import ParsedItem, ReaderStatus, TopicSpec, WordAdded, WordKind
from bot.store.protocols import NewsStore
from bot.store.words import phrase_key
from tests.store.conftest import StoreOpener

FOLLOW, MUTE = WordKind.FOLLOW, WordKind.MUTE


def item(guid: str, headline: str, **kw) -> ParsedItem:
    return ParsedItem(guid=guid, headline=headline, url=f"https://example.com/{guid}", **kw)


async def add(store: NewsStore, reader: int, kind: WordKind, text: str, limit: int = 20) -> WordAdded:
    return await store.words.add(reader, kind, text, phrase_key(text), limit)


async def test_a_word_is_kept_once_per_kind_and_limited(store: NewsStore) -> None:
    await store.readers.get_or_create(1, "قارئ")
    assert await add(store, 1, FOLLOW, "الرقة") is WordAdded.ADDED
    assert await add(store, 1, FOLLOW, "الرقه") is WordAdded.EXISTS  # the same word folded
    assert await add(store, 1, MUTE, "الرقة") is WordAdded.ADDED  # another kind
    assert await add(store, 1, FOLLOW, "محمد صلاح", limit=2) is WordAdded.ADDED
    assert await add(store, 1, FOLLOW, "غزة", limit=2) is WordAdded.LIMIT
    mine = await store.words.of_reader(1)
    assert [(w.kind, w.text) for w in mine] == [(FOLLOW, "الرقة"), (MUTE, "الرقة"), (FOLLOW, "محمد صلاح")]
    assert await store.words.count() == {"follow": 2, "mute": 1}
    removed = await store.words.remove(1, mine[0].id)
    assert removed is not None and removed.text == "الرقة"
    assert await store.words.remove(1, mine[0].id) is None  # already gone
    assert await store.words.remove(2, mine[1].id) is None  # not this reader's
    assert await add(store, 1, FOLLOW, "غزة", limit=2) is WordAdded.ADDED  # room again
    assert [w.text for w in await store.words.of_reader(1) if w.kind is FOLLOW] == ["محمد صلاح", "غزة"]


async def test_fan_out_pushes_a_followed_word_once_whatever_else_matched(store: NewsStore) -> None:
    topic = await store.topics.upsert(TopicSpec("syria", "سوريا"))
    await store.articles.upsert_many([(item("old", "الرقة قبل المتابعة"), [])])
    assert await store.deliveries.fan_out() == 0  # the first round only empties the outbox
    for reader in (1, 2, 3, 4):
        await store.readers.get_or_create(reader, "قارئ")
    await add(store, 1, FOLLOW, "الرقة")  # the word only
    await add(store, 2, FOLLOW, "الرقة")  # the word and the topic: one push
    await store.subscriptions.subscribe(2, topic.id)
    await add(store, 2, FOLLOW, "شمال سوريا")  # a phrase matching too: still one push
    await add(store, 3, FOLLOW, "الرقة")
    await store.readers.set_status(3, ReaderStatus.STOPPED)  # not active: nothing
    await add(store, 4, FOLLOW, "الرقة شمال")  # words not next to each other in the item: nothing
    await store.articles.upsert_many([(item("n1", "اشتباكات في الرقه", lead="شمال سوريا اليوم"), [])])
    await store.articles.upsert_many([(item("n2", "خبر آخر عن سوريا"), [topic.id])])
    assert await store.deliveries.fan_out() == 3
    got = sorted((d.reader_id, d.article_id) for d in await store.deliveries.claim(10))
    [n1, n2] = [a.id for a in sorted(await store.articles.latest(10), key=lambda a: a.id)[1:]]
    assert got == [(1, n1), (2, n1), (2, n2)]


async def test_a_muted_word_keeps_items_out_of_pushes_and_digests(store: NewsStore) -> None:
    topic = await store.topics.upsert(TopicSpec("sport", "رياضة"))
    await store.deliveries.fan_out()
    for reader in (1, 2):
        await store.readers.get_or_create(reader, "قارئ")
        await store.subscriptions.subscribe(reader, topic.id)
    await store.readers.change_settings(2, push_mode="digest")
    await add(store, 1, MUTE, "كرة القدم")
    await add(store, 2, MUTE, "كرة القدم")
    await add(store, 1, FOLLOW, "مباراة")  # followed and muted: muted wins
    await store.articles.upsert_many([(item("f", "مباراة في كرة القدم"), [topic.id])])
    await store.articles.upsert_many([(item("t", "بطولة التنس"), [topic.id])])
    assert await store.deliveries.fan_out() == 2  # the tennis item, to each
    assert {d.reader_id for d in await store.deliveries.claim(10)} == {1}
    assert len(await store.deliveries.claim_digest(2, 10)) == 1
    # unmuted: the next item about football goes out again
    [muted] = [w for w in await store.words.of_reader(1) if w.kind is MUTE]
    await store.words.remove(1, muted.id)
    await store.articles.upsert_many([(item("f2", "كرة القدم غدًا"), [topic.id])])
    assert await store.deliveries.fan_out() == 1


async def test_words_changed_in_another_connection_reach_the_fan_out(open_store: StoreOpener) -> None:
    leader, worker = await open_store(), await open_store()
    try:
        await leader.deliveries.fan_out()
        await worker.readers.get_or_create(1, "قارئ")
        await add(worker, 1, FOLLOW, "الرقة")
        await leader.articles.upsert_many([(item("a", "الرقة"), [])])
        assert await leader.deliveries.fan_out() == 1
        [word] = await worker.words.of_reader(1)
        await worker.words.remove(1, word.id)
        await leader.articles.upsert_many([(item("b", "الرقة مجددًا"), [])])
        assert await leader.deliveries.fan_out() == 0
        await add(worker, 1, FOLLOW, "الرقة")
        await leader.articles.upsert_many([(item("c", "من الرقة"), [])])
        assert await leader.deliveries.fan_out() == 1
    finally:
        await leader.close()
        await worker.close()
