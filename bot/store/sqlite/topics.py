"""Topics: the site's stories and sections."""

from __future__ import annotations

from bot.models import Topic, TopicSpec
from bot.store import rows
from bot.store.sqlite.db import Database, now_ts

# article_count is kept by triggers on article_topics (migration 0003), not counted per read.
_COUNTED = "SELECT t.* FROM topics t"


class TopicRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def upsert(self, spec: TopicSpec) -> Topic:
        """Create the topic, or update its name, kind and keywords when the slug exists."""
        async with self._db.write() as conn:
            await conn.execute(
                """
                INSERT INTO topics (slug, name, kind, keywords, created_at) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (slug) DO UPDATE SET
                    name = excluded.name, kind = excluded.kind, keywords = excluded.keywords
                """,
                (spec.slug, spec.name, spec.kind.value, "\n".join(spec.keywords), now_ts()),
            )
        found = await self.by_slug(spec.slug)
        assert found is not None  # written just above, in this connection
        return found

    async def all(self) -> list[Topic]:
        """Every topic with its article count: stories first, then sections, each by name."""
        found = await self._db.fetch_all(_COUNTED + " ORDER BY t.kind = 'section', t.id")
        return [rows.topic(r, r["article_count"]) for r in found]

    async def by_slug(self, slug: str) -> Topic | None:
        row = await self._db.fetch_one(_COUNTED + " WHERE t.slug = ?", (slug,))
        return rows.topic(row, row["article_count"]) if row else None

    async def by_id(self, topic_id: int) -> Topic | None:
        row = await self._db.fetch_one(_COUNTED + " WHERE t.id = ?", (topic_id,))
        return rows.topic(row, row["article_count"]) if row else None

    async def of_article(self, article_id: int) -> tuple[Topic, ...]:
        found = await self._db.fetch_all(
            """
            SELECT t.* FROM topics t JOIN article_topics at ON at.topic_id = t.id
            WHERE at.article_id = ? ORDER BY t.kind = 'section', t.id
            """,
            (article_id,),
        )
        return tuple(rows.topic(r) for r in found)

    async def count(self) -> int:
        row = await self._db.fetch_one("SELECT count(*) FROM topics")
        return int(row[0]) if row else 0
