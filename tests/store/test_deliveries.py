"""The delivery queue's contract: recorded once, taken once, marked, requeued after a crash (each
test once per engine in tests/store/conftest.py)."""

from __future__ import annotations

import asyncio

from bot.models import ParsedItem, PushMode, ReaderStatus, TopicSpec
from bot.store.protocols import NewsStore
from tests.store.conftest import StoreOpener


def item(guid: str, headline: str = "عنوان") -> ParsedItem:
    return ParsedItem(guid=guid, headline=headline, lead="مقدمة")


async def _setup(store: NewsStore, readers: int) -> int:
    topic = await store.topics.upsert(TopicSpec("a", "أ"))
    assert await store.deliveries.fan_out() == 0
    for reader in range(1, readers + 1):
        await store.readers.get_or_create(reader, "قارئ")
        await store.subscriptions.subscribe(reader, topic.id)
    return topic.id


async def test_claim_takes_each_delivery_once_and_requeue_brings_back_only_in_flight(store: NewsStore) -> None:
    topic = await _setup(store, 3)
    await store.articles.upsert_many([(item("x"), [topic])])
    assert await store.deliveries.fan_out() == 3
    first = await store.deliveries.claim(2)
    second = await store.deliveries.claim(10)
    assert len(first) == 2 and len(second) == 1
    assert {d.id for d in first}.isdisjoint(d.id for d in second)
    assert await store.deliveries.claim(10) == []
    await store.deliveries.mark_sent([(first[0].id, 11)])
    assert await store.deliveries.requeue_in_flight() == 2  # the crash: two were in flight
    again = await store.deliveries.claim(10)
    assert sorted(d.id for d in again) == sorted([first[1].id, second[0].id])
    assert all(d.attempts == 2 for d in again)


async def test_an_updated_item_is_not_pushed_again(store: NewsStore) -> None:
    topic = await _setup(store, 1)
    await store.articles.upsert_many([(item("x"), [topic])])
    assert await store.deliveries.fan_out() == 1
    await store.articles.upsert_many([(item("x", "عنوان معدل"), [topic])])
    assert await store.deliveries.fan_out() == 0


async def test_an_item_without_a_topic_is_never_recorded(store: NewsStore) -> None:
    await _setup(store, 2)
    await store.articles.upsert_many([(item("orphan"), [])])
    assert await store.deliveries.fan_out() == 0


async def test_not_before_holds_a_retry(store: NewsStore) -> None:
    topic = await _setup(store, 1)
    await store.articles.upsert_many([(item("x"), [topic])])
    await store.deliveries.fan_out()
    (d,) = await store.deliveries.claim(5, now=100)
    await store.deliveries.retry_later(d.id, 200, "502")
    assert await store.deliveries.claim(5, now=150) == []
    assert [x.id for x in await store.deliveries.claim(5, now=200)] == [d.id]


async def test_broadcast_records_one_delivery_per_active_reader(store: NewsStore) -> None:
    await _setup(store, 3)
    await store.readers.set_status(2, ReaderStatus.STOPPED)
    broadcast_id, recorded = await store.deliveries.create_broadcast("نص عاجل", 4242)
    assert recorded == 2
    assert await store.deliveries.broadcast_text(broadcast_id) == "نص عاجل"
    claimed = await store.deliveries.claim(10)
    assert sorted(d.reader_id for d in claimed) == [1, 3]
    assert all(d.mode == "broadcast" and d.broadcast_id == broadcast_id for d in claimed)


async def test_blocking_cancels_pending_including_in_flight(store: NewsStore) -> None:
    topic = await _setup(store, 1)
    await store.articles.upsert_many([(item("x"), [topic]), (item("y"), [topic])])
    await store.deliveries.fan_out()
    await store.deliveries.claim(1)
    await store.readers.set_status(1, ReaderStatus.BLOCKED)
    counts = await store.deliveries.count_by_state()
    assert counts["cancelled"] == 2 and counts["queued"] == 0 and counts["sending"] == 0


async def test_digest_items_wait_for_the_digest_round_and_are_marked_together(store: NewsStore) -> None:
    topic = await _setup(store, 2)
    await store.readers.change_settings(2, push_mode="digest", digest_hours=(9,), arabic_digits=True)
    await store.articles.upsert_many([(item("x"), [topic]), (item("y"), [topic])])
    assert await store.deliveries.fan_out() == 4
    assert {d.reader_id for d in await store.deliveries.claim(10)} == {1}  # digest items are not instant
    (waiting,) = await store.deliveries.digest_readers()
    assert waiting.reader_id == 2 and waiting.digest_hours == (9,) and waiting.arabic_digits
    taken = await store.deliveries.claim_digest(2, 10)
    assert len(taken) == 2
    await store.deliveries.mark_digest_sent(2, [d.id for d in taken], 77, 1_000)
    reader = await store.readers.get(2)
    assert reader is not None and reader.settings.push_mode is PushMode.DIGEST
    assert reader.last_digest_at is not None and int(reader.last_digest_at.timestamp()) == 1_000
    assert await store.deliveries.digest_readers() == []
    assert (await store.deliveries.count_by_state())["sent"] == 2


