"""Deliveries: one row per (reader, item), recorded before sending and marked when Telegram confirms."""

from __future__ import annotations

import json
from collections.abc import Sequence

import aiosqlite

from bot.models import DeliveryState, DigestReader, PendingDelivery
from bot.store.records import FANOUT_STARTED
from bot.store.sqlite.db import Database, now_ts
from bot.store.sqlite.words import changes_since
from bot.store.words import WordIndex, WordMatches, item_text

__all__ = ["DeliveryRepository", "DigestReader", "PendingDelivery"]

_PENDING_COLUMNS = """
    d.id, d.reader_id, d.article_id, d.broadcast_id, d.mode, d.attempts,
    r.arabic_digits, r.quiet_start, r.quiet_end
"""


def _pending(row: Sequence[object]) -> PendingDelivery:
    return PendingDelivery(
        id=int(row[0]),  # type: ignore[call-overload]
        reader_id=int(row[1]),  # type: ignore[call-overload]
        article_id=row[2],  # type: ignore[arg-type]
        broadcast_id=row[3],  # type: ignore[arg-type]
        mode=str(row[4]),
        attempts=int(row[5]),  # type: ignore[call-overload]
        arabic_digits=bool(row[6]),
        quiet_start=row[7],  # type: ignore[arg-type]
        quiet_end=row[8],  # type: ignore[arg-type]
    )


# (article id, reader id) rows from JSON [[article id, [reader id, …]], …]
_WORD_PAIRS = (
    "(SELECT json_extract(a.value, '$[0]') AS article_id, r.value AS reader_id "
    "FROM json_each(?) a, json_each(a.value, '$[1]') r)"
)


def _pairs_json(found: dict[int, set[int]]) -> str:
    return json.dumps([[article_id, list(readers)] for article_id, readers in found.items()])


