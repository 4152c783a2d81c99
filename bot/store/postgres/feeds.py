"""Configured feeds with their conditional-request state, on PostgreSQL."""

from __future__ import annotations

from bot.models import Feed
from bot.store import rows
from bot.store.postgres.db import PgDatabase, affected, now_ts


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

    async def add(self, url: str, topic_slug: str | None = None, every: int | None = None) -> tuple[Feed, bool]:
        """An editor's feed: added, or its topic and interval set when it is listed. True when new."""
        row = await self._db.fetchrow(
            "INSERT INTO feeds (url, topic_slug, every) VALUES ($1, $2, $3) "
            "ON CONFLICT (url) DO UPDATE SET topic_slug = excluded.topic_slug, every = excluded.every "
            "RETURNING *, (xmax = 0) AS added",
            url,
            topic_slug,
            every,
        )
        assert row is not None  # RETURNING of an upsert always answers
        return rows.feed(row), bool(row["added"])

    async def remove(self, url: str) -> bool:
        """Stop polling a feed; True when it was listed (its items stay)."""
        return affected(await self._db.execute("DELETE FROM feeds WHERE url = $1", url)) == 1

    async def count_added(self, url: str, added: int) -> None:
        """Items a poll of this feed added to the store (shown by `newsbot feeds list`)."""
        if added:
            await self._db.execute("UPDATE feeds SET items_added = items_added + $1 WHERE url = $2", added, url)

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
