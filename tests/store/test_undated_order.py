"""«آخر الأخبار» with items without a date (issue 17), on both engines: by publication, and an undated
item where it was stored (beside the item stored just before it), never on top of newer news."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.models import ParsedItem, TopicSpec
from bot.store.protocols import NewsStore


def item(guid: str, published: datetime | None = None) -> ParsedItem:
    return ParsedItem(guid=guid, headline=f"خبر {guid}", url=f"https://example.com/{guid}", published_at=published)


APRIL = datetime(2026, 4, 1, tzinfo=UTC)
MARCH = datetime(2026, 3, 1, tzinfo=UTC)
FEBRUARY = datetime(2026, 2, 1, tzinfo=UTC)


async def test_undated_items_sit_where_they_were_stored(store: NewsStore) -> None:
    topic = await store.topics.upsert(TopicSpec("t", "موضوع"))
    # A new store's first item has no date: nothing was stored before it, so it goes last.
    await store.articles.upsert_many([(item("u0"), [topic.id]), (item("d1", APRIL), []), (item("d2", MARCH), [])])
    # Stored right after d2 (March): beside it, above it, below April's; then an older dated item.
    await store.articles.upsert_many([(item("u1"), [topic.id]), (item("d3", FEBRUARY), [])])
    order = [a.headline.removeprefix("خبر ") for a in await store.articles.latest(10)]
    assert order == ["d1", "u1", "d2", "d3", "u0"]
    assert [a.headline.removeprefix("خبر ") for a in await store.articles.latest(10, topic_id=topic.id)] == [
        "u1",
        "u0",
    ]
    # An undated item that gets its date later is ordered by it.
    await store.articles.upsert_many([(item("u0", datetime(2026, 5, 1, tzinfo=UTC)), [topic.id])])
    order = [a.headline.removeprefix("خبر ") for a in await store.articles.latest(10)]
    assert order == ["u0", "d1", "u1", "d2", "d3"]
