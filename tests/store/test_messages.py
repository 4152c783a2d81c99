"""Sent messages, corrections and withdrawals: the store's contract (each test once per engine).

What a push produced is recorded with its delivery's mark; a change of headline, lead or picture
becomes one edit job per live message within the window; a withdrawal hides the item everywhere,
cancels what was not sent and queues a deletion per message; jobs are taken once and come back after
a crash."""

from __future__ import annotations

from bot.models import EDIT_WINDOW, JobOutcome, ParsedItem, TopicSpec
from bot.store.protocols import NewsStore
from bot.store.records import TOO_OLD, WITHDRAWN


def item(guid: str, headline: str = "عنوان أول للخبر", image: str | None = None, lead: str = "مقدمة") -> ParsedItem:
    return ParsedItem(guid=guid, headline=headline, lead=lead, image_url=image)


async def _pushed(store: NewsStore, readers: int, *kinds: str) -> tuple[int, int]:
    """An item stored, fanned out to `readers` readers and marked sent (message id 100 + reader)."""
    topic = await store.topics.upsert(TopicSpec("a", "أ"))
    assert await store.deliveries.fan_out() == 0
    for reader in range(1, readers + 1):
        await store.readers.get_or_create(reader, "قارئ")
        await store.subscriptions.subscribe(reader, topic.id)
    (outcome,) = await store.articles.upsert_many([(item("x", image="https://cdn.example.com/a.jpg"), [topic.id])])
    assert await store.deliveries.fan_out() == readers
    taken = await store.deliveries.claim(100)
    sent = [(d.id, 100 + d.reader_id) for d in taken]
    chosen = list(kinds) or ["text"] * len(sent)
    photos = ["https://cdn.example.com/a.jpg" if k == "photo" else None for k in chosen]
    await store.deliveries.mark_sent(sent, chosen, photos)
    return outcome.article_id, topic.id


async def test_a_sent_push_is_recorded_with_its_message_kind_and_picture(store: NewsStore) -> None:
    article_id, _ = await _pushed(store, 2, "text", "photo")
    found = await store.messages.sent_for_article(article_id)
    assert sorted((m.chat_id, m.message_id, m.kind, m.photo) for m in found) == [
        (1, 101, "text", None),
        (2, 102, "photo", "https://cdn.example.com/a.jpg"),
    ]
    assert all(m.sent_at > 0 and not m.deleted for m in found)


async def test_a_changed_headline_queues_one_edit_per_message_and_an_unchanged_item_none(store: NewsStore) -> None:
    article_id, topic = await _pushed(store, 3)
    now = (await store.messages.sent_for_article(article_id))[0].sent_at
    await store.articles.upsert_many([(item("x", image="https://cdn.example.com/a.jpg"), [topic])])  # the same
    assert await store.messages.plan_corrections(now=now, window=EDIT_WINDOW) == []
    await store.articles.upsert_many([(item("x", "عنوان مصحح", image="https://cdn.example.com/a.jpg"), [topic])])
    await store.articles.upsert_many([(item("x", "عنوان مصحح ثانية", image="https://cdn.example.com/a.jpg"), [topic])])
    assert await store.messages.plan_corrections(now=now, window=EDIT_WINDOW) == [article_id]
    assert await store.messages.plan_corrections(now=now, window=EDIT_WINDOW) == []  # the outbox is empty
    jobs = await store.messages.claim(10)
    assert sorted(j.message.chat_id for j in jobs) == [1, 2, 3] and {j.action for j in jobs} == {"edit"}
    assert await store.messages.claim(10) == []  # taken once


async def test_a_correction_after_the_window_is_recorded_as_too_old(store: NewsStore) -> None:
    article_id, topic = await _pushed(store, 2)
    sent_at = (await store.messages.sent_for_article(article_id))[0].sent_at
    await store.articles.upsert_many([(item("x", lead="مقدمة مصححة", image="https://cdn.example.com/a.jpg"), [topic])])
    await store.messages.plan_corrections(now=sent_at + EDIT_WINDOW + 1, window=EDIT_WINDOW)
    assert await store.messages.claim(10) == []
    assert await store.messages.jobs_for_article(article_id) == [("edit", "skipped", TOO_OLD)] * 2


async def test_jobs_in_flight_come_back_after_a_crash_and_finish_records_the_outcome(store: NewsStore) -> None:
    article_id, topic = await _pushed(store, 2)
    await store.articles.upsert_many([(item("x", image="https://cdn.example.com/b.jpg"), [topic])])
    sent_at = (await store.messages.sent_for_article(article_id))[0].sent_at
    await store.messages.plan_corrections(now=sent_at, window=EDIT_WINDOW)
    first = await store.messages.claim(1)
    assert len(first) == 1
    assert await store.messages.requeue_in_flight() == 1
    again = await store.messages.claim(10)
    assert len(again) == 2 and max(j.attempts for j in again) == 2
    await store.messages.finish(
        [JobOutcome(again[0].id, "done"), JobOutcome(again[1].id, "skipped", "refused: message can't be edited")],
        pictures=[(again[0].message.chat_id, again[0].message.message_id, "https://cdn.example.com/b.jpg")],
    )
    assert sorted(s for _, s, _ in await store.messages.jobs_for_article(article_id)) == ["done", "skipped"]
    photos = {m.chat_id: m.photo for m in await store.messages.sent_for_article(article_id)}
    assert photos[again[0].message.chat_id] == "https://cdn.example.com/b.jpg"


