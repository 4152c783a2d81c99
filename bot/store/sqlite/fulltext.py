"""The full-text queue (migration 0009): items with a link and no body, waiting for their page.

Rows enter in ArticleRepository.upsert_many's transaction; the filler takes due rows with a lease
(`claim`), then stores what the page gave (`fill`, the article and its search entry together) or
why it did not (`fail`: retried at a later time, or given up).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from bot.models import FullTextJob, PageText
from bot.store import rows
from bot.store.search_terms import indexed
from bot.store.sqlite.db import Database, now_ts


class FullTextRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def claim(self, limit: int, *, lease: int, now: int | None = None) -> list[FullTextJob]:
        """Take up to `limit` due items (never tried first, then the oldest retry), moving their
        next try `lease` seconds on so no other process takes them meanwhile."""
        at = now_ts() if now is None else now

        def take(conn: sqlite3.Connection) -> list[FullTextJob]:
            found = [
                FullTextJob(r[0], r[1] or "", r[2], r[3])
                for r in conn.execute(
                    """
                    SELECT f.article_id, a.url, f.attempts, a.lead
                    FROM fulltext f JOIN articles a ON a.id = f.article_id
                    WHERE f.state = 'pending' AND f.next_try <= ?
                    ORDER BY f.attempts > 0, f.next_try, f.article_id DESC LIMIT ?
                    """,
                    (at, limit),
                )
            ]
            conn.executemany(
                "UPDATE fulltext SET next_try = ? WHERE article_id = ?", [(at + lease, j.article_id) for j in found]
            )
            return found

        # Each of these writes is one call on the connection's thread (`transaction`): the write lock
        # is held for SQLite's own time only, never across trips through a busy event loop, so the
        # filler's writes do not keep readers' writes (in this process or another) waiting.
        return await self._db.transaction(take)

    async def job(self, article_id: int) -> FullTextJob | None:
        """The item's queue entry while it is still to be read ('pending'), else None."""
        row = await self._db.fetch_one(
            "SELECT f.article_id, a.url, f.attempts, a.lead FROM fulltext f JOIN articles a ON a.id = f.article_id "
            "WHERE f.article_id = ? AND f.state = 'pending'",
            (article_id,),
        )
        return FullTextJob(row[0], row[1] or "", row[2], row[3]) if row else None

    async def fill(self, article_id: int, page: PageText) -> bool:
        """Store the page's text on the item (body, and what the item lacked: picture, author,
        date, outlet) with its search entry, in one transaction. False when the item is gone or
        already filled."""
        body = rows.body_text(page.body)
        indexed_body = indexed(body)

        def store(conn: sqlite3.Connection) -> bool:
            row = conn.execute(
                "SELECT a.headline, a.lead, a.body, a.published_at "
                "FROM articles a JOIN fulltext f ON f.article_id = a.id WHERE a.id = ? AND f.state != 'done'",
                (article_id,),
            ).fetchone()
            if row is None:
                return False
            headline, lead, old_body, published = row[0], row[1], row[2], row[3]
            date_only = None
            if published is None and page.published_at is not None:
                published, date_only = rows.ts(page.published_at), int(page.date_only)
            now = now_ts()
            conn.execute(
                """
                UPDATE articles SET body = ?, image_url = coalesce(image_url, ?), author = coalesce(author, ?),
                    outlet = coalesce(outlet, ?), published_at = ?, date_only = coalesce(?, date_only),
                    modified_at = ?, updated_at = ?
                WHERE id = ?
                """,
                (
                    body,
                    page.image_url,
                    page.author,
                    page.outlet,
                    published,
                    date_only,
                    rows.ts(page.modified_at),
                    now,
                    article_id,
                ),
            )
            conn.execute(
                "INSERT INTO articles_fts (articles_fts, rowid, headline, lead, body) VALUES ('delete', ?, ?, ?, ?)",
                (article_id, indexed(headline), indexed(lead), indexed(old_body)),
            )
            conn.execute(
                "INSERT INTO articles_fts (rowid, headline, lead, body) VALUES (?, ?, ?, ?)",
                (article_id, indexed(headline), indexed(lead), indexed_body),
            )
            conn.execute(
                "UPDATE fulltext SET state = 'done', reason = NULL, updated_at = ? WHERE article_id = ?",
                (now, article_id),
            )
            # Remembered pages and searches, in every process, are stale from this commit on.
            conn.execute("UPDATE content_version SET n = n + 1 WHERE id = 1")
            return True

        return await self._db.transaction(store)

    async def fail(self, article_id: int, reason: str, *, retry_at: int | None) -> None:
        """Record a failed attempt: tried again at `retry_at`, or given up when it is None."""
        if retry_at is None:
            sql = (
                "UPDATE fulltext SET state = 'failed', attempts = attempts + 1, reason = ?, updated_at = ? "
                "WHERE article_id = ? AND state = 'pending'"
            )
            params: tuple[object, ...] = (reason, now_ts(), article_id)
        else:
            sql = (
                "UPDATE fulltext SET attempts = attempts + 1, next_try = ?, reason = ?, updated_at = ? "
                "WHERE article_id = ? AND state = 'pending'"
            )
            params = (retry_at, reason, now_ts(), article_id)
        await self._db.transaction(lambda conn: conn.execute(sql, params).rowcount)
        # content_version stays: only an opened article shows the failure note, and it is read afresh;
        # the remembered pages and searches do not change (moving it per failure made every reader's
        # /latest and /search be computed again while a backlog of unreadable pages was worked off).

    async def postpone(self, article_ids: Sequence[int], until: int) -> None:
        """Due at `until`, no attempt counted (their site is not being asked meanwhile); the lease
        the filler took on them is released."""
        if not article_ids:
            return
        now = now_ts()
        params = [(until, now, article_id) for article_id in article_ids]
        await self._db.transaction(
            lambda conn: (
                conn.executemany(
                    "UPDATE fulltext SET next_try = ?, updated_at = ? WHERE article_id = ? AND state = 'pending'",
                    params,
                ).rowcount
            )
        )

    async def next_due(self) -> int | None:
        """When the earliest pending item is due (UNIX seconds), None when nothing is pending."""
        row = await self._db.fetch_one("SELECT min(next_try) FROM fulltext WHERE state = 'pending'")
        return int(row[0]) if row and row[0] is not None else None

    async def count_by_state(self) -> dict[str, int]:
        """Items per state: pending (never tried), retrying (failed, will be tried again), done,
        failed (given up: shown with the lead, the link and a note)."""
        found = await self._db.fetch_all(
            "SELECT CASE WHEN state = 'pending' AND attempts > 0 THEN 'retrying' ELSE state END AS s, count(*) "
            "FROM fulltext GROUP BY s"
        )
        counts = {"pending": 0, "retrying": 0, "done": 0, "failed": 0}
        counts.update({r[0]: int(r[1]) for r in found})
        return counts
