"""What both engines share beyond row conversion (bot.store.rows), engine-neutral: a stored
article as `upsert_many` compares it, which items wait for their page's text, the meta keys."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.models import ArticleKind, ParsedItem, ReadingReport, StoreStats, offered_zone, origin_site, site_of
from bot.store.errors import StoreRejected
from bot.store.search_terms import query_words

if TYPE_CHECKING:
    from bot.store.protocols import NewsStore

# In meta once a fan-out round has run (SQLite migration 0007): the first round only empties the outbox.
FANOUT_STARTED = "fanout_started"


@dataclass(frozen=True, slots=True)
class Stored:
    """What upsert_many needs of a stored row: to compare, to take over, to reindex."""

    id: int
    guid: str
    url: str | None
    content_hash: str
    headline: str
    lead: str
    body: str
    filled: bool = False  # the body came from the item's page (bot.runtime.fulltext), not from its source

    def claimable_by(self, origin: str, digest: str) -> bool:
        """May a legacy row (origin '') become `origin`'s? When that origin's site is the row's
        (its URL's, else its GUID's), or it brings the very same content."""
        if digest == self.content_hash:
            return True
        return origin_site(origin) == (site_of(self.url) or site_of(self.guid))


DAY = 86400
MISS_CHARS = 100  # a search that found nothing is kept (folded) up to this many characters


def day_of(ts: int) -> int:
    """The UTC day a UNIX time falls in: the bucket subscription changes and search misses count in."""
    return ts // DAY


def miss_key(query: str) -> str:
    """A search that found nothing, as it is counted: its folded words, at most MISS_CHARS."""
    return " ".join(query_words(query))[:MISS_CHARS].strip()


def checked_zone(name: str | None) -> str | None:
    """A reader's time zone as stored: one offered (bot.models.READER_ZONES) or None (the site's);
    any other name is refused, nothing changed."""
    if not offered_zone(name):
        raise StoreRejected(f"time zone {name!r} is not one readers may choose")
    return name


def needs_page(item: ParsedItem) -> bool:
    """An article stored with a web address and no body: its page is read for the text (bot.runtime.fulltext)."""
    return not item.body and item.kind is ArticleKind.ARTICLE and site_of(item.url) is not None


REPORT_ITEMS = 15  # items listed in the reading report
REPORT_MISSES = 10  # searches with no results listed


async def reading_report(store: NewsStore, days: int, now: int) -> ReadingReport:
    """`newsbot stats --days N` and /stats: what readers did with pushes, topics and searches over
    the last `days` days (`now` in UNIX seconds). Counts only: no reader, no reader's words."""
    since = now - days * DAY
    return ReadingReport(
        days=days,
        items=await store.deliveries.reach_since(since, REPORT_ITEMS),
        topics=await store.subscriptions.changes_since(since),
        misses=await store.articles.misses_since(since, REPORT_MISSES),
    )


async def store_stats(store: NewsStore) -> StoreStats:
    """`newsbot stats` and /stats: the counts every engine gives through its repositories."""
    by_status = await store.readers.count_by_status()
    return StoreStats(
        topics=await store.topics.count(),
        articles=await store.articles.count(),
        readers=sum(by_status.values()),
        readers_by_status=by_status,
        subscriptions=await store.subscriptions.count(),
        deliveries_by_state=await store.deliveries.count_by_state(),
        subscriptions_by_topic=await store.subscriptions.count_by_topic(),
        fulltext_by_state=await store.fulltext.count_by_state(),
    )
