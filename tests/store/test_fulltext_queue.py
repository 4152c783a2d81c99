"""The full-text queue's contract (FullTextStore), once per engine: rows written with the articles,
due items taken with a lease by one claimer at a time, filled or given up with the article's state."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from bot.models import ArticleKind, PageText, ParsedItem
from bot.store.protocols import NewsStore
from tests.store.conftest import StoreOpener


def summary(n: int, lead: str = "مقدمة", **kw: object) -> ParsedItem:
    """A feed item with a link and no body: its page is to be read."""
    url = f"https://news.example/{n}"
    return ParsedItem(guid=url, headline=f"خبر رقم {n}", url=url, lead=lead, **kw)  # type: ignore[arg-type]


async def test_items_with_a_link_and_no_body_enter_the_queue_with_their_batch(store: NewsStore) -> None:
    outcomes = await store.articles.upsert_many(
        [
            (summary(1), []),
            (summary(2, body=("فقرة كاملة من المصدر",)), []),  # a body already: nothing to read
            (summary(3, kind=ArticleKind.VIDEO), []),  # not an article page
            (ParsedItem(guid="no-link", headline="بلا رابط"), []),
        ]
    )
    assert (await store.fulltext.count_by_state())["pending"] == 1
    queued = await store.fulltext.job(outcomes[0].article_id)
    assert queued is not None and queued.url == "https://news.example/1" and queued.attempts == 0
    assert [await store.fulltext.job(o.article_id) for o in outcomes[1:]] == [None, None, None]
    article = await store.articles.get(outcomes[0].article_id)
    assert article is not None and article.fulltext == "pending"
    other = await store.articles.get(outcomes[1].article_id)
    assert other is not None and other.fulltext is None


async def test_a_claimed_item_is_not_handed_out_again_until_its_lease_ends(store: NewsStore) -> None:
    await store.articles.upsert_many([(summary(n), []) for n in range(3)])
    now = 1_800_000_000
    first = await store.fulltext.claim(2, lease=60, now=now)
    assert len(first) == 2
    rest = await store.fulltext.claim(10, lease=60, now=now)
    assert len(rest) == 1 and rest[0].article_id not in {j.article_id for j in first}
    assert await store.fulltext.claim(10, lease=60, now=now + 59) == []
    again = await store.fulltext.claim(10, lease=60, now=now + 61)
    assert sorted(j.article_id for j in again) == sorted(j.article_id for j in [*first, *rest])


async def test_claims_at_once_from_two_connections_never_share_an_item(open_store: StoreOpener) -> None:
    one, two = await open_store(), await open_store()
    try:
        await one.articles.upsert_many([(summary(n), []) for n in range(40)])
        now = 1_800_000_000
        a, b = await asyncio.gather(
            one.fulltext.claim(25, lease=60, now=now), two.fulltext.claim(25, lease=60, now=now)
        )
        ids_a, ids_b = {j.article_id for j in a}, {j.article_id for j in b}
        assert not ids_a & ids_b
        assert len(ids_a | ids_b) == 40
    finally:
        await one.close()
        await two.close()


async def test_a_filled_page_is_stored_searchable_and_kept_when_the_summary_comes_again(store: NewsStore) -> None:
    (outcome,) = await store.articles.upsert_many([(summary(1), [])])
    page = PageText(
        body=("الفقرة الأولى عن الخزانات الجوفية", "الفقرة الثانية"),
        image_url="https://news.example/1.jpg",
        author="مراسل",
        published_at=datetime(2026, 3, 24, tzinfo=UTC),
        date_only=True,
    )
    assert await store.fulltext.fill(outcome.article_id, page)
    assert not await store.fulltext.fill(outcome.article_id, page)  # already filled
    article = await store.articles.get(outcome.article_id)
    assert article is not None
    assert article.body == page.body and article.image_url == page.image_url and article.author == "مراسل"
    assert article.date_only and article.published_at == page.published_at and article.fulltext == "done"
    assert [s.id for s in await store.articles.search("الخزانات الجوفية")] == [outcome.article_id]
    assert (await store.fulltext.count_by_state())["done"] == 1
    # the feed brings the same item with a new lead: the page's text stays, nothing is queued again
    (again,) = await store.articles.upsert_many([(summary(1, lead="مقدمة معدلة"), [])])
    assert again.status == "updated"
    article = await store.articles.get(outcome.article_id)
    assert article is not None and article.body == page.body and article.lead == "مقدمة معدلة"
    assert await store.fulltext.job(outcome.article_id) is None


async def test_a_failure_is_retried_later_or_given_up(store: NewsStore) -> None:
    first, second = await store.articles.upsert_many([(summary(1), []), (summary(2), [])])
    now = 1_800_000_000
    await store.fulltext.fail(first.article_id, "timeout", retry_at=now + 300)
    await store.fulltext.fail(second.article_id, "not a web page", retry_at=None)
    counts = await store.fulltext.count_by_state()
    assert counts["retrying"] == 1 and counts["failed"] == 1 and counts["pending"] == 0
    assert await store.fulltext.next_due() == now + 300
    assert await store.fulltext.claim(10, lease=60, now=now + 299) == []
    (job,) = await store.fulltext.claim(10, lease=60, now=now + 300)
    assert job.article_id == first.article_id and job.attempts == 1
    assert await store.fulltext.job(second.article_id) is None
    given_up = await store.articles.get(second.article_id)
    assert given_up is not None and given_up.fulltext == "failed"
    retrying = await store.articles.get(first.article_id)
    assert retrying is not None and retrying.fulltext == "retrying"


async def test_postponed_items_wait_without_an_attempt_counted(store: NewsStore) -> None:
    outcomes = await store.articles.upsert_many([(summary(n), []) for n in range(3)])
    ids = [o.article_id for o in outcomes]
    now = 1_800_000_000
    taken = await store.fulltext.claim(10, lease=60, now=now)
    assert sorted(j.article_id for j in taken) == sorted(ids)
    await store.fulltext.postpone(ids[:2], now + 600)
    await store.fulltext.postpone([], now + 600)  # nothing to do
    # the third comes back when its lease ends; the two postponed only at their time, never tried
    assert [j.article_id for j in await store.fulltext.claim(10, lease=10_000, now=now + 61)] == [ids[2]]
    assert await store.fulltext.claim(10, lease=60, now=now + 599) == []
    again = await store.fulltext.claim(10, lease=60, now=now + 600)
    assert sorted(j.article_id for j in again) == sorted(ids[:2]) and {j.attempts for j in again} == {0}
    # the filler's lease is released: due at the time given, even before the lease would end
    await store.fulltext.postpone(ids[:1], now + 620)
    assert await store.fulltext.claim(10, lease=60, now=now + 619) == []
    assert [j.article_id for j in await store.fulltext.claim(10, lease=60, now=now + 650)] == ids[:1]
    # a filled item stays filled
    assert await store.fulltext.fill(ids[1], PageText(body=("فقرة من الصفحة",)))
    await store.fulltext.postpone(ids[1:2], now + 10_000)
    article = await store.articles.get(ids[1])
    assert article is not None and article.fulltext == "done"
    assert (await store.fulltext.count_by_state())["retrying"] == 0