async def test_release_puts_taken_deliveries_back(store: NewsStore) -> None:
    topic = await _setup(store, 2)
    await store.articles.upsert_many([(item("x"), [topic])])
    await store.deliveries.fan_out()
    taken = await store.deliveries.claim(10)
    await store.deliveries.release([d.id for d in taken])
    assert (await store.deliveries.count_by_state())["queued"] == 2
    await store.deliveries.mark_failed(taken[0].id, "refused", 5)
    assert [(s, e) for _, _, s, e in await store.deliveries.for_reader(taken[0].reader_id)] == [("failed", "refused")]


# -- the outbox: what fan-out pushes is what upsert_many recorded, once ------------------------------


async def _deliveries_per_article(store: NewsStore, readers: int) -> dict[int, int]:
    per_article: dict[int, int] = {}
    for reader in range(1, readers + 1):
        for article_id, _, _, _ in await store.deliveries.for_reader(reader):
            assert article_id is not None
            per_article[article_id] = per_article.get(article_id, 0) + 1
    return per_article


async def test_an_item_stored_once_is_fanned_out_once(store: NewsStore) -> None:
    topic = await _setup(store, 2)
    [added] = await store.articles.upsert_many([(item("x"), [topic])])
    assert await store.deliveries.fan_out() == 2
    assert await store.deliveries.fan_out() == 0
    # stored again unchanged, or changed: neither is a new item
    await store.articles.upsert_many([(item("x"), [topic])])
    await store.articles.upsert_many([(item("x", "عنوان آخر"), [topic])])
    assert await store.deliveries.fan_out() == 0
    assert await _deliveries_per_article(store, 2) == {added.article_id: 2}


async def test_what_a_new_store_holds_before_the_first_round_is_never_pushed(store: NewsStore) -> None:
    topic = await store.topics.upsert(TopicSpec("a", "أ"))
    await store.readers.get_or_create(1, "قارئ")
    await store.subscriptions.subscribe(1, topic.id)
    await store.articles.upsert_many([(item("seed"), [topic.id])])  # the seeds of a new store
    assert await store.deliveries.fan_out() == 0  # the first round
    assert await store.deliveries.fan_out() == 0
    [new] = await store.articles.upsert_many([(item("new"), [topic.id])])
    assert await store.deliveries.fan_out() == 1
    assert await _deliveries_per_article(store, 1) == {new.article_id: 1}


async def test_a_batch_committed_while_fan_out_runs_is_not_skipped(open_store: StoreOpener) -> None:
    """Rounds on one connection and batches on another (the bot and `newsbot ingest`), at once:
    every item reaches every subscriber exactly once, whichever commits first."""
    bot, ingest = await open_store(), await open_store()
    try:
        topic = await _setup(bot, 3)

        async def batches() -> None:
            for n in range(25):
                await ingest.articles.upsert_many([(item(f"b{n}-{k}"), [topic]) for k in range(4)])
                await asyncio.sleep(0)

        async def rounds() -> None:
            for _ in range(25):
                await bot.deliveries.fan_out()
                await asyncio.sleep(0)

        await asyncio.gather(batches(), rounds())
        await bot.deliveries.fan_out()  # whatever the last batch left
        per_article = await _deliveries_per_article(bot, 3)
        assert len(per_article) == 100
        assert set(per_article.values()) == {3}
        assert await bot.deliveries.fan_out() == 0
    finally:
        await ingest.close()
        await bot.close()


async def test_a_restart_neither_doubles_nor_loses_a_push(open_store: StoreOpener) -> None:
    store = await open_store()
    topic = await _setup(store, 2)
    [pushed] = await store.articles.upsert_many([(item("pushed"), [topic])])
    assert await store.deliveries.fan_out() == 2
    [waiting] = await store.articles.upsert_many([(item("waiting"), [topic])])  # stored, not yet fanned out
    await store.close()

    store = await open_store()
    try:
        assert await store.deliveries.fan_out() == 2  # only the waiting one, and it is not the first round
        assert await store.deliveries.fan_out() == 0
        assert await _deliveries_per_article(store, 2) == {pushed.article_id: 2, waiting.article_id: 2}
    finally:
        await store.close()
    store = await open_store()
    try:
        assert await store.deliveries.fan_out() == 0
    finally:
        await store.close()


