"""Sent messages and the durable edit and delete jobs on them (corrections, withdrawals; migration 0012)."""

from __future__ import annotations

import json
from collections.abc import Sequence

from bot.models import JobOutcome, MessageJob, SentMessage, Withdrawal
from bot.store.records import LISTING_KINDS, TOO_OLD, WITHDRAWN
from bot.store.search_terms import indexed
from bot.store.sqlite.db import Database, now_ts

__all__ = ["MessageRepository"]

_SENT = "s.id, s.delivery_id, s.article_id, s.chat_id, s.message_id, s.kind, s.sent_at, s.deleted, s.photo"
_LISTINGS = ", ".join(f"'{k}'" for k in LISTING_KINDS)


def _sent(row: Sequence[object], at: int = 0) -> SentMessage:
    r = row[at : at + 9]
    return SentMessage(
        id=int(r[0]),  # type: ignore[call-overload]
        delivery_id=int(r[1]),  # type: ignore[call-overload]
        article_id=r[2],  # type: ignore[arg-type]
        chat_id=int(r[3]),  # type: ignore[call-overload]
        message_id=int(r[4]),  # type: ignore[call-overload]
        kind=str(r[5]),
        sent_at=int(r[6]),  # type: ignore[call-overload]
        deleted=bool(r[7]),
        photo=r[8],  # type: ignore[arg-type]
    )


class MessageRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def plan_corrections(self, *, now: int, window: int) -> list[int]:
        """Turn the corrections outbox into edit jobs, one queued per live message of each item sent
        within `window` seconds (older ones recorded as skipped, too old), and empty it, in one
        transaction. Returns the items corrected."""
        if await self._db.fetch_one("SELECT 1 FROM corrections LIMIT 1") is None:
            return []  # the usual round: a read, no write transaction
        async with self._db.write() as conn:
            async with conn.execute("SELECT article_id FROM corrections ORDER BY article_id") as cur:
                taken = [int(r[0]) for r in await cur.fetchall()]
            if not taken:
                return []
            ids = json.dumps(taken)
            live = (
                "FROM sent_messages s JOIN articles a ON a.id = s.article_id "
                "WHERE s.article_id IN (SELECT value FROM json_each(?)) AND s.deleted = 0 AND a.withdrawn_at IS NULL"
            )
            await conn.execute(
                f"INSERT OR IGNORE INTO message_jobs (sent_id, action, created_at) SELECT s.id, 'edit', ? {live} "
                "AND s.sent_at > ?",
                (now, ids, now - window),
            )
            await conn.execute(
                "INSERT INTO message_jobs (sent_id, action, state, reason, created_at, finished_at) "
                f"SELECT s.id, 'edit', 'skipped', ?, ?, ? {live} AND s.sent_at <= ?",
                (TOO_OLD, now, now, ids, now - window),
            )
            await conn.execute("DELETE FROM corrections WHERE article_id IN (SELECT value FROM json_each(?))", (ids,))
        return taken

    async def withdraw(self, article_id: int, *, now: int, window: int) -> Withdrawal | None:
        """Withdraw an item in one transaction: no longer listed, searched or pushed (its queued
        deliveries cancelled), and a job queued for each of its messages sent within `window`
        seconds (a deletion; a listing of several items is rewritten without it). None: no such item."""
        async with self._db.write() as conn:
            async with conn.execute(
                "SELECT headline, lead, body, withdrawn_at FROM articles WHERE id = ?", (article_id,)
            ) as cur:
                row = await cur.fetchone()
            if row is None:
                return None
            already = row[3] is not None
            if not already:
                await conn.execute("UPDATE articles SET withdrawn_at = ? WHERE id = ?", (now, article_id))
                await conn.execute(
                    "INSERT INTO articles_fts (articles_fts, rowid, headline, lead, body) "
                    "VALUES ('delete', ?, ?, ?, ?)",
                    (article_id, indexed(row[0]), indexed(row[1]), indexed(row[2])),
                )
            for table in ("outbox", "corrections", "fulltext", "article_topics"):
                await conn.execute(f"DELETE FROM {table} WHERE article_id = ?", (article_id,))
            cur = await conn.execute(
                "UPDATE deliveries SET state = 'cancelled', error = ? WHERE article_id = ? AND state = 'queued'",
                (WITHDRAWN, article_id),
            )
            cancelled = cur.rowcount
            cur = await conn.execute(
                "INSERT OR IGNORE INTO message_jobs (sent_id, action, created_at) "
                f"SELECT id, CASE WHEN kind IN ({_LISTINGS}) THEN 'edit' ELSE 'delete' END, ? "
                "FROM sent_messages WHERE article_id = ? AND deleted = 0 AND sent_at > ?",
                (now, article_id, now - window),
            )
            queued = cur.rowcount
            cur = await conn.execute(
                "INSERT INTO message_jobs (sent_id, action, state, reason, created_at, finished_at) "
                "SELECT id, 'delete', 'skipped', ?, ?, ? FROM sent_messages "
                "WHERE article_id = ? AND deleted = 0 AND sent_at <= ?",
                (TOO_OLD, now, now, article_id, now - window),
            )
            too_old = cur.rowcount
            await conn.execute("UPDATE content_version SET n = n + 1 WHERE id = 1")
        return Withdrawal(article_id, str(row[0]), cancelled, queued, too_old, already)

    async def claim(self, limit: int, *, article_id: int | None = None) -> list[MessageJob]:
        """Take up to `limit` queued jobs (of one item's messages when `article_id` is given), oldest first."""
        if await self._db.fetch_one("SELECT 1 FROM message_jobs WHERE state = 'queued' LIMIT 1") is None:
            return []  # nothing to do: a read of the queue's index, no write transaction
        where = "j.state = 'queued'"
        params: tuple[object, ...] = ()
        if article_id is not None:
            where += " AND j.sent_id IN (SELECT id FROM sent_messages WHERE article_id = ?)"
            params = (article_id,)
        async with self._db.write() as conn:
            async with conn.execute(
                "UPDATE message_jobs SET state = 'sending', attempts = attempts + 1 WHERE id IN ("
                f"SELECT j.id FROM message_jobs j WHERE {where} ORDER BY j.id LIMIT ?) RETURNING id",
                (*params, limit),
            ) as cur:
                ids = [int(r[0]) for r in await cur.fetchall()]
            if not ids:
                return []
            async with conn.execute(
                f"SELECT j.id, j.action, j.attempts, {_SENT}, coalesce(r.status, 'gone'), coalesce(r.arabic_digits, 0) "
                "FROM message_jobs j JOIN sent_messages s ON s.id = j.sent_id LEFT JOIN readers r ON r.id = s.chat_id "
                "WHERE j.id IN (SELECT value FROM json_each(?)) ORDER BY j.id",
                (json.dumps(ids),),
            ) as cur:
                found = await cur.fetchall()
        return [MessageJob(int(r[0]), str(r[1]), int(r[2]), _sent(r, 3), r[12] == "active", bool(r[13])) for r in found]

    async def listing(self, chat_id: int, message_id: int) -> list[int]:
        """The items a backlog or digest message lists, in the order they were taken, withdrawn ones left out."""
        found = await self._db.fetch_all(
            "SELECT s.article_id FROM sent_messages s JOIN articles a ON a.id = s.article_id "
            "WHERE s.chat_id = ? AND s.message_id = ? AND a.withdrawn_at IS NULL ORDER BY s.delivery_id",
            (chat_id, message_id),
        )
        return [int(r[0]) for r in found]

    async def finish(
        self,
        outcomes: Sequence[JobOutcome],
        deleted: Sequence[tuple[int, int]] = (),
        pictures: Sequence[tuple[int, int, str]] = (),
    ) -> None:
        """Record what became of jobs taken, which messages (chat id, message id) are deleted now, and
        the picture each (chat id, message id, picture) photo message shows after its media was edited."""
        if not outcomes and not deleted and not pictures:
            return
        now = now_ts()
        async with self._db.write() as conn:
            await conn.executemany(
                "UPDATE message_jobs SET state = ?, reason = ?, finished_at = ? WHERE id = ?",
                [(o.state, o.reason, now, o.job_id) for o in outcomes],
            )
            await conn.executemany(
                "UPDATE sent_messages SET deleted = 1 WHERE chat_id = ? AND message_id = ?", list(deleted)
            )
            await conn.executemany(
                "UPDATE sent_messages SET photo = ? WHERE chat_id = ? AND message_id = ?",
                [(photo, chat_id, message_id) for chat_id, message_id, photo in pictures],
            )

    async def release(self, job_ids: Sequence[int]) -> None:
        """Put jobs taken but not done back in the queue (a clean stop)."""
        async with self._db.write() as conn:
            await conn.executemany(
                "UPDATE message_jobs SET state = 'queued' WHERE id = ? AND state = 'sending' "
                "AND NOT EXISTS (SELECT 1 FROM message_jobs q WHERE q.state = 'queued' "
                "AND q.sent_id = message_jobs.sent_id AND q.action = message_jobs.action)",
                [(i,) for i in job_ids],
            )
            await conn.executemany(
                "UPDATE message_jobs SET state = 'skipped', reason = 'superseded' WHERE id = ? AND state = 'sending'",
                [(i,) for i in job_ids],
            )

    async def requeue_in_flight(self) -> int:
        """After a crash: jobs that were in flight go again (an edit repeated is answered "not
        modified", a deletion repeated "not found": both end the job). Returns how many."""
        found = await self._db.fetch_all("SELECT id FROM message_jobs WHERE state = 'sending' ORDER BY id")
        ids = [int(r[0]) for r in found]
        await self.release(ids)
        return len(ids)

    async def count_by_state(self) -> dict[str, int]:
        counts = {s: 0 for s in ("queued", "sending", "done", "skipped", "failed")}
        for state, n in await self._db.fetch_all("SELECT state, count(*) FROM message_jobs GROUP BY state"):
            counts[str(state)] = int(n)
        return counts

    async def sent_for_article(self, article_id: int) -> list[SentMessage]:
        found = await self._db.fetch_all(
            f"SELECT {_SENT} FROM sent_messages s WHERE s.article_id = ? ORDER BY s.id", (article_id,)
        )
        return [_sent(r) for r in found]

    async def jobs_for_article(self, article_id: int) -> list[tuple[str, str, str | None]]:
        """(action, state, reason) of the jobs on an item's messages, oldest first."""
        found = await self._db.fetch_all(
            "SELECT j.action, j.state, j.reason FROM message_jobs j JOIN sent_messages s ON s.id = j.sent_id "
            "WHERE s.article_id = ? ORDER BY j.id",
            (article_id,),
        )
        return [(str(r[0]), str(r[1]), r[2]) for r in found]
