"""What both engines share beyond row conversion (bot.store.rows), engine-neutral: a stored
article as `upsert_many` compares it, which items wait for their page's text, the meta keys."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.models import ArticleKind, ParsedItem, StoreStats, origin_site, site_of

if TYPE_CHECKING:
    from bot.store.protocols import NewsStore

# In meta once a fan-out round has run (SQLite migration 0007): the first round only empties the outbox.
FANOUT_STARTED = "fanout_started"


def topic_ids_text(topic_ids: Sequence[int]) -> str:
    """A broadcast's targeted topics as its row stores them: sorted ids, comma-separated ('' = everyone)."""
    return ",".join(str(t) for t in sorted(set(topic_ids)))


def topic_ids_of(text: str | None) -> tuple[int, ...]:
    return tuple(int(t) for t in (text or "").split(",") if t.strip())


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


def needs_page(item: ParsedItem) -> bool:
    """An article stored with a web address and no body: its page is read for the text (bot.runtime.fulltext)."""
    return not item.body and item.kind is ArticleKind.ARTICLE and site_of(item.url) is not None


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
