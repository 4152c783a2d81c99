"""Configured feeds with their conditional-request state."""

from __future__ import annotations

from bot.models import Feed
from bot.store import rows
from bot.store.sqlite.db import Database, now_ts


class FeedRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def upsert(self, url: str, topic_slug: str | None = None) -> Feed:
        async with self._db.write() as conn:
            await conn.execute(
                "INSERT INTO feeds (url, topic_slug) VALUES (?, ?) "
                "ON CONFLICT (url) DO UPDATE SET topic_slug = coalesce(excluded.topic_slug, topic_slug)",
                (url, topic_slug),
            )
        feed = await self.get(url)
        assert feed is not None  # written just above, in this connection
        return feed

    async def add(self, url: str, topic_slug: str | None = None, every: int | None = None) -> tuple[Feed, bool]:
        """An editor's feed: added, or its topic and interval set when it is listed. True when new."""
        async with self._db.write() as conn:
            cur = await conn.execute(
                "INSERT OR IGNORE INTO feeds (url, topic_slug, every) VALUES (?, ?, ?)", (url, topic_slug, every)
            )
            added = cur.rowcount == 1
            if not added:
                await conn.execute("UPDATE feeds SET topic_slug = ?, every = ? WHERE url = ?", (topic_slug, every, url))
        feed = await self.get(url)
        assert feed is not None  # written just above, in this connection
        return feed, added

    async def remove(self, url: str) -> bool:
        """Stop polling a feed; True when it was listed (its items stay)."""
        async with self._db.write() as conn:
            cur = await conn.execute("DELETE FROM feeds WHERE url = ?", (url,))
            return cur.rowcount == 1

    async def count_added(self, url: str, added: int) -> None:
        """Items a poll of this feed added to the store (shown by `newsbot feeds list`)."""
        if added:
            async with self._db.write() as conn:
                await conn.execute("UPDATE feeds SET items_added = items_added + ? WHERE url = ?", (added, url))

    async def get(self, url: str) -> Feed | None:
        row = await self._db.fetch_one("SELECT * FROM feeds WHERE url = ?", (url,))
        return rows.feed(row) if row else None

    async def all(self) -> list[Feed]:
        return [rows.feed(r) for r in await self._db.fetch_all("SELECT * FROM feeds ORDER BY id")]

    async def record_poll(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        error: str | None = None,
    ) -> None:
        """Remember a poll: validators from a good answer are kept for the next conditional request."""
        async with self._db.write() as conn:
            await conn.execute(
                "INSERT OR IGNORE INTO feeds (url) VALUES (?)",
                (url,),
            )
            await conn.execute(
                """
                UPDATE feeds SET last_polled_at = ?, last_error = ?,
                    etag = CASE WHEN ? IS NULL THEN coalesce(?, etag) ELSE etag END,
                    last_modified = CASE WHEN ? IS NULL THEN coalesce(?, last_modified) ELSE last_modified END
                WHERE url = ?
                """,
                (now_ts(), error, error, etag, error, last_modified, url),
            )
