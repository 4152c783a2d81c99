"""Configured feeds with their conditional-request state, on PostgreSQL."""

from __future__ import annotations

from bot.models import Feed
from bot.store import rows
from bot.store.postgres.db import PgDatabase, now_ts


class PgFeedRepository:
    def __init__(self, db: PgDatabase) -> None:
        self._db = db

    async def upsert(self, url: str, topic_slug: str | None = None) -> Feed:
        row = await self._db.fetchrow(
            "INSERT INTO feeds (url, topic_slug) VALUES ($1, $2) "
            "ON CONFLICT (url) DO UPDATE SET topic_slug = coalesce(excluded.topic_slug, feeds.topic_slug) "
            "RETURNING *",
            url,
            topic_slug,
        )
        assert row is not None  # RETURNING of an upsert always answers
        return rows.feed(row)

    async def get(self, url: str) -> Feed | None:
        row = await self._db.fetchrow("SELECT * FROM feeds WHERE url = $1", url)
        return rows.feed(row) if row else None

    async def all(self) -> list[Feed]:
        return [rows.feed(r) for r in await self._db.fetch("SELECT * FROM feeds ORDER BY id")]

    async def record_poll(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        error: str | None = None,
    ) -> None:
        """Remember a poll: validators from a good answer are kept for the next conditional request."""
        await self._db.execute(
            """
            INSERT INTO feeds (url, last_polled_at, last_error, etag, last_modified)
            VALUES ($1, $2, $3::text, CASE WHEN $3::text IS NULL THEN $4::text END,
                    CASE WHEN $3::text IS NULL THEN $5::text END)
            ON CONFLICT (url) DO UPDATE SET last_polled_at = $2, last_error = $3::text,
                etag = CASE WHEN $3::text IS NULL THEN coalesce($4::text, feeds.etag) ELSE feeds.etag END,
                last_modified = CASE WHEN $3::text IS NULL THEN coalesce($5::text, feeds.last_modified)
                                ELSE feeds.last_modified END
            """,
            url,
            now_ts(),
            error,
            etag,
            last_modified,
        )
