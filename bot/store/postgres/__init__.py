"""The news store on PostgreSQL (asyncpg, a connection pool), for one or several bot instances
sharing a database: the same repository protocols as the SQLite store (`bot.store.protocols`),
the same behaviour (the contract suite in tests/store runs on both), its own numbered migrations
(bot/store/postgres/migrations). Selected by `NEWSBOT_DB=postgresql://…`.
"""

from __future__ import annotations

from bot.models import StoreStats
from bot.store.location import is_postgres_url, safe_url
from bot.store.postgres.articles import PgArticleRepository
from bot.store.postgres.chats import PgChatRepository
from bot.store.postgres.db import POOL_SIZE, PgDatabase
from bot.store.postgres.deliveries import PgDeliveryRepository
from bot.store.postgres.feeds import PgFeedRepository
from bot.store.postgres.fulltext import PgFullTextRepository
from bot.store.postgres.leader import AdvisoryLeaderLock
from bot.store.postgres.messages import PgMessageRepository
from bot.store.postgres.readers import PgReaderRepository
from bot.store.postgres.subscriptions import PgSubscriptionRepository
from bot.store.postgres.topics import PgTopicRepository
from bot.store.postgres.words import PgWordRepository
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

__all__ = ["PostgresStore", "is_postgres_url", "open_postgres_store", "safe_url"]


class PostgresStore:
    """The PostgreSQL store; each repository typed as its Protocol (mypy checks conformance)."""

    def __init__(self, db: PgDatabase) -> None:
        self.db = db
        topics = PgTopicRepository(db)
        self.topics: TopicStore = topics
        self.articles: ArticleStore = PgArticleRepository(db, topics)
        self.readers: ReaderStore = PgReaderRepository(db)
        self.subscriptions: SubscriptionStore = PgSubscriptionRepository(db)
        self.words: WordStore = PgWordRepository(db)
        self.deliveries: DeliveryStore = PgDeliveryRepository(db)
        self.chats: ChatStore = PgChatRepository(db)
        self.feeds: FeedStore = PgFeedRepository(db)
        self.fulltext: FullTextStore = PgFullTextRepository(db)
        self.messages: MessageStore = PgMessageRepository(db)

    @classmethod
    async def open(cls, url: str, *, pool_size: int = POOL_SIZE) -> PostgresStore:
        """Connect (a pool of up to `pool_size` connections) and migrate."""
        return cls(await PgDatabase.open(url, pool_size=pool_size))

    @property
    def is_new(self) -> bool:
        """True when this open created the schema."""
        return self.db.created

    @property
    def url(self) -> str:
        """The database URL (with its password: never log it; `safe_url` for messages)."""
        return self.db.url

    async def close(self) -> None:
        await self.db.close()

    async def ping(self) -> None:
        await self.db.fetchval("SELECT 1")

    def leader_lock(self) -> LeaderLock:
        """An advisory lock on a connection of its own (bot/store/postgres/leader.py)."""
        return AdvisoryLeaderLock(self.db.url)

    async def stats(self) -> StoreStats:
        return await store_stats(self)


async def open_postgres_store(url: str, *, pool_size: int = POOL_SIZE) -> NewsStore:
    """The PostgreSQL store at `url`, as the engine-neutral NewsStore (mypy checks it conforms)."""
    return await PostgresStore.open(url, pool_size=pool_size)
