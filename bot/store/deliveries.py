"""Deliveries: one row per (reader, item), recorded before sending and marked when Telegram confirms."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import aiosqlite

from bot.models import DeliveryState
from bot.store.db import Database, now_ts

FANOUT_MARK = "fanout_mark"


@dataclass(frozen=True, slots=True)
class PendingDelivery:
    id: int
    reader_id: int
    article_id: int | None
    broadcast_id: int | None
    mode: str
    attempts: int


class DeliveryRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def fan_out(self) -> int:
        """Record a delivery for each active subscriber of each article stored since the last round.

        One per (reader, article) however many of its topics the reader follows; an article stored
        before a subscription is not pushed to it. The first round on a store only sets the mark, so
        what was already there (seeds, history) is not pushed. Returns the deliveries recorded.
        """
        now = now_ts()
        async with self._db.write() as conn:
            async with conn.execute("SELECT value FROM meta WHERE key = ?", (FANOUT_MARK,)) as cur:
                row = await cur.fetchone()
            async with conn.execute("SELECT coalesce(max(id), 0) FROM articles") as cur:
                top_row = await cur.fetchone()
            top = int(top_row[0]) if top_row else 0
            if row is None:
                await self._set_mark(conn, top)
                return 0
            mark = int(row[0])
            if top <= mark:
                return 0
            cur = await conn.execute(
                """
                INSERT OR IGNORE INTO deliveries (reader_id, article_id, mode, state, created_at)
                SELECT DISTINCT s.reader_id, at.article_id, r.push_mode, 'queued', ?
                FROM article_topics at
                JOIN articles a ON a.id = at.article_id
                JOIN subscriptions s ON s.topic_id = at.topic_id
                JOIN readers r ON r.id = s.reader_id
                WHERE at.article_id > ? AND at.article_id <= ?
                  AND r.status = 'active' AND s.created_at <= a.stored_at
                """,
                (now, mark, top),
            )
            recorded = cur.rowcount
            await self._set_mark(conn, top)
        return recorded

    @staticmethod
    async def _set_mark(conn: aiosqlite.Connection, value: int) -> None:
        await conn.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (FANOUT_MARK, str(value)),
        )

    async def claim(self, limit: int, *, now: int | None = None) -> list[PendingDelivery]:
        """Take up to `limit` due instant or broadcast deliveries, oldest first, marking them in flight."""
        now = now_ts() if now is None else now
        async with (
            self._db.write() as conn,
            conn.execute(
                """
                UPDATE deliveries SET state = 'sending', attempts = attempts + 1
                WHERE id IN (
                    SELECT id FROM deliveries
                    WHERE state = 'queued' AND not_before <= ? AND mode IN ('instant', 'broadcast')
                    ORDER BY id LIMIT ?
                )
                RETURNING id, reader_id, article_id, broadcast_id, mode, attempts
                """,
                (now, limit),
            ) as cur,
        ):
            found = [PendingDelivery(*r) for r in await cur.fetchall()]
        return sorted(found, key=lambda d: d.id)

    async def mark_sent(self, sent: Sequence[tuple[int, int | None]]) -> None:
        """(delivery id, Telegram message id) pairs confirmed by Telegram."""
        now = now_ts()
        async with self._db.write() as conn:
            await conn.executemany(
                "UPDATE deliveries SET state = 'sent', message_id = ?, sent_at = ?, error = NULL WHERE id = ?",
                [(message_id, now, delivery_id) for delivery_id, message_id in sent],
            )

    async def retry_later(self, delivery_id: int, not_before: int, error: str) -> None:
        async with self._db.write() as conn:
            await conn.execute(
                "UPDATE deliveries SET state = 'queued', not_before = ?, error = ? WHERE id = ?",
                (not_before, error, delivery_id),
            )

    async def mark_failed(self, delivery_id: int, error: str) -> None:
        async with self._db.write() as conn:
            await conn.execute("UPDATE deliveries SET state = 'failed', error = ? WHERE id = ?", (error, delivery_id))

    async def requeue_in_flight(self) -> int:
        """After a crash: what was in flight goes again (the only sends that may repeat)."""
        async with self._db.write() as conn:
            cur = await conn.execute("UPDATE deliveries SET state = 'queued' WHERE state = 'sending'")
            return cur.rowcount

    async def count_by_state(self) -> dict[str, int]:
        counts = {s.value: 0 for s in DeliveryState}
        async with self._db.conn.execute("SELECT state, count(*) FROM deliveries GROUP BY state") as cur:
            for state, n in await cur.fetchall():
                counts[state] = int(n)
        return counts
