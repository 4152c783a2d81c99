"""The news store: one SQLite file through aiosqlite, with a repository per kind of record.

SQL lives only in this package. The rest of the bot types against the Protocols in
`bot.store.protocols` and handles the errors in `bot.store.errors`; `Store` is the SQLite engine
that implements them.
"""

from __future__ import annotations

from pathlib import Path

from bot.models import PendingDelivery, StoreStats, UpsertOutcome
from bot.store.errors import StoreBusy, StoreCorrupt, StoreError, StoreRejected, StoreUnavailable
from bot.store.leadership import SoleLeader
from bot.store.location import is_postgres_url, safe_url
from bot.store.protocols import (
    ArticleStore,
    ChatStore,
    DeliveryStore,
    FeedStore,
    FullTextStore,
    LeaderLock,
    MessageStore,
    NewsStore,
    ReaderStore,
    SubscriptionStore,
    TopicStore,
    WordStore,
)
from bot.store.records import store_stats
from bot.store.sqlite.articles import ArticleRepository
from bot.store.sqlite.backup import BackupError, BackupResult, backup_store
from bot.store.sqlite.chats import ChatRepository
from bot.store.sqlite.db import Database, store_error
from bot.store.sqlite.deliveries import DeliveryRepository
from bot.store.sqlite.feeds import FeedRepository
from bot.store.sqlite.fulltext import FullTextRepository
from bot.store.sqlite.messages import MessageRepository
from bot.store.sqlite.readers import ReaderRepository
from bot.store.sqlite.subscriptions import SubscriptionRepository
from bot.store.sqlite.topics import TopicRepository
from bot.store.sqlite.words import WordRepository

__all__ = [
    "BackupError",
    "BackupResult",
    "NewsStore",
    "PendingDelivery",
    "Store",
    "StoreBusy",
    "StoreCorrupt",
    "StoreError",
    "StoreRejected",
    "StoreUnavailable",
    "UpsertOutcome",
    "backup_store",
    "is_postgres_url",
    "open_store",
    "safe_url",
    "store_error",
]


class Store:
    """The SQLite store. Each repository is typed as its Protocol, so mypy checks here that the
    SQLite classes implement what the rest of the bot may call, and nothing else leaks out."""

    def __init__(self, db: Database) -> None:
        self.db = db
        topics = TopicRepository(db)
        self.topics: TopicStore = topics
        self.articles: ArticleStore = ArticleRepository(db, topics)
        self.readers: ReaderStore = ReaderRepository(db)
        self.subscriptions: SubscriptionStore = SubscriptionRepository(db)
        self.words: WordStore = WordRepository(db)
        self.deliveries: DeliveryStore = DeliveryRepository(db)
        self.chats: ChatStore = ChatRepository(db)
        self.feeds: FeedStore = FeedRepository(db)
        self.fulltext: FullTextStore = FullTextRepository(db)
        self.messages: MessageStore = MessageRepository(db)

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

    def leader_lock(self) -> LeaderLock:
        """One instance per SQLite store: it is always the leader (bot/store/leadership.py)."""
        return SoleLeader()

    async def stats(self) -> StoreStats:
        return await store_stats(self)


async def open_store(path: str | Path) -> NewsStore:
    """The store NEWSBOT_DB names, as the engine-neutral NewsStore: a `postgresql://` URL opens the
    PostgreSQL store (bot/store/postgres), anything else the SQLite file at `path` (mypy checks both
    conform)."""
    if isinstance(path, str) and is_postgres_url(path):
        from bot.store.postgres import open_postgres_store  # asyncpg only when it is used

        return await open_postgres_store(path)
    return await Store.open(path)
