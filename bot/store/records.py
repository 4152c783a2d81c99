"""What both engines share beyond row conversion (bot.store.rows), engine-neutral: a stored
article as `upsert_many` compares it, which items wait for their page's text, the meta keys."""

from __future__ import annotations

from dataclasses import dataclass

from bot.models import ArticleKind, ParsedItem, origin_site, site_of

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


def needs_page(item: ParsedItem) -> bool:
    """An article stored with a web address and no body: its page is read for the text (bot.runtime.fulltext)."""
    return not item.body and item.kind is ArticleKind.ARTICLE and site_of(item.url) is not None
