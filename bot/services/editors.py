"""What editors (NEWSBOT_ADMINS) do from Telegram: the store's numbers, breaking-news broadcasts,
ingesting a feed or page now, and topics and feeds (bot/services/newsroom.py). New items and broadcasts
are pushed by delivery, woken at once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from bot.config import Settings
from bot.models import ReadingReport, StoreStats
from bot.services.newsroom import Newsroom
from bot.store.protocols import NewsStore
from bot.store.records import reading_report

REPORT_DAYS = (1, 366)  # the reading report's period, in days: the least and the most

if TYPE_CHECKING:
    from bot.ingest.service import IngestReport


class Editors:
    """The editors' service; ``kick`` runs a delivery round now instead of at the next interval."""

    def __init__(
        self,
        store: NewsStore,
        settings: Settings,
        kick: Callable[[], None],
        on_ingested: Callable[[int, int], None] | None = None,
    ) -> None:
        self.store = store
        self.settings = settings
        self.kick = kick
        self.on_ingested = on_ingested  # (added, updated): the metrics' count of items ingested
        self.newsroom = Newsroom(store)  # topics and feeds (/topic, /feeds), as `newsbot topics|feeds`

    async def stats(self) -> StoreStats:
        return await self.store.stats()

    async def reading(self, days: int, now: int) -> ReadingReport | None:
        """What readers did over the last `days` days (`now` in UNIX seconds): pushes sent and
        opened per item, subscriptions gained and lost per topic, searches with no results. None
        for a period out of range."""
        if not REPORT_DAYS[0] <= days <= REPORT_DAYS[1]:
            return None
        return await reading_report(self.store, days, now)

    async def active_readers(self) -> int:
        """How many readers a broadcast would reach."""
        return (await self.store.readers.count_by_status())["active"]

    async def broadcast(self, text: str, editor_id: int) -> tuple[int, int]:
        """Record the text and one delivery per active reader; returns (broadcast id, deliveries)."""
        recorded = await self.store.deliveries.create_broadcast(text, editor_id)
        self.kick()
        return recorded

    async def ingest(self, source: str) -> IngestReport:
        """Store the items of one feed or article page now (the conditional request of feed polling)."""
        from bot.ingest.service import ingest_sources  # parsers and the HTTP client load on first use

        settings = self.settings
        report = await ingest_sources(
            self.store,
            [source],
            max_bytes=settings.fetch_max_bytes,
            timeout=settings.fetch_timeout,
            allow_private=settings.fetch_allow_private,
        )
        if self.on_ingested is not None:
            self.on_ingested(report.added, report.updated)
        if report.added:
            self.kick()
        return report