async def test_senders_on_several_connections_take_each_delivery_once(open_store: StoreOpener) -> None:
    """Several connections (instances) taking from the queue at once: every delivery is taken by
    exactly one of them (SQLite serializes the takes; PostgreSQL skips rows another has locked)."""
    stores = [await open_store() for _ in range(3)]
    try:
        topic = await _setup(stores[0], 60)
        await stores[0].articles.upsert_many([(item("x"), [topic]), (item("y"), [topic])])
        assert await stores[0].deliveries.fan_out() == 120

        async def sender(store: NewsStore) -> list[int]:
            got: list[int] = []
            while batch := await store.deliveries.claim(7):
                got.extend(d.id for d in batch)
                await store.deliveries.mark_sent([(d.id, d.id) for d in batch])
            return got

        taken = await asyncio.gather(*(sender(s) for s in stores for _ in range(2)))
        every = [i for got in taken for i in got]
        assert len(every) == 120 and len(set(every)) == 120
        assert (await stores[0].deliveries.count_by_state())["sent"] == 120
    finally:
        for s in stores:
            await s.close()


async def test_breaking_news_is_taken_before_routine_pushes(store: NewsStore) -> None:
    topic = await _setup(store, 2)
    await store.articles.upsert_many([(item(f"r{n}"), [topic]) for n in range(3)])
    assert await store.deliveries.fan_out() == 6
    broadcast_id, recorded = await store.deliveries.create_broadcast("عاجل", None)
    assert recorded == 2
    assert [d.mode for d in await store.deliveries.claim(10, urgent_only=True)] == ["broadcast", "broadcast"]
    assert await store.deliveries.claim(10, urgent_only=True) == []
    await store.deliveries.requeue_in_flight()
    first = await store.deliveries.claim(3)
    assert [d.mode for d in first] == ["broadcast", "broadcast", "instant"]
    assert all(d.broadcast_id == broadcast_id for d in first[:2])


async def test_a_readers_backlog_is_counted_and_taken_alone(store: NewsStore) -> None:
    topic = await _setup(store, 2)
    await store.articles.upsert_many([(item(f"b{n}"), [topic]) for n in range(4)])
    assert await store.deliveries.fan_out() == 8
    assert await store.deliveries.backlog_sizes([1, 2, 99]) == {1: 4, 2: 4}
    assert await store.deliveries.backlog_sizes([]) == {}
    taken = await store.deliveries.claim_backlog(1, 3)
    assert len(taken) == 3 and {d.reader_id for d in taken} == {1} and all(d.mode == "instant" for d in taken)
    assert taken == sorted(taken, key=lambda d: d.id)
    assert await store.deliveries.backlog_sizes([1, 2]) == {1: 1, 2: 4}


# -- breaking news for editors (issue 12): targeted, scheduled, of an item; items marked urgent ----------


async def test_a_broadcast_to_topics_reaches_their_active_subscribers_once(store: NewsStore) -> None:
    first = await _setup(store, 4)  # readers 1-4 follow «أ»
    second = await store.topics.upsert(TopicSpec("b", "ب"))
    for reader in (4, 5, 6):
        await store.readers.get_or_create(reader, "قارئ")
        await store.subscriptions.subscribe(reader, second.id)
    await store.readers.set_status(6, ReaderStatus.BLOCKED)
    assert await store.deliveries.audience() == 5  # every active reader
    assert await store.deliveries.audience([second.id]) == 2  # 4 and 5 (6 blocked)
    assert await store.deliveries.audience([first, second.id]) == 5  # reader 4 follows both: once
    broadcast_id, recorded = await store.deliveries.create_broadcast("عاجل", 1, topic_ids=[second.id])
    assert recorded == 2
    claimed = await store.deliveries.claim(10)
    assert sorted(d.reader_id for d in claimed) == [4, 5]
    found = await store.deliveries.broadcast(broadcast_id)
    assert found is not None and found.topic_ids == (second.id,) and found.state == "recorded"
    assert found.recorded == 2 and found.article_id is None and found.send_at is None
    assert await store.deliveries.broadcast(broadcast_id + 100) is None


async def test_a_scheduled_broadcast_is_recorded_at_its_time_for_the_readers_of_that_moment(store: NewsStore) -> None:
    await _setup(store, 2)
    broadcast_id, recorded = await store.deliveries.create_broadcast("لاحقًا", 1, send_at=5_000)
    assert recorded == 0
    assert await store.deliveries.claim(10) == []
    assert await store.deliveries.record_due_broadcasts(4_999) == 0
    await store.readers.get_or_create(3, "قارئ جديد")  # joins before its time: reached
    await store.readers.set_status(1, ReaderStatus.STOPPED)  # leaves before its time: not reached
    assert await store.deliveries.record_due_broadcasts(5_000) == 2
    assert await store.deliveries.record_due_broadcasts(9_000) == 0  # recorded once
    found = await store.deliveries.broadcast(broadcast_id)
    assert found is not None and found.state == "recorded" and found.recorded == 2 and found.send_at == 5_000
    assert sorted(d.reader_id for d in await store.deliveries.claim(10)) == [2, 3]


