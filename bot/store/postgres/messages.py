"""Sent messages and the durable edit and delete jobs on them, on PostgreSQL (migration 0006; the
SQLite repository's rules, jobs taken FOR UPDATE SKIP LOCKED)."""

from __future__ import annotations

from collections.abc import Sequence

from bot.models import JobOutcome, MessageJob, SentMessage, Withdrawal
from bot.store.postgres.db import PgDatabase, Record, affected, now_ts
from bot.store.records import LISTING_KINDS, TOO_OLD, WITHDRAWN

__all__ = ["PgMessageRepository"]

_SENT = "s.id, s.delivery_id, s.article_id, s.chat_id, s.message_id, s.kind, s.sent_at, s.deleted, s.photo"


def _sent(r: Record) -> SentMessage:
    return SentMessage(
        id=int(r["id"]),
        delivery_id=int(r["delivery_id"]),
        article_id=r["article_id"],
        chat_id=int(r["chat_id"]),
        message_id=int(r["message_id"]),
        kind=str(r["kind"]),
        sent_at=int(r["sent_at"]),
        deleted=bool(r["deleted"]),
        photo=r["photo"],
    )


class PgMessageRepository:
    def __init__(self, db: PgDatabase) -> None:
        self._db = db

    async def plan_corrections(self, *, now: int, window: int) -> list[int]:
        if await self._db.fetchval("SELECT 1 FROM corrections LIMIT 1") is None:
            return []  # the usual round: a read, no transaction
        async with self._db.transaction() as conn:
            taken = [
                int(r[0])
                for r in await conn.fetch(
                    "SELECT article_id FROM corrections ORDER BY article_id FOR UPDATE SKIP LOCKED"
                )
            ]
            if not taken:
                return []
            live = (
                "FROM sent_messages s JOIN articles a ON a.id = s.article_id "
                "WHERE s.article_id = ANY($1::bigint[]) AND NOT s.deleted AND a.withdrawn_at IS NULL"
            )
            await conn.execute(
                f"INSERT INTO message_jobs (sent_id, action, created_at) SELECT s.id, 'edit', $2 {live} "
                "AND s.sent_at > $3 ON CONFLICT (sent_id, action) WHERE state = 'queued' DO NOTHING",
                taken,
                now,
                now - window,
            )
            await conn.execute(
                "INSERT INTO message_jobs (sent_id, action, state, reason, created_at, finished_at) "
                f"SELECT s.id, 'edit', 'skipped', $4, $2, $2 {live} AND s.sent_at <= $3",
                taken,
                now,
                now - window,
                TOO_OLD,
            )
            await conn.execute("DELETE FROM corrections WHERE article_id = ANY($1::bigint[])", taken)
        return taken

    async def withdraw(self, article_id: int, *, now: int, window: int) -> Withdrawal | None:
        async with self._db.transaction() as conn:
            row = await conn.fetchrow(
                "SELECT headline, withdrawn_at FROM articles WHERE id = $1 FOR UPDATE", article_id
            )
            if row is None:
                return None
            already = row["withdrawn_at"] is not None
            if not already:
                await conn.execute(
                    "UPDATE articles SET withdrawn_at = $1, search = ''::tsvector WHERE id = $2", now, article_id
                )
            # The outbox row first: a fan-out round holding it is waited for, so the deliveries it
            # records are committed before the next statement cancels them.
            for table in ("outbox", "corrections", "fulltext", "article_topics"):
                await conn.execute(f"DELETE FROM {table} WHERE article_id = $1", article_id)
            cancelled = affected(
                await conn.execute(
                    "UPDATE deliveries SET state = 'cancelled', error = $1 WHERE article_id = $2 AND state = 'queued'",
                    WITHDRAWN,
                    article_id,
                )
            )
            queued = affected(
                await conn.execute(
                    "INSERT INTO message_jobs (sent_id, action, created_at) "
                    "SELECT id, CASE WHEN kind = ANY($4::text[]) THEN 'edit' ELSE 'delete' END, $2 "
                    "FROM sent_messages WHERE article_id = $1 AND NOT deleted AND sent_at > $3 "
                    "ON CONFLICT (sent_id, action) WHERE state = 'queued' DO NOTHING",
                    article_id,
                    now,
                    now - window,
                    list(LISTING_KINDS),
                )
            )
            too_old = affected(
                await conn.execute(
                    "INSERT INTO message_jobs (sent_id, action, state, reason, created_at, finished_at) "
                    "SELECT id, 'delete', 'skipped', $4, $2, $2 FROM sent_messages "
                    "WHERE article_id = $1 AND NOT deleted AND sent_at <= $3",
                    article_id,
                    now,
                    now - window,
                    TOO_OLD,
                )
            )
            await conn.execute("UPDATE content_version SET n = n + 1 WHERE id = 1")
        return Withdrawal(article_id, str(row["headline"]), cancelled, queued, too_old, already)

    async def claim(self, limit: int, *, article_id: int | None = None) -> list[MessageJob]:
        where = "state = 'queued'"
        args: list[object] = [limit]
        if article_id is not None:
            where += " AND sent_id IN (SELECT id FROM sent_messages WHERE article_id = $2)"
            args.append(article_id)
        found = await self._db.fetch(
            f"""
            WITH taken AS (
                UPDATE message_jobs j SET state = 'sending', attempts = j.attempts + 1
                FROM (SELECT id FROM message_jobs WHERE {where} ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED) q
                WHERE j.id = q.id
                RETURNING j.id AS job_id, j.action, j.attempts, j.sent_id
            )
            SELECT taken.job_id, taken.action, taken.attempts, {_SENT},
                coalesce(r.status, 'gone') AS status, coalesce(r.arabic_digits, false) AS arabic_digits
            FROM taken JOIN sent_messages s ON s.id = taken.sent_id LEFT JOIN readers r ON r.id = s.chat_id
            ORDER BY taken.job_id
            """,
            *args,
        )
        return [
            MessageJob(
                int(r["job_id"]),
                str(r["action"]),
                int(r["attempts"]),
                _sent(r),
                r["status"] == "active",
                bool(r["arabic_digits"]),
            )
            for r in found
        ]

    async def listing(self, chat_id: int, message_id: int) -> list[int]:
        found = await self._db.fetch(
            "SELECT s.article_id FROM sent_messages s JOIN articles a ON a.id = s.article_id "
            "WHERE s.chat_id = $1 AND s.message_id = $2 AND a.withdrawn_at IS NULL ORDER BY s.delivery_id",
            chat_id,
            message_id,
        )
        return [int(r[0]) for r in found]

    async def finish(
        self,
        outcomes: Sequence[JobOutcome],
        deleted: Sequence[tuple[int, int]] = (),
        pictures: Sequence[tuple[int, int, str]] = (),
    ) -> None:
        if not outcomes and not deleted and not pictures:
            return
        now = now_ts()
        async with self._db.transaction() as conn:
            if outcomes:
                await conn.execute(
                    """
                    UPDATE message_jobs j SET state = o.state, reason = o.reason, finished_at = $4
                    FROM unnest($1::bigint[], $2::text[], $3::text[]) AS o (id, state, reason) WHERE j.id = o.id
                    """,
                    [o.job_id for o in outcomes],
                    [o.state for o in outcomes],
                    [o.reason for o in outcomes],
                    now,
                )
            if deleted:
                await conn.execute(
                    """
                    UPDATE sent_messages s SET deleted = true
                    FROM unnest($1::bigint[], $2::bigint[]) AS m (chat_id, message_id)
                    WHERE s.chat_id = m.chat_id AND s.message_id = m.message_id
                    """,
                    [c for c, _ in deleted],
                    [m for _, m in deleted],
                )
            if pictures:
                await conn.execute(
                    """
                    UPDATE sent_messages s SET photo = m.photo
                    FROM unnest($1::bigint[], $2::bigint[], $3::text[]) AS m (chat_id, message_id, photo)
                    WHERE s.chat_id = m.chat_id AND s.message_id = m.message_id
                    """,
                    [c for c, _, _ in pictures],
                    [m for _, m, _ in pictures],
                    [p for _, _, p in pictures],
                )

    async def release(self, job_ids: Sequence[int]) -> None:
        if not job_ids:
            return
        async with self._db.transaction() as conn:
            # A job put back where a newer one for the same message already waits is superseded by it.
            await conn.execute(
                """
                UPDATE message_jobs j SET state = 'skipped', reason = 'superseded'
                WHERE j.id = ANY($1::bigint[]) AND j.state = 'sending' AND EXISTS (
                    SELECT 1 FROM message_jobs q
                    WHERE q.state = 'queued' AND q.sent_id = j.sent_id AND q.action = j.action)
                """,
                list(job_ids),
            )
            await conn.execute(
                "UPDATE message_jobs SET state = 'queued' WHERE id = ANY($1::bigint[]) AND state = 'sending'",
                list(job_ids),
            )

    async def requeue_in_flight(self) -> int:
        ids = [int(r[0]) for r in await self._db.fetch("SELECT id FROM message_jobs WHERE state = 'sending'")]
        await self.release(ids)
        return len(ids)

    async def count_by_state(self) -> dict[str, int]:
        counts = {s: 0 for s in ("queued", "sending", "done", "skipped", "failed")}
        for state, n in await self._db.fetch("SELECT state, count(*) FROM message_jobs GROUP BY state"):
            counts[str(state)] = int(n)
        return counts

    async def sent_for_article(self, article_id: int) -> list[SentMessage]:
        found = await self._db.fetch(
            f"SELECT {_SENT} FROM sent_messages s WHERE s.article_id = $1 ORDER BY s.id", article_id
        )
        return [_sent(r) for r in found]

    async def jobs_for_article(self, article_id: int) -> list[tuple[str, str, str | None]]:
        found = await self._db.fetch(
            "SELECT j.action, j.state, j.reason FROM message_jobs j JOIN sent_messages s ON s.id = j.sent_id "
            "WHERE s.article_id = $1 ORDER BY j.id",
            article_id,
        )
        return [(str(r[0]), str(r[1]), r[2]) for r in found]