class DeliveryRepository:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._words = WordIndex()  # every reader's words, kept up to date at each round

    async def fan_out(self) -> int:
        """Record a delivery for each active subscriber of each article in the outbox, then delete
        those outbox rows, in one transaction.

        `upsert_many` puts each article it adds in the outbox in the article's own transaction, so
        an item is fanned out once, by whichever process runs the next round, and a batch committed
        while a round runs waits for the next one: a round deletes exactly the rows it read, never
        "everything up to" an id or a time. One delivery per (reader, article) however many of its
        topics the reader follows; an article stored before a subscription is not pushed to it (see
        `SubscriptionRepository`), nor through a topic that has ended (archived). The first round
        on a store only empties the outbox, so what was already there (seeds, history) is not pushed.
        Returns the deliveries recorded.

        Readers' words (bot.store.words) join the same round: the index takes in the words changed
        since its last round, then each item is matched once against all of them; a followed word
        adds the reader (INSERT OR IGNORE: one delivery however many topics and words matched), a
        muted word takes out whatever the round recorded for that reader and item.

        Two rounds at once (two processes) cannot push an item twice: a delivery is unique per
        (reader, article). On SQLite the write transaction serializes them; a multi-writer engine
        takes the rows with `SELECT … FOR UPDATE SKIP LOCKED` so each round works on its own rows.
        """
        now = now_ts()
        async with self._db.write() as conn:
            async with conn.execute("SELECT 1 FROM meta WHERE key = ?", (FANOUT_STARTED,)) as cur:
                started = await cur.fetchone() is not None
            if not started:
                await conn.execute("DELETE FROM outbox")
                await conn.execute("INSERT INTO meta (key, value) VALUES (?, '1')", (FANOUT_STARTED,))
                return 0
            async with conn.execute("SELECT article_id FROM outbox ORDER BY article_id") as cur:
                taken = [int(r[0]) for r in await cur.fetchall()]
            if not taken:
                return 0
            ids = json.dumps(taken)  # one bound parameter however many, read back by json_each
            # Grouping by (reader, article) gives one row per pair, whatever the number of shared topics.
            cur = await conn.execute(
                """
                INSERT OR IGNORE INTO deliveries (reader_id, article_id, mode, state, created_at)
                SELECT s.reader_id, at.article_id, r.push_mode, 'queued', ?
                FROM article_topics at
                JOIN subscriptions s ON s.topic_id = at.topic_id
                JOIN topics t ON t.id = at.topic_id AND t.state = 'active'
                JOIN readers r ON r.id = s.reader_id
                WHERE at.article_id IN (SELECT value FROM json_each(?))
                  AND r.status = 'active' AND at.article_id > s.after_article
                GROUP BY at.article_id, s.reader_id
                """,
                (now, ids),
            )
            recorded = cur.rowcount
            matches = await self._match_words(conn, ids)
            # Each as one statement over JSON [[article id, [reader id, …]], …] (one bound parameter),
            # the pairs the outer loop (CROSS JOIN fixes the order): each looks its row up by key.
            # Left to itself the planner scanned the readers, or the queue, and the pairs for each.
            if matches.follows:
                cur = await conn.execute(
                    "INSERT OR IGNORE INTO deliveries (reader_id, article_id, mode, state, created_at) "
                    f"SELECT r.id, w.article_id, r.push_mode, 'queued', ? FROM {_WORD_PAIRS} w "
                    "CROSS JOIN readers r ON r.id = w.reader_id WHERE r.status = 'active'",
                    (now, _pairs_json(matches.follows)),
                )
                recorded += cur.rowcount
            if matches.muted:
                # Each pair looked up through the (reader, article) index, never a scan of the queue.
                cur = await conn.execute(
                    f"DELETE FROM deliveries WHERE id IN (SELECT d.id FROM {_WORD_PAIRS} w "
                    "CROSS JOIN deliveries d ON d.reader_id = w.reader_id AND d.article_id = w.article_id "
                    "WHERE d.state = 'queued')",
                    (_pairs_json(matches.muted),),
                )
                recorded -= cur.rowcount
            await conn.execute("DELETE FROM outbox WHERE article_id IN (SELECT value FROM json_each(?))", (ids,))
        return recorded

    async def _match_words(self, conn: aiosqlite.Connection, ids: str) -> WordMatches:
        """The round's items (their ids, as JSON) matched against every reader's words; an item's
        mark is its id (a word covers articles above the newest id when it was followed)."""
        self._words.apply(await changes_since(conn, self._words.seq))
        if not len(self._words):
            return WordMatches({}, {})
        async with conn.execute(
            "SELECT id, headline, lead, body FROM articles WHERE id IN (SELECT value FROM json_each(?))", (ids,)
        ) as cur:
            items = [(int(r[0]), int(r[0]), item_text(r[1], r[2], r[3])) for r in await cur.fetchall()]
        return self._words.match(items)

    async def create_broadcast(self, text: str, created_by: int | None) -> tuple[int, int]:
        """Store a breaking-news text and record one delivery per active reader, in one transaction.

        Returns (broadcast id, deliveries recorded).
        """
        now = now_ts()
        async with self._db.write() as conn:
            cur = await conn.execute(
                "INSERT INTO broadcasts (text, created_by, created_at) VALUES (?, ?, ?)", (text, created_by, now)
            )
            broadcast_id = int(cur.lastrowid or 0)
            cur = await conn.execute(
                """
                INSERT OR IGNORE INTO deliveries (reader_id, broadcast_id, mode, state, created_at)
                SELECT id, ?, 'broadcast', 'queued', ? FROM readers WHERE status = 'active'
                """,
                (broadcast_id, now),
            )
            recorded = cur.rowcount
        return broadcast_id, recorded

    async def broadcast_text(self, broadcast_id: int) -> str | None:
        row = await self._db.fetch_one("SELECT text FROM broadcasts WHERE id = ?", (broadcast_id,))
        return str(row[0]) if row else None

    async def claim(self, limit: int, *, now: int | None = None, urgent_only: bool = False) -> list[PendingDelivery]:
        """Take up to `limit` due deliveries, marking them in flight: breaking news (broadcasts) first,
        then routine instant pushes, each oldest first; with `urgent_only`, breaking news only."""
        now = now_ts() if now is None else now
        taken = await self._take("mode = 'broadcast' AND not_before <= ?", (now,), limit)
        if not urgent_only and len(taken) < limit:
            taken += await self._take("mode = 'instant' AND not_before <= ?", (now,), limit - len(taken))
        return taken

    async def claim_backlog(self, reader_id: int, limit: int, *, now: int | None = None) -> list[PendingDelivery]:
        """Take one reader's due routine instant deliveries (oldest first, at most `limit`): a backlog
        to be merged into one message."""
        now = now_ts() if now is None else now
        return await self._take("reader_id = ? AND mode = 'instant' AND not_before <= ?", (reader_id, now), limit)

    async def backlog_sizes(self, reader_ids: Sequence[int]) -> dict[int, int]:
        """For each of these readers with any: how many routine instant deliveries are still queued."""
        if not reader_ids:
            return {}
        rows = await self._db.fetch_all(
            "SELECT reader_id, COUNT(*) FROM deliveries WHERE reader_id IN (SELECT value FROM json_each(?)) "
            "AND state = 'queued' AND mode = 'instant' GROUP BY reader_id",
            (json.dumps(list(reader_ids)),),
        )
        return {int(r[0]): int(r[1]) for r in rows}

    async def _take(self, where: str, params: tuple[object, ...], limit: int) -> list[PendingDelivery]:
        """Mark up to `limit` queued deliveries matching `where` (a constant fragment) in flight."""
        async with self._db.write() as conn:
            async with conn.execute(
                "UPDATE deliveries SET state = 'sending', attempts = attempts + 1 WHERE id IN ("
                f"SELECT id FROM deliveries WHERE state = 'queued' AND {where} ORDER BY id LIMIT ?) RETURNING id",
                (*params, limit),
            ) as cur:
                ids = [int(r[0]) for r in await cur.fetchall()]
            if not ids:
                return []
            return await self._pending_by_ids(conn, ids)

    @staticmethod
    async def _pending_by_ids(conn: aiosqlite.Connection, ids: list[int]) -> list[PendingDelivery]:
        out: list[PendingDelivery] = []
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            async with conn.execute(
                f"SELECT {_PENDING_COLUMNS} FROM deliveries d JOIN readers r ON r.id = d.reader_id "
                f"WHERE d.id IN ({marks})",
                chunk,
            ) as cur:
                out.extend(_pending(r) for r in await cur.fetchall())
        return sorted(out, key=lambda d: d.id)

    async def mark_sent(self, sent: Sequence[tuple[int, int | None]]) -> None:
        """(delivery id, Telegram message id) pairs confirmed by Telegram."""
        if not sent:
            return
        now = now_ts()
        async with self._db.write() as conn:
            await conn.executemany(
                "UPDATE deliveries SET state = 'sent', message_id = ?, sent_at = ?, error = NULL WHERE id = ?",
                [(message_id, now, delivery_id) for delivery_id, message_id in sent],
            )

    async def release(self, delivery_ids: Sequence[int]) -> None:
        """Put deliveries taken but not sent back in the queue (a clean stop), keeping their attempts."""
        async with self._db.write() as conn:
            await conn.executemany(
                "UPDATE deliveries SET state = 'queued' WHERE id = ? AND state = 'sending'",
                [(i,) for i in delivery_ids],
            )

    async def retry_later(self, delivery_id: int, not_before: int, error: str) -> None:
        async with self._db.write() as conn:
            await conn.execute(
                "UPDATE deliveries SET state = 'queued', not_before = ?, error = ? WHERE id = ?",
                (not_before, error, delivery_id),
            )

    async def mark_failed(self, delivery_id: int, error: str, attempts: int | None = None) -> None:
        async with self._db.write() as conn:
            await conn.execute(
                "UPDATE deliveries SET state = 'failed', error = ?, attempts = coalesce(?, attempts) WHERE id = ?",
                (error, attempts, delivery_id),
            )

    async def requeue_in_flight(self) -> int:
        """After a crash: what was in flight goes again (the only sends that may repeat)."""
        async with self._db.write() as conn:
            cur = await conn.execute("UPDATE deliveries SET state = 'queued' WHERE state = 'sending'")
            return cur.rowcount

    # -- digests -------------------------------------------------------------------------------

    async def digest_readers(self) -> list[DigestReader]:
        """Active readers with queued digest items, with what deciding whether one is due needs."""
        rows = await self._db.fetch_all(
            """
            SELECT r.id, r.digest_hours, r.last_digest_at, q.oldest, r.arabic_digits, r.quiet_start, r.quiet_end
            FROM (
                SELECT reader_id, min(created_at) AS oldest FROM deliveries
                WHERE state = 'queued' AND mode = 'digest' GROUP BY reader_id
            ) q JOIN readers r ON r.id = q.reader_id
            WHERE r.status = 'active'
            ORDER BY r.id
            """
        )
        return [
            DigestReader(
                reader_id=int(r[0]),
                digest_hours=tuple(sorted({int(h) for h in str(r[1]).split(",") if h.strip().isdigit()})),
                last_digest_at=r[2],
                oldest_queued_at=int(r[3]),
                arabic_digits=bool(r[4]),
                quiet_start=r[5],
                quiet_end=r[6],
            )
            for r in rows
        ]

    async def claim_digest(self, reader_id: int, limit: int) -> list[PendingDelivery]:
        """Take a reader's queued digest items (oldest first, at most `limit`), marking them in flight."""
        return await self._take("reader_id = ? AND mode = 'digest'", (reader_id,), limit)

    async def mark_digest_sent(self, reader_id: int, delivery_ids: Sequence[int], message_id: int, at: int) -> None:
        """A digest message confirmed: its items are sent and the reader's last digest time moves on."""
        now = now_ts()
        async with self._db.write() as conn:
            await conn.executemany(
                "UPDATE deliveries SET state = 'sent', message_id = ?, sent_at = ?, error = NULL WHERE id = ?",
                [(message_id, now, i) for i in delivery_ids],
            )
            await conn.execute("UPDATE readers SET last_digest_at = ? WHERE id = ?", (at, reader_id))

    # -- visibility ----------------------------------------------------------------------------

    async def count_by_state(self) -> dict[str, int]:
        counts = {s.value: 0 for s in DeliveryState}
        for state, n in await self._db.fetch_all("SELECT state, count(*) FROM deliveries GROUP BY state"):
            counts[state] = int(n)
        return counts

    async def count_unsent_by_state(self) -> dict[str, int]:
        """Deliveries in every state but 'sent' (for /metrics at each scrape): ranges of the state
        index, never the sent deliveries, which only grow."""
        counts = {s.value: 0 for s in DeliveryState if s is not DeliveryState.SENT}
        marks = ", ".join("?" * len(counts))
        rows = await self._db.fetch_all(
            f"SELECT state, count(*) FROM deliveries WHERE state IN ({marks}) GROUP BY state", list(counts)
        )
        for state, n in rows:
            counts[state] = int(n)
        return counts

    async def for_reader(self, reader_id: int) -> list[tuple[int | None, int | None, str, str | None]]:
        """(article id, broadcast id, state, error) of a reader's deliveries, oldest first."""
        found = await self._db.fetch_all(
            "SELECT article_id, broadcast_id, state, error FROM deliveries WHERE reader_id = ? ORDER BY id",
            (reader_id,),
        )
        return [(r[0], r[1], str(r[2]), r[3]) for r in found]