async def test_a_broadcast_of_an_item_replaces_its_queued_routine_pushes(store: NewsStore) -> None:
    topic = await _setup(store, 2)
    (outcome,) = await store.articles.upsert_many([(item("x"), [topic])])
    assert await store.deliveries.fan_out() == 2
    article_id = outcome.article_id
    broadcast_id, recorded = await store.deliveries.create_broadcast("", 1, article_id=article_id)
    assert recorded == 2
    found = await store.deliveries.broadcast(broadcast_id)
    assert found is not None and found.article_id == article_id
    claimed = await store.deliveries.claim(10)
    assert [d.broadcast_id for d in claimed] == [broadcast_id, broadcast_id]  # the routine ones: cancelled
    assert (await store.deliveries.count_by_state())["cancelled"] == 2


async def test_an_item_marked_urgent_goes_in_the_breaking_news_lane(store: NewsStore) -> None:
    topic = await _setup(store, 2)
    await store.readers.change_settings(2, push_mode=PushMode.DIGEST)
    outcomes = await store.articles.upsert_many([(item(f"r{n}"), [topic]) for n in range(3)])
    assert await store.deliveries.fan_out() == 6
    urgent = outcomes[2].article_id
    assert await store.deliveries.mark_urgent(10_000) is None  # no such item
    assert await store.deliveries.mark_urgent(urgent, 4242) == 2  # the instant and the digest reader's
    taken = await store.deliveries.claim(10, urgent_only=True)
    assert sorted(d.reader_id for d in taken) == [1, 2]
    assert all(d.article_id == urgent and d.mode == "broadcast" for d in taken)
    # an item marked urgent before its fan-out is recorded in that lane
    (later,) = await store.articles.upsert_many([(item("later"), [topic])])
    assert await store.deliveries.mark_urgent(later.article_id) == 0
    assert await store.deliveries.fan_out() == 2
    taken = await store.deliveries.claim(10, urgent_only=True)
    assert sorted(d.reader_id for d in taken) == [1, 2] and {d.article_id for d in taken} == {later.article_id}


async def test_a_reader_of_two_of_an_items_topics_gets_it_once_and_each_reader_in_their_mode(store: NewsStore) -> None:
    # PostgreSQL records a round without aggregating when no story or item can give a reader two
    # rows (one topic an item, one item a story): both forms, side by side, must agree
    first = await _setup(store, 3)
    second = (await store.topics.upsert(TopicSpec("b", "ب"))).id
    await store.subscriptions.subscribe(1, second)  # reader 1 follows both
    await store.readers.change_settings(2, push_mode=PushMode.DIGEST)
    both, single = await store.articles.upsert_many([(item("both"), [first, second]), (item("one"), [second])])
    assert await store.deliveries.fan_out() == 4  # "both" to readers 1, 2, 3; "one" to reader 1
    (alone,) = await store.articles.upsert_many([(item("alone"), [first])])
    assert await store.deliveries.mark_urgent(alone.article_id) == 0
    assert await store.deliveries.fan_out() == 3  # one topic, one item: each reader once
    assert await _deliveries_per_article(store, 3) == {both.article_id: 3, single.article_id: 1, alone.article_id: 3}
    modes = {(d.reader_id, d.article_id): d.mode for d in await store.deliveries.claim(20)}
    assert modes[(1, alone.article_id)] == modes[(2, alone.article_id)] == "broadcast"  # urgent, digest reader too
    assert modes[(1, both.article_id)] == "instant" and (2, both.article_id) not in modes  # digest waits
    assert await store.deliveries.count_unsent_by_state() == {"queued": 1, "sending": 6, "failed": 0, "cancelled": 0}


async def test_the_unsent_counts_follow_each_state(store: NewsStore) -> None:
    topic = await _setup(store, 4)
    await store.articles.upsert_many([(item("x"), [topic])])
    assert await store.deliveries.fan_out() == 4
    taken = await store.deliveries.claim(3)
    await store.deliveries.mark_sent([(taken[0].id, 7)])
    await store.deliveries.mark_failed(taken[1].id, "gone")
    await store.readers.set_status(4, ReaderStatus.BLOCKED)
    assert await store.deliveries.count_unsent_by_state() == {"queued": 0, "sending": 1, "failed": 1, "cancelled": 1}
    assert (await store.deliveries.count_by_state())["sent"] == 1
    assert await store.deliveries.requeue_in_flight() == 1
    assert await store.deliveries.count_unsent_by_state() == {"queued": 1, "sending": 0, "failed": 1, "cancelled": 1}