async def test_withdrawing_hides_the_item_cancels_the_queue_and_queues_deletions(store: NewsStore) -> None:
    topic = await store.topics.upsert(TopicSpec("a", "أ"))
    assert await store.deliveries.fan_out() == 0
    for reader in (1, 2, 3):
        await store.readers.get_or_create(reader, "قارئ")
        await store.subscriptions.subscribe(reader, topic.id)
    (outcome,) = await store.articles.upsert_many([(item("w", "خبر سيسحب من النشر"), [topic.id])])
    article_id = outcome.article_id
    assert await store.deliveries.fan_out() == 3
    taken = await store.deliveries.claim(2)
    await store.deliveries.mark_sent([(taken[0].id, 500)])
    old = taken[0].reader_id
    sent_at = (await store.messages.sent_for_article(article_id))[0].sent_at
    assert [a.id for a in await store.articles.search("سيسحب")] == [article_id]

    plan = await store.messages.withdraw(article_id, now=sent_at, window=EDIT_WINDOW)
    assert plan is not None and plan.headline == "خبر سيسحب من النشر"
    assert (plan.cancelled, plan.queued, plan.too_old, plan.already) == (1, 1, 0, False)
    assert await store.articles.get(article_id) is None
    assert article_id not in [a.id for a in await store.articles.latest(50)]
    assert await store.articles.search("سيسحب") == []
    assert await store.articles.count(topic_id=topic.id) == 0
    (job,) = await store.messages.claim(10, article_id=article_id)
    assert (job.action, job.message.chat_id, job.message.message_id) == ("delete", old, 500)

    # The one in flight at the withdrawal is confirmed afterwards: its deletion is queued at once.
    await store.deliveries.mark_sent([(taken[1].id, 501)])
    (late,) = await store.messages.claim(10)
    assert (late.action, late.message.message_id) == ("delete", 501)
    rows = [row for reader in (1, 2, 3) for row in await store.deliveries.for_reader(reader)]
    assert sorted((state, error) for _, _, state, error in rows) == [
        ("cancelled", WITHDRAWN),
        ("sent", None),
        ("sent", None),
    ]

    # The feed bringing it again changes nothing: not back in the lists, not pushed again.
    (again,) = await store.articles.upsert_many([(item("w", "خبر سيسحب من النشر معدل"), [topic.id])])
    assert again.status == "unchanged" and await store.articles.get(article_id) is None
    assert await store.deliveries.fan_out() == 0
    assert await store.messages.plan_corrections(now=sent_at, window=EDIT_WINDOW) == []

    second = await store.messages.withdraw(article_id, now=sent_at, window=EDIT_WINDOW)
    assert second is not None and second.already
    assert await store.messages.withdraw(999_999, now=sent_at, window=EDIT_WINDOW) is None


async def test_withdrawing_after_the_window_records_the_messages_as_too_old(store: NewsStore) -> None:
    article_id, _ = await _pushed(store, 2)
    sent_at = (await store.messages.sent_for_article(article_id))[0].sent_at
    plan = await store.messages.withdraw(article_id, now=sent_at + EDIT_WINDOW, window=EDIT_WINDOW)
    assert plan is not None and (plan.queued, plan.too_old) == (0, 2)
    assert await store.messages.claim(10) == []


async def test_a_backlog_listing_names_its_items_and_is_rewritten_not_deleted_on_withdrawal(store: NewsStore) -> None:
    topic = await store.topics.upsert(TopicSpec("a", "أ"))
    assert await store.deliveries.fan_out() == 0
    await store.readers.get_or_create(7, "قارئ")
    await store.subscriptions.subscribe(7, topic.id)
    outcomes = await store.articles.upsert_many([(item(f"b{n}", f"عنوان {n}"), [topic.id]) for n in range(3)])
    assert await store.deliveries.fan_out() == 3
    taken = await store.deliveries.claim(10)
    await store.deliveries.mark_sent([(d.id, 900) for d in taken], ["backlog"] * 3)
    ids = [o.article_id for o in outcomes]
    assert await store.messages.listing(7, 900) == ids
    sent_at = (await store.messages.sent_for_article(ids[1]))[0].sent_at
    await store.messages.withdraw(ids[1], now=sent_at, window=EDIT_WINDOW)
    assert await store.messages.listing(7, 900) == [ids[0], ids[2]]
    (job,) = await store.messages.claim(10)
    assert (job.action, job.message.kind) == ("edit", "backlog")
    await store.messages.finish([JobOutcome(job.id, "done")], deleted=[(7, 900)])
    sent = [m for a in ids for m in await store.messages.sent_for_article(a)]
    assert len(sent) == 3 and all(m.deleted for m in sent)
