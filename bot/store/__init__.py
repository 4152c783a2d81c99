"""The news store: one SQLite file through aiosqlite, with a repository per kind of record.

SQL lives only in this package.
"""

from __future__ import annotations

from pathlib import Path

from bot.models import StoreStats
from bot.store.articles import ArticleRepository, UpsertOutcome
from bot.store.backup import BackupError, BackupResult, backup_store
from bot.store.db import Database, StoreError, store_error
from bot.store.deliveries import DeliveryRepository, PendingDelivery
from bot.store.feeds import FeedRepository
from bot.store.readers import ReaderRepository
from bot.store.subscriptions import SubscriptionRepository
from bot.store.topics import TopicRepository

__all__ = [
    "BackupError",
    "BackupResult",
    "PendingDelivery",
    "Store",
    "StoreError",
    "UpsertOutcome",
    "backup_store",
    "store_error",
]


class Store:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.topics = TopicRepository(db)
        self.articles = ArticleRepository(db, self.topics)
        self.readers = ReaderRepository(db)
        self.subscriptions = SubscriptionRepository(db)
        self.deliveries = DeliveryRepository(db)
        self.feeds = FeedRepository(db)

    @classmethod
    async def open(cls, path: str | Path) -> Store:
        """Open (creating and migrating as needed) the store file."""
        return cls(await Database.open(path))

    @property
    def is_new(self) -> bool:
        """True when this open created the file."""
        return self.db.created

    @property
    def path(self) -> Path:
        return self.db.path

    async def close(self) -> None:
        await self.db.close()

    async def ping(self) -> None:
        """A trivial query on the store's connection: raises when the store cannot answer (health checks)."""
        await self.db.fetch_one("SELECT 1")

    async def stats(self) -> StoreStats:
        by_status = await self.readers.count_by_status()
        return StoreStats(
            topics=await self.topics.count(),
            articles=await self.articles.count(),
            readers=sum(by_status.values()),
            readers_by_status=by_status,
            subscriptions=await self.subscriptions.count(),
            deliveries_by_state=await self.deliveries.count_by_state(),
            subscriptions_by_topic=await self.subscriptions.count_by_topic(),
        )
