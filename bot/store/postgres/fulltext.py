"""The full-text queue on PostgreSQL (migration 0002; the SQLite store's FullTextRepository, same
behaviour): items with a link and no body, waiting for their page.

Rows enter in PgArticleRepository.upsert_many's transaction. Any instance's filler takes due rows
with a lease (`claim`: `FOR UPDATE SKIP LOCKED`, so two instances claiming at once get different
rows, and next_try moved on so nobody takes them again until the lease runs out), then stores what
the page gave (`fill`, the article and its search entry together) or why it did not (`fail`).
`fill` takes the content_version row first, as upsert_many does, so a batch and a fill touching
the same article always lock in the same order.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.models import FullTextJob, PageText
from bot.store import rows
from bot.store.postgres import search
from bot.store.postgres.db import PgDatabase, now_ts

_CLAIM = """
    WITH due AS (
        SELECT article_id, attempts, next_try FROM fulltext
        WHERE state = 'pending' AND next_try <= $1
        ORDER BY attempts > 0, next_try, article_id DESC
        LIMIT $2
        FOR UPDATE SKIP LOCKED
    )
    UPDATE fulltext f SET next_try = $1 + $3
    FROM due JOIN articles a ON a.id = due.article_id
    WHERE f.article_id = due.article_id
    RETURNING f.article_id, a.url, f.attempts, a.lead, due.next_try AS was_due
"""


class PgFullTextRepository:
    def __init__(self, db: PgDatabase) -> None:
        self._db = db

    async def claim(self, limit: int, *, lease: int, now: int | None = None) -> list[FullTextJob]:
        """Take up to `limit` due items (never tried first, then the oldest retry), moving their
        next try `lease` seconds on so no other instance takes them meanwhile."""
        at = now_ts() if now is None else now
        async with self._db.transaction() as conn:
            found = await conn.fetch(_CLAIM, at, limit, lease)
        found.sort(key=lambda r: (r["attempts"] > 0, r["was_due"], -r["article_id"]))
        return [FullTextJob(r["article_id"], r["url"] or "", r["attempts"], r["lead"]) for r in found]

    async def job(self, article_id: int) -> FullTextJob | None:
        """The item's queue entry while it is still to be read ('pending'), else None."""
        row = await self._db.fetchrow(
            "SELECT f.article_id, a.url, f.attempts, a.lead FROM fulltext f JOIN articles a ON a.id = f.article_id "
            "WHERE f.article_id = $1 AND f.state = 'pending'",
            article_id,
        )
        return FullTextJob(row["article_id"], row["url"] or "", row["attempts"], row["lead"]) if row else None

    async def fill(self, article_id: int, page: PageText) -> bool:
        """Store the page's text on the item (body, and what the item lacked: picture, author,
        date, outlet) with its search entry, in one transaction. False when the item is gone or
        already filled."""
        async with self._db.transaction() as conn:
            await conn.execute("SELECT n FROM content_version WHERE id = 1 FOR UPDATE")
            row = await conn.fetchrow(
                "SELECT a.headline, a.lead, a.published_at FROM articles a JOIN fulltext f ON f.article_id = a.id "
                "WHERE a.id = $1 AND f.state != 'done' FOR UPDATE",
                article_id,
            )
            if row is None:
                return False
            body = rows.body_text(page.body)
            published = row["published_at"]
            date_only = None
            if published is None and page.published_at is not None:
                published, date_only = rows.ts(page.published_at), page.date_only
            now = now_ts()
            await conn.execute(
                """
                UPDATE articles SET body = $1, image_url = coalesce(image_url, $2), author = coalesce(author, $3),
                    outlet = coalesce(outlet, $4), published_at = $5, date_only = coalesce($6, date_only),
                    modified_at = $7, search = $8::tsvector, updated_at = $9
                WHERE id = $10
                """,
                body,
                page.image_url,
                page.author,
                page.outlet,
                published,
                date_only,
                rows.ts(page.modified_at),
                search.document(row["headline"], row["lead"], body),
                now,
                article_id,
            )
            await conn.execute(
                "UPDATE fulltext SET state = 'done', reason = NULL, updated_at = $1 WHERE article_id = $2",
                now,
                article_id,
            )
            # Remembered pages and searches, in every instance, are stale from this commit on.
            await conn.execute("UPDATE content_version SET n = n + 1 WHERE id = 1")
        return True

    async def fail(self, article_id: int, reason: str, *, retry_at: int | None) -> None:
        """Record a failed attempt: tried again at `retry_at`, or given up when it is None."""
        async with self._db.transaction() as conn:
            if retry_at is None:
                await conn.execute(
                    "UPDATE fulltext SET state = 'failed', attempts = attempts + 1, reason = $1, updated_at = $2 "
                    "WHERE article_id = $3 AND state = 'pending'",
                    reason,
                    now_ts(),
                    article_id,
                )
            else:
                await conn.execute(
                    "UPDATE fulltext SET attempts = attempts + 1, next_try = $1, reason = $2, updated_at = $3 "
                    "WHERE article_id = $4 AND state = 'pending'",
                    retry_at,
                    reason,
                    now_ts(),
                    article_id,
                )
        # content_version stays (as on SQLite): only an opened article shows the failure note, and it
        # is read afresh; remembered pages and searches do not change.

    async def postpone(self, article_ids: Sequence[int], until: int) -> None:
        """Not due before `until`, no attempt counted (their site is not being asked meanwhile)."""
        if not article_ids:
            return
        async with self._db.transaction() as conn:
            await conn.execute(
                "UPDATE fulltext SET next_try = $1, updated_at = $2 "
                "WHERE article_id = ANY($3::bigint[]) AND state = 'pending'",
                until,
                now_ts(),
                list(article_ids),
            )

    async def next_due(self) -> int | None:
        """When the earliest pending item is due (UNIX seconds), None when nothing is pending."""
        value = await self._db.fetchval("SELECT min(next_try) FROM fulltext WHERE state = 'pending'")
        return None if value is None else int(value)

    async def count_by_state(self) -> dict[str, int]:
        """Items per state: pending (never tried), retrying (failed, will be tried again), done,
        failed (given up: shown with the lead, the link and a note)."""
        found = await self._db.fetch(
            "SELECT CASE WHEN state = 'pending' AND attempts > 0 THEN 'retrying' ELSE state END AS s, count(*) AS n "
            "FROM fulltext GROUP BY 1"
        )
        counts = {"pending": 0, "retrying": 0, "done": 0, "failed": 0}
        counts.update({r["s"]: int(r["n"]) for r in found})
        return counts
