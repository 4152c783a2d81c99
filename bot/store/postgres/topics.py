"""Topics on PostgreSQL: the site's stories and sections, each with its article count."""

from __future__ import annotations

from bot.models import Topic, TopicSpec
from bot.store import rows
from bot.store.postgres.db import PgDatabase, now_ts

_COUNTED = "SELECT t.* FROM topics t"


class PgTopicRepository:
    def __init__(self, db: PgDatabase) -> None:
        self._db = db

    async def upsert(self, spec: TopicSpec) -> Topic:
        """Create the topic, or update its name, kind and keywords when the slug exists.

        The content_version row is locked first, as a batch of articles locks it before the topic
        rows its links count: both take the two locks in the same order, so they never deadlock.
        """
        async with self._db.transaction() as conn:
            await conn.execute("SELECT n FROM content_version WHERE id = 1 FOR UPDATE")
            row = await conn.fetchrow(
                """
                INSERT INTO topics (slug, name, kind, keywords, created_at) VALUES ($1, $2, $3, $4, $5)
                ON CONFLICT (slug) DO UPDATE SET
                    name = excluded.name, kind = excluded.kind, keywords = excluded.keywords
                RETURNING *
                """,
                spec.slug,
                spec.name,
                spec.kind.value,
                "\n".join(spec.keywords),
                now_ts(),
            )
        assert row is not None  # RETURNING of an upsert always answers
        return rows.topic(row, row["article_count"])

    async def all(self) -> list[Topic]:
        found = await self._db.fetch(_COUNTED + " ORDER BY t.kind = 'section', t.id")
        return [rows.topic(r, r["article_count"]) for r in found]

    async def by_slug(self, slug: str) -> Topic | None:
        row = await self._db.fetchrow(_COUNTED + " WHERE t.slug = $1", slug)
        return rows.topic(row, row["article_count"]) if row else None

    async def by_id(self, topic_id: int) -> Topic | None:
        row = await self._db.fetchrow(_COUNTED + " WHERE t.id = $1", topic_id)
        return rows.topic(row, row["article_count"]) if row else None

    async def of_article(self, article_id: int) -> tuple[Topic, ...]:
        found = await self._db.fetch(
            """
            SELECT t.* FROM topics t JOIN article_topics at ON at.topic_id = t.id
            WHERE at.article_id = $1 ORDER BY t.kind = 'section', t.id
            """,
            article_id,
        )
        return tuple(rows.topic(r) for r in found)

    async def count(self) -> int:
        return int(await self._db.fetchval("SELECT count(*) FROM topics") or 0)
