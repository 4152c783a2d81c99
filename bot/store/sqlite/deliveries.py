"""Deliveries: one row per (reader, item), recorded before sending and marked when Telegram confirms."""

from __future__ import annotations

import json
from collections.abc import Sequence

import aiosqlite

from bot.models import Broadcast, ChatKind, DeliveryState, DigestReader, ItemReach, PendingDelivery
from bot.store.records import (
    FANOUT_STARTED,
    LISTING_KINDS,
    NO_CUTOFF,
    digest_reader,
    topic_ids_of,
    topic_ids_text,
    unpushed_story,
)
from bot.store.sqlite.db import Database, now_ts
from bot.store.sqlite.words import changes_since
from bot.store.words import WordIndex, WordMatches, item_text

__all__ = ["DeliveryRepository", "DigestReader", "PendingDelivery"]

_LISTINGS = ", ".join(f"'{k}'" for k in LISTING_KINDS)
_PENDING_COLUMNS = """
    d.id, d.reader_id, d.article_id, d.broadcast_id, d.mode, d.attempts,
    r.arabic_digits, r.quiet_start, r.quiet_end, r.timezone, c.kind
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
        timezone=row[9],  # type: ignore[arg-type]
        chat_kind=ChatKind(str(row[10] or ChatKind.PRIVATE)),
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

    async def fan_out(self, *, fresh_after: int | None = None) -> int:
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

        Only news is pushed: an item dated before `fresh_after` (UNIX seconds; undated, by when it
        was stored) leaves the outbox without a delivery (NEWSBOT_PUSH_MAX_AGE). A story told by
        several items (bot.store.records.StoryMatcher) reaches a reader once: the first of its items
        that reader follows, and none once the reader has a delivery of any item of that story.

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
            # Grouping by (reader, story) gives one row per pair, whatever the number of shared topics
            # or of the story's items in this round (the first of them: SQLite's bare column beside min()).
            cur = await conn.execute(
                f"""
                INSERT OR IGNORE INTO deliveries (reader_id, article_id, mode, state, created_at)
                SELECT s.reader_id, min(at.article_id),
                       CASE WHEN max(u.article_id) IS NULL THEN r.push_mode ELSE 'broadcast' END, 'queued', ?
                FROM article_topics at
                JOIN articles a ON a.id = at.article_id
                JOIN subscriptions s ON s.topic_id = at.topic_id
                JOIN topics t ON t.id = at.topic_id AND t.state = 'active'
                JOIN readers r ON r.id = s.reader_id
                LEFT JOIN urgent_articles u ON u.article_id = at.article_id
                WHERE at.article_id IN (SELECT value FROM json_each(?))
                  AND r.status = 'active' AND at.article_id > s.after_article
                  AND coalesce(a.published_at, a.stored_at) >= ?
                  AND {unpushed_story("s.reader_id")}
                GROUP BY coalesce(a.duplicate_of, a.id), s.reader_id
                """,
                (now, ids, NO_CUTOFF if fresh_after is None else fresh_after),
            )
            recorded = cur.rowcount
            matches = await self._match_words(conn, ids)
            # Each as one statement over JSON [[article id, [reader id, …]], …] (one bound parameter),
            # the pairs the outer loop (CROSS JOIN fixes the order): each looks its row up by key.
            # Left to itself the planner scanned the readers, or the queue, and the pairs for each.
            if matches.follows:
                # Grouped by (story, reader) as the topics' insert is: the story check sees only
                # rows from before the statement, so two items of one story in a round were both
                # pushed through a word.
                cur = await conn.execute(
                    "INSERT OR IGNORE INTO deliveries (reader_id, article_id, mode, state, created_at) "
                    "SELECT r.id, min(w.article_id), "
                    "CASE WHEN max(u.article_id) IS NULL THEN r.push_mode ELSE 'broadcast' END, "
                    f"'queued', ? FROM {_WORD_PAIRS} w "
                    "CROSS JOIN readers r ON r.id = w.reader_id CROSS JOIN articles a ON a.id = w.article_id "
                    "LEFT JOIN urgent_articles u ON u.article_id = w.article_id "
                    "WHERE r.status = 'active' AND coalesce(a.published_at, a.stored_at) >= ? "
                    f"AND {unpushed_story('r.id')} GROUP BY coalesce(a.duplicate_of, a.id), r.id",
                    (now, _pairs_json(matches.follows), NO_CUTOFF if fresh_after is None else fresh_after),
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

    async def create_broadcast(
        self,
        text: str,
        created_by: int | None,
        *,
        article_id: int | None = None,
        topic_ids: Sequence[int] = (),
        send_at: int | None = None,
    ) -> tuple[int, int]:
        """Store breaking news (a text, or a stored item) for every active reader or the subscribers
        of `topic_ids`; with `send_at`, kept 'scheduled' until `record_due_broadcasts` reaches its
        time, else its deliveries recorded in the same transaction. Returns (broadcast id, recorded)."""
        now = now_ts()
        scheduled = send_at is not None
        async with self._db.write() as conn:
            cur = await conn.execute(
                "INSERT INTO broadcasts (text, created_by, created_at, article_id, topic_ids, send_at, state) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    text, created_by, now, article_id, topic_ids_text(topic_ids), send_at,
                    "scheduled" if scheduled else "recorded",
                ),
            )  # fmt: skip
            broadcast_id = int(cur.lastrowid or 0)
            if scheduled:
                return broadcast_id, 0
            recorded = await self._record(conn, broadcast_id, article_id, tuple(topic_ids), now)
        return broadcast_id, recorded

    @staticmethod
    async def _record(
        conn: aiosqlite.Connection, broadcast_id: int, article_id: int | None, topic_ids: tuple[int, ...], now: int
    ) -> int:
        """One delivery of the broadcast per reader it reaches; an item's routine pushes still queued
        for those readers are cancelled (they get it as breaking news, once)."""
        if topic_ids:
            cur = await conn.execute(
                """
                INSERT OR IGNORE INTO deliveries (reader_id, broadcast_id, mode, state, created_at)
                SELECT DISTINCT s.reader_id, ?, 'broadcast', 'queued', ?
                FROM subscriptions s JOIN readers r ON r.id = s.reader_id
                WHERE s.topic_id IN (SELECT value FROM json_each(?)) AND r.status = 'active'
                """,
                (broadcast_id, now, json.dumps(list(topic_ids))),
            )
        else:
            cur = await conn.execute(
                """
                INSERT OR IGNORE INTO deliveries (reader_id, broadcast_id, mode, state, created_at)
                SELECT id, ?, 'broadcast', 'queued', ? FROM readers WHERE status = 'active'
                AND id NOT IN (SELECT id FROM chats)
                """,
                (broadcast_id, now),
            )
        recorded = cur.rowcount
        await conn.execute(
            "UPDATE broadcasts SET state = 'recorded', recorded = ? WHERE id = ?", (recorded, broadcast_id)
        )
        if article_id is not None:
            await conn.execute(
                """
                UPDATE deliveries SET state = 'cancelled', error = ?
                WHERE article_id = ? AND state = 'queued'
                  AND reader_id IN (SELECT reader_id FROM deliveries WHERE broadcast_id = ?)
                """,
                (f"sent as breaking news {broadcast_id}", article_id, broadcast_id),
            )
        return recorded

    async def record_due_broadcasts(self, now: int) -> int:
        """Record the deliveries of every scheduled broadcast whose time has come (the leader's round);
        returns the deliveries recorded. Each broadcast in one transaction with its deliveries."""
        total = 0
        while True:
            async with self._db.write() as conn:
                async with conn.execute(
                    "SELECT id, article_id, topic_ids FROM broadcasts WHERE state = 'scheduled' AND send_at <= ? "
                    "ORDER BY send_at, id LIMIT 1",
                    (now,),
                ) as cur:
                    row = await cur.fetchone()
                if row is None:
                    return total
                total += await self._record(conn, int(row[0]), row[1], topic_ids_of(row[2]), now_ts())

    async def audience(self, topic_ids: Sequence[int] = ()) -> int:
        """How many readers a broadcast would reach now: every active reader, or the active
        subscribers of any of `topic_ids` (each reader once)."""
        if not topic_ids:
            row = await self._db.fetch_one("SELECT count(*) FROM readers WHERE status = 'active'")
        else:
            row = await self._db.fetch_one(
                "SELECT count(DISTINCT s.reader_id) FROM subscriptions s JOIN readers r ON r.id = s.reader_id "
                "WHERE s.topic_id IN (SELECT value FROM json_each(?)) AND r.status = 'active'",
                (json.dumps(list(topic_ids)),),
            )
        return int(row[0]) if row else 0

    async def broadcast(self, broadcast_id: int) -> Broadcast | None:
        row = await self._db.fetch_one(
            "SELECT id, text, article_id, topic_ids, send_at, state, recorded FROM broadcasts WHERE id = ?",
            (broadcast_id,),
        )
        if row is None:
            return None
        return Broadcast(
            id=int(row[0]), text=str(row[1]), article_id=row[2], topic_ids=topic_ids_of(row[3]),
            send_at=row[4], state=str(row[5]), recorded=int(row[6]),
        )  # fmt: skip

    async def broadcast_text(self, broadcast_id: int) -> str | None:
        row = await self._db.fetch_one("SELECT text FROM broadcasts WHERE id = ?", (broadcast_id,))
        return str(row[0]) if row else None

    async def mark_urgent(self, article_id: int, marked_by: int | None = None) -> int | None:
        """Mark a stored item urgent: its deliveries still queued (instant or digest) move to the
        breaking-news lane, and a fan-out still to come records it there. None when there is no such
        item; else how many queued deliveries moved."""
        async with self._db.write() as conn:
            async with conn.execute("SELECT 1 FROM articles WHERE id = ?", (article_id,)) as cur:
                if await cur.fetchone() is None:
                    return None
            await conn.execute(
                "INSERT OR IGNORE INTO urgent_articles (article_id, marked_by, marked_at) VALUES (?, ?, ?)",
                (article_id, marked_by, now_ts()),
            )
            cur = await conn.execute(
                "UPDATE deliveries SET mode = 'broadcast' WHERE article_id = ? AND state = 'queued' "
                "AND mode IN ('instant', 'digest')",
                (article_id,),
            )
            return cur.rowcount

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
                "LEFT JOIN chats c ON c.id = d.reader_id "
                f"WHERE d.id IN ({marks})",
                chunk,
            ) as cur:
                out.extend(_pending(r) for r in await cur.fetchall())
        return sorted(out, key=lambda d: d.id)

    async def mark_sent(
        self,
        sent: Sequence[tuple[int, int | None]],
        kinds: Sequence[str] | None = None,
        photos: Sequence[str | None] | None = None,
    ) -> None:
        """(delivery id, Telegram message id) pairs confirmed by Telegram, each message recorded in
        the same transaction as a sent message of its kind (`kinds`, in the same order; text when
        not given) for corrections and withdrawals. A message of an item withdrawn while it was in
        flight gets its deletion queued at once."""
        if not sent:
            return
        now = now_ts()
        kinds = kinds if kinds is not None else ["text"] * len(sent)
        photos = photos if photos is not None else [None] * len(sent)
        async with self._db.write() as conn:
            await conn.executemany(
                "UPDATE deliveries SET state = 'sent', message_id = ?, sent_at = ?, error = NULL WHERE id = ?",
                [(message_id, now, delivery_id) for delivery_id, message_id in sent],
            )
            await self._record_messages(
                conn,
                [(d, m, k, p) for (d, m), k, p in zip(sent, kinds, photos, strict=True) if m is not None],
                now,
            )

    @staticmethod
    async def _record_messages(
        conn: aiosqlite.Connection, sent: Sequence[tuple[int, int, str, str | None]], now: int
    ) -> None:
        """Sent messages (migration 0012) for (delivery id, message id, kind, picture) confirmed now."""
        if not sent:
            return
        await conn.executemany(
            "INSERT OR IGNORE INTO sent_messages (delivery_id, article_id, chat_id, message_id, kind, photo, sent_at) "
            "SELECT id, article_id, reader_id, ?, ?, ?, ? FROM deliveries WHERE id = ?",
            [(message_id, kind, photo, now, delivery_id) for delivery_id, message_id, kind, photo in sent],
        )
        await conn.execute(
            "INSERT OR IGNORE INTO message_jobs (sent_id, action, created_at) "
            f"SELECT s.id, CASE WHEN s.kind IN ({_LISTINGS}) THEN 'edit' ELSE 'delete' END, ? "
            "FROM sent_messages s JOIN articles a ON a.id = s.article_id "
            "WHERE s.delivery_id IN (SELECT value FROM json_each(?)) AND a.withdrawn_at IS NOT NULL",
            (now, json.dumps([entry[0] for entry in sent])),
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
            SELECT r.id, r.digest_hours, r.last_digest_at, q.oldest, r.arabic_digits, r.quiet_start, r.quiet_end,
                r.timezone
            FROM (
                SELECT reader_id, min(created_at) AS oldest FROM deliveries
                WHERE state = 'queued' AND mode = 'digest' GROUP BY reader_id
            ) q JOIN readers r ON r.id = q.reader_id
            WHERE r.status = 'active'
            ORDER BY r.id
            """
        )
        return [digest_reader(r) for r in rows]

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
            await self._record_messages(conn, [(i, message_id, "digest", None) for i in delivery_ids], now)
            await conn.execute("UPDATE readers SET last_digest_at = ? WHERE id = ?", (at, reader_id))

    # -- what readers did with pushes ----------------------------------------------------------

    async def mark_opened(self, reader_id: int, article_id: int) -> bool:
        """The reader opened the whole article from its push's button: True the first time (one
        point update through the (reader, article) index; later presses change nothing)."""
        async with self._db.write() as conn:
            cur = await conn.execute(
                "UPDATE deliveries SET opened_at = ? WHERE reader_id = ? AND article_id = ? AND opened_at IS NULL",
                (now_ts(), reader_id, article_id),
            )
            return cur.rowcount == 1

    async def reach_since(self, since: int, limit: int) -> list[ItemReach]:
        """Items stored since `since` (UNIX seconds) and pushed, newest first: pushes sent, readers
        who opened the whole article from one."""
        found = await self._db.fetch_all(
            """
            SELECT a.id, a.headline, sum(d.state = 'sent'), count(d.opened_at)
            FROM articles a JOIN deliveries d ON d.article_id = a.id
            WHERE a.stored_at >= ?
            GROUP BY a.id ORDER BY a.id DESC LIMIT ?
            """,
            (since, limit),
        )
        return [ItemReach(int(r[0]), str(r[1]), int(r[2] or 0), int(r[3])) for r in found]

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
