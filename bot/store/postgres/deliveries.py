"""Deliveries on PostgreSQL: one row per (reader, item), recorded before sending, marked when
Telegram confirms; taken from the queue with FOR UPDATE SKIP LOCKED, fanned out from the outbox."""

from __future__ import annotations

from collections.abc import Sequence

from asyncpg.pool import PoolConnectionProxy

from bot.models import Broadcast, ChatKind, DeliveryState, DigestReader, ItemReach, PendingDelivery
from bot.store.postgres.db import PgDatabase, Record, affected, now_ts
from bot.store.postgres.words import changes_since
from bot.store.records import (
    FANOUT_STARTED,
    LISTING_KINDS,
    NO_CUTOFF,
    digest_reader,
    topic_ids_of,
    topic_ids_text,
    unpushed_story,
)
from bot.store.words import WordIndex, WordMatches, item_text


def _pending(row: Record) -> PendingDelivery:
    return PendingDelivery(
        id=int(row["id"]),
        reader_id=int(row["reader_id"]),
        article_id=row["article_id"],
        broadcast_id=row["broadcast_id"],
        mode=str(row["mode"]),
        attempts=int(row["attempts"]),
        arabic_digits=bool(row["arabic_digits"]),
        quiet_start=row["quiet_start"],
        quiet_end=row["quiet_end"],
        timezone=row["timezone"],
        chat_kind=ChatKind(row["kind"] or ChatKind.PRIVATE),
    )


class PgDeliveryRepository:
    def __init__(self, db: PgDatabase) -> None:
        self._db = db
        self._words = WordIndex()  # every reader's words, kept up to date at each round

    async def fan_out(self, *, fresh_after: int | None = None) -> int:
        """Record a delivery for each active subscriber of each article in the outbox, then delete
        those outbox rows, in one transaction (the SQLite store's rules).

        The round takes the outbox rows with FOR UPDATE SKIP LOCKED: two rounds at once (an old
        leader not yet gone, a new one) work on different rows, and a batch still being written is
        not seen until it commits, then taken by the next round. A subscription receives an article
        only when the article's batch committed after it (outbox seq above its mark), and never
        through a topic that has ended (archived or merged). One delivery
        per (reader, article), whatever the number of shared topics. No ON CONFLICT (its speculative
        insertion doubled the time of a large round): an outbox row and the deliveries it makes
        are written and deleted in one transaction, and rounds take disjoint rows, so an article
        in the outbox has none yet; the unique index would refuse a second one (rolled back).

        As on SQLite, an item dated before `fresh_after` is not pushed, and a story told by several
        items reaches a reader once (the first of its items they follow; none after any of them).

        Readers' words (bot.store.words) join the same round, as on SQLite: a followed word adds
        the reader where no topic did (ON CONFLICT DO NOTHING: those rows are few), its mark
        compared with the outbox row's seq; a muted word takes out what the round recorded.
        """
        now = now_ts()
        async with self._db.transaction() as conn:
            if await conn.fetchval("SELECT 1 FROM meta WHERE key = $1", FANOUT_STARTED) is None:
                first = await conn.execute(
                    "INSERT INTO meta (key, value) VALUES ($1, '1') ON CONFLICT DO NOTHING", FANOUT_STARTED
                )
                if affected(first) == 1:
                    await conn.execute("DELETE FROM outbox")
                    return 0
            taken = await conn.fetch("SELECT article_id, seq FROM outbox ORDER BY article_id FOR UPDATE SKIP LOCKED")
            if not taken:
                return 0
            ids = [int(r[0]) for r in taken]
            seqs = [int(r[1]) for r in taken]
            # A (story, reader) pair comes from two rows only when a story has two items in the
            # round or an item two active topics (a reader may follow both); without either, each
            # subscription row is a pair of its own and the round needs no aggregate over a
            # million rows (two fifths of the statement's time without its index work).
            shared = await conn.fetchval(
                """
                SELECT EXISTS (SELECT FROM articles a JOIN article_topics at ON at.article_id = a.id
                               JOIN topics t ON t.id = at.topic_id AND t.state = 'active'
                               WHERE a.id = ANY($1::bigint[])
                               GROUP BY coalesce(a.duplicate_of, a.id) HAVING count(*) > 1)
                """,
                ids,
            )
            if shared:
                pick = (
                    "min(o.article_id), "
                    "CASE WHEN bool_or(u.article_id IS NOT NULL) THEN 'broadcast' ELSE min(r.push_mode) END"
                )
                group = "GROUP BY coalesce(a.duplicate_of, a.id), s.reader_id"
            else:
                pick = "o.article_id, CASE WHEN u.article_id IS NULL THEN r.push_mode ELSE 'broadcast' END"
                group = ""
            status = await conn.execute(
                f"""
                INSERT INTO deliveries (reader_id, article_id, mode, state, created_at)
                SELECT s.reader_id, {pick}, 'queued', $3
                FROM unnest($1::bigint[], $2::bigint[]) AS o (article_id, seq)
                JOIN articles a ON a.id = o.article_id
                JOIN article_topics at ON at.article_id = o.article_id
                JOIN subscriptions s ON s.topic_id = at.topic_id AND o.seq > s.after_seq
                JOIN topics t ON t.id = at.topic_id AND t.state = 'active'
                JOIN readers r ON r.id = s.reader_id
                LEFT JOIN urgent_articles u ON u.article_id = o.article_id
                WHERE r.status = 'active' AND coalesce(a.published_at, a.stored_at) >= $4
                  AND {unpushed_story("s.reader_id")}
                {group}
                """,
                ids,
                seqs,
                now,
                NO_CUTOFF if fresh_after is None else fresh_after,
            )
            recorded = affected(status)
            matches = await self._match_words(conn, ids, seqs)
            if matches.follows:
                # Grouped by (story, reader) as the topics' insert is: the story check sees only rows
                # from before the statement, so two items of one story in a round were both pushed.
                added = await conn.execute(
                    f"""
                    INSERT INTO deliveries (reader_id, article_id, mode, state, created_at)
                    SELECT r.id, min(w.article_id),
                           CASE WHEN bool_or(u.article_id IS NOT NULL) THEN 'broadcast' ELSE min(r.push_mode) END,
                           'queued', $3
                    FROM unnest($1::bigint[], $2::bigint[]) AS w (article_id, reader_id)
                    JOIN readers r ON r.id = w.reader_id
                    JOIN articles a ON a.id = w.article_id
                    LEFT JOIN urgent_articles u ON u.article_id = w.article_id
                    WHERE r.status = 'active' AND coalesce(a.published_at, a.stored_at) >= $4
                      AND {unpushed_story("r.id")}
                    GROUP BY coalesce(a.duplicate_of, a.id), r.id
                    ON CONFLICT DO NOTHING
                    """,
                    *WordMatches.pairs(matches.follows),
                    now,
                    NO_CUTOFF if fresh_after is None else fresh_after,
                )
                recorded += affected(added)
            if matches.muted:
                removed = await conn.execute(
                    """
                    DELETE FROM deliveries d
                    USING unnest($1::bigint[], $2::bigint[]) AS m (article_id, reader_id)
                    WHERE d.article_id = m.article_id AND d.reader_id = m.reader_id AND d.state = 'queued'
                    """,
                    *WordMatches.pairs(matches.muted),
                )
                recorded -= affected(removed)
            await conn.execute("DELETE FROM outbox WHERE article_id = ANY($1::bigint[])", ids)
        return recorded

    async def _match_words(self, conn: PoolConnectionProxy[Record], ids: list[int], seqs: list[int]) -> WordMatches:
        """The round's items matched against every reader's words; an item's mark is its outbox seq."""
        self._words.apply(await changes_since(conn, self._words.seq))
        if not len(self._words):
            return WordMatches({}, {})
        mark = dict(zip(ids, seqs, strict=True))
        found = await conn.fetch("SELECT id, headline, lead, body FROM articles WHERE id = ANY($1::bigint[])", ids)
        return self._words.match([(int(r[0]), mark[int(r[0])], item_text(r[1], r[2], r[3])) for r in found])

    async def create_broadcast(
        self,
        text: str,
        created_by: int | None,
        *,
        article_id: int | None = None,
        topic_ids: Sequence[int] = (),
        send_at: int | None = None,
    ) -> tuple[int, int]:
        """Store breaking news for every active reader or the subscribers of `topic_ids`; with
        `send_at`, kept 'scheduled' until `record_due_broadcasts`, else recorded in the same
        transaction (the SQLite store's rules). Returns (broadcast id, recorded)."""
        now = now_ts()
        scheduled = send_at is not None
        async with self._db.transaction() as conn:
            values = (text, created_by, now, article_id, topic_ids_text(topic_ids), send_at)
            broadcast_id = int(
                await conn.fetchval(
                    "INSERT INTO broadcasts (text, created_by, created_at, article_id, topic_ids, send_at, state) "
                    "VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
                    *values,
                    "scheduled" if scheduled else "recorded",
                )
            )
            if scheduled:
                return broadcast_id, 0
            recorded = await self._record(conn, broadcast_id, article_id, tuple(topic_ids), now)
        return broadcast_id, recorded

    @staticmethod
    async def _record(
        conn: PoolConnectionProxy[Record],
        broadcast_id: int,
        article_id: int | None,
        topic_ids: tuple[int, ...],
        now: int,
    ) -> int:
        """One delivery of the broadcast per reader it reaches; an item's routine pushes still queued
        for those readers are cancelled (they get it as breaking news, once)."""
        if topic_ids:
            status = await conn.execute(
                """
                INSERT INTO deliveries (reader_id, broadcast_id, mode, state, created_at)
                SELECT DISTINCT s.reader_id, $1::bigint, 'broadcast', 'queued', $2::bigint
                FROM subscriptions s JOIN readers r ON r.id = s.reader_id
                WHERE s.topic_id = ANY($3::bigint[]) AND r.status = 'active'
                ON CONFLICT DO NOTHING
                """,
                broadcast_id,
                now,
                list(topic_ids),
            )
        else:
            status = await conn.execute(
                """
                INSERT INTO deliveries (reader_id, broadcast_id, mode, state, created_at)
                SELECT id, $1, 'broadcast', 'queued', $2 FROM readers WHERE status = 'active'
                AND id NOT IN (SELECT id FROM chats)
                ON CONFLICT DO NOTHING
                """,
                broadcast_id,
                now,
            )
        recorded = affected(status)
        await conn.execute(
            "UPDATE broadcasts SET state = 'recorded', recorded = $1 WHERE id = $2", recorded, broadcast_id
        )
        if article_id is not None:
            await conn.execute(
                """
                UPDATE deliveries SET state = 'cancelled', error = $1
                WHERE article_id = $2 AND state = 'queued'
                  AND reader_id IN (SELECT reader_id FROM deliveries WHERE broadcast_id = $3)
                """,
                f"sent as breaking news {broadcast_id}",
                article_id,
                broadcast_id,
            )
        return recorded

    async def record_due_broadcasts(self, now: int) -> int:
        """Record the deliveries of every scheduled broadcast whose time has come (the leader's round),
        each in one transaction with its row taken FOR UPDATE SKIP LOCKED (two leaders for a moment
        never record one twice). Returns the deliveries recorded."""
        total = 0
        while True:
            async with self._db.transaction() as conn:
                row = await conn.fetchrow(
                    "SELECT id, article_id, topic_ids FROM broadcasts WHERE state = 'scheduled' AND send_at <= $1 "
                    "ORDER BY send_at, id LIMIT 1 FOR UPDATE SKIP LOCKED",
                    now,
                )
                if row is None:
                    return total
                total += await self._record(conn, int(row[0]), row[1], topic_ids_of(row[2]), now_ts())

    async def audience(self, topic_ids: Sequence[int] = ()) -> int:
        """How many readers a broadcast would reach now (each reader once)."""
        if not topic_ids:
            found = await self._db.fetchval("SELECT count(*) FROM readers WHERE status = 'active'")
        else:
            found = await self._db.fetchval(
                "SELECT count(DISTINCT s.reader_id) FROM subscriptions s JOIN readers r ON r.id = s.reader_id "
                "WHERE s.topic_id = ANY($1::bigint[]) AND r.status = 'active'",
                list(topic_ids),
            )
        return int(found or 0)

    async def broadcast(self, broadcast_id: int) -> Broadcast | None:
        row = await self._db.fetchrow(
            "SELECT id, text, article_id, topic_ids, send_at, state, recorded FROM broadcasts WHERE id = $1",
            broadcast_id,
        )
        if row is None:
            return None
        return Broadcast(
            id=int(row["id"]), text=str(row["text"]), article_id=row["article_id"],
            topic_ids=topic_ids_of(row["topic_ids"]), send_at=row["send_at"], state=str(row["state"]),
            recorded=int(row["recorded"]),
        )  # fmt: skip

    async def broadcast_text(self, broadcast_id: int) -> str | None:
        found = await self._db.fetchval("SELECT text FROM broadcasts WHERE id = $1", broadcast_id)
        return None if found is None else str(found)

    async def mark_urgent(self, article_id: int, marked_by: int | None = None) -> int | None:
        """Mark a stored item urgent (the SQLite store's rules): its queued deliveries move to the
        breaking-news lane; None when there is no such item, else how many moved."""
        async with self._db.transaction() as conn:
            if await conn.fetchval("SELECT 1 FROM articles WHERE id = $1", article_id) is None:
                return None
            await conn.execute(
                "INSERT INTO urgent_articles (article_id, marked_by, marked_at) VALUES ($1, $2, $3) "
                "ON CONFLICT DO NOTHING",
                article_id,
                marked_by,
                now_ts(),
            )
            status = await conn.execute(
                "UPDATE deliveries SET mode = 'broadcast' WHERE article_id = $1 AND state = 'queued' "
                "AND mode IN ('instant', 'digest')",
                article_id,
            )
            return affected(status)

    async def claim(self, limit: int, *, now: int | None = None, urgent_only: bool = False) -> list[PendingDelivery]:
        """Take up to `limit` due deliveries, marking them in flight: breaking news (broadcasts) first,
        then routine instant pushes, each oldest first; with `urgent_only`, breaking news only."""
        now = now_ts() if now is None else now
        taken = await self._take("mode = 'broadcast' AND not_before <= $2", limit, now)
        if not urgent_only and len(taken) < limit:
            taken += await self._take("mode = 'instant' AND not_before <= $2", limit - len(taken), now)
        return taken

    async def claim_backlog(self, reader_id: int, limit: int, *, now: int | None = None) -> list[PendingDelivery]:
        """Take one reader's due routine instant deliveries (oldest first, at most `limit`): a backlog
        to be merged into one message."""
        now = now_ts() if now is None else now
        return await self._take("reader_id = $2 AND mode = 'instant' AND not_before <= $3", limit, reader_id, now)

    async def backlog_sizes(self, reader_ids: Sequence[int]) -> dict[int, int]:
        """For each of these readers with any: how many routine instant deliveries are still queued."""
        if not reader_ids:
            return {}
        found = await self._db.fetch(
            "SELECT reader_id, count(*) FROM deliveries WHERE reader_id = ANY($1::bigint[]) "
            "AND state = 'queued' AND mode = 'instant' GROUP BY reader_id",
            list(reader_ids),
        )
        return {int(r[0]): int(r[1]) for r in found}

    async def _take(self, where: str, limit: int, *values: object) -> list[PendingDelivery]:
        """Mark up to `limit` queued deliveries matching `where` (a constant fragment on $2, $3, … for
        `values`) in flight.

        FOR UPDATE SKIP LOCKED: rows another transaction is taking are passed over, never waited
        for or taken twice."""
        rows = await self._db.fetch(
            f"""
            WITH taken AS (
                UPDATE deliveries d SET state = 'sending', attempts = d.attempts + 1
                FROM (SELECT id FROM deliveries WHERE state = 'queued' AND {where}
                      ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED) q
                WHERE d.id = q.id
                RETURNING d.id, d.reader_id, d.article_id, d.broadcast_id, d.mode, d.attempts
            )
            SELECT taken.*, r.arabic_digits, r.quiet_start, r.quiet_end, r.timezone, c.kind
            FROM taken JOIN readers r ON r.id = taken.reader_id LEFT JOIN chats c ON c.id = taken.reader_id
            ORDER BY taken.id
            """,
            limit,
            *values,
        )
        return [_pending(r) for r in rows]

    async def mark_sent(
        self,
        sent: Sequence[tuple[int, int | None]],
        kinds: Sequence[str] | None = None,
        photos: Sequence[str | None] | None = None,
    ) -> None:
        """(delivery id, Telegram message id) pairs confirmed by Telegram, each message recorded as
        a sent message of its kind in the same transaction (as on SQLite)."""
        if not sent:
            return
        kinds = kinds if kinds is not None else ["text"] * len(sent)
        photos = photos if photos is not None else [None] * len(sent)
        now = now_ts()
        async with self._db.transaction() as conn:
            await conn.execute(
                """
                UPDATE deliveries d SET state = 'sent', message_id = s.message_id, sent_at = $3, error = NULL
                FROM unnest($1::bigint[], $2::bigint[]) AS s (id, message_id) WHERE d.id = s.id
                """,
                [delivery_id for delivery_id, _ in sent],
                [message_id for _, message_id in sent],
                now,
            )
            await _record_messages(
                conn,
                [(d, m, k, p) for (d, m), k, p in zip(sent, kinds, photos, strict=True) if m is not None],
                now,
            )

    async def release(self, delivery_ids: Sequence[int]) -> None:
        """Put deliveries taken but not sent back in the queue (a clean stop), keeping their attempts."""
        await self._db.execute(
            "UPDATE deliveries SET state = 'queued' WHERE id = ANY($1::bigint[]) AND state = 'sending'",
            list(delivery_ids),
        )

    async def retry_later(self, delivery_id: int, not_before: int, error: str) -> None:
        await self._db.execute(
            "UPDATE deliveries SET state = 'queued', not_before = $1, error = $2 WHERE id = $3",
            not_before,
            error,
            delivery_id,
        )

    async def mark_failed(self, delivery_id: int, error: str, attempts: int | None = None) -> None:
        await self._db.execute(
            "UPDATE deliveries SET state = 'failed', error = $1, attempts = coalesce($2, attempts) WHERE id = $3",
            error,
            attempts,
            delivery_id,
        )

    async def requeue_in_flight(self) -> int:
        """After a crash (or when this instance becomes the leader): what was in flight goes again."""
        return affected(await self._db.execute("UPDATE deliveries SET state = 'queued' WHERE state = 'sending'"))

    # -- digests -------------------------------------------------------------------------------

    async def digest_readers(self) -> list[DigestReader]:
        rows = await self._db.fetch(
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
        return await self._take("reader_id = $2 AND mode = 'digest'", limit, reader_id)

    async def mark_digest_sent(self, reader_id: int, delivery_ids: Sequence[int], message_id: int, at: int) -> None:
        async with self._db.transaction() as conn:
            await conn.execute(
                "UPDATE deliveries SET state = 'sent', message_id = $1, sent_at = $2, error = NULL "
                "WHERE id = ANY($3::bigint[])",
                message_id,
                now_ts(),
                list(delivery_ids),
            )
            await _record_messages(conn, [(i, message_id, "digest", None) for i in delivery_ids], now_ts())
            await conn.execute("UPDATE readers SET last_digest_at = $1 WHERE id = $2", at, reader_id)

    # -- what readers did with pushes ----------------------------------------------------------

    async def mark_opened(self, reader_id: int, article_id: int) -> bool:
        """The reader opened the whole article from its push's button: True the first time (one
        point update through the (reader, article) index; later presses change nothing)."""
        status = await self._db.execute(
            "UPDATE deliveries SET opened_at = $1 WHERE reader_id = $2 AND article_id = $3 AND opened_at IS NULL",
            now_ts(),
            reader_id,
            article_id,
        )
        return affected(status) == 1

    async def reach_since(self, since: int, limit: int) -> list[ItemReach]:
        """Items stored since `since` (UNIX seconds) and pushed, newest first: pushes sent, readers
        who opened the whole article from one."""
        found = await self._db.fetch(
            """
            SELECT a.id, a.headline, count(*) FILTER (WHERE d.state = 'sent'), count(d.opened_at)
            FROM articles a JOIN deliveries d ON d.article_id = a.id
            WHERE a.stored_at >= $1
            GROUP BY a.id ORDER BY a.id DESC LIMIT $2
            """,
            since,
            limit,
        )
        return [ItemReach(int(r[0]), str(r[1]), int(r[2]), int(r[3])) for r in found]

    # -- visibility ----------------------------------------------------------------------------

    async def count_by_state(self) -> dict[str, int]:
        counts = {s.value: 0 for s in DeliveryState}
        for state, n in await self._db.fetch("SELECT state, count(*) FROM deliveries GROUP BY state"):
            counts[state] = int(n)
        return counts

    async def count_unsent_by_state(self) -> dict[str, int]:
        """Each unsent state's count (read at every metrics scrape): the queue through its own index,
        the others through deliveries_unsettled (migration 0012), never a walk over the sent rows."""
        counts = {s.value: 0 for s in DeliveryState if s is not DeliveryState.SENT}
        rows = await self._db.fetch(
            "SELECT 'queued', count(*) FROM deliveries WHERE state = 'queued' UNION ALL "
            "SELECT state, count(*) FROM deliveries WHERE state IN ('sending', 'failed', 'cancelled') GROUP BY state"
        )
        for state, n in rows:
            counts[state] = int(n)
        return counts

    async def for_reader(self, reader_id: int) -> list[tuple[int | None, int | None, str, str | None]]:
        found = await self._db.fetch(
            "SELECT article_id, broadcast_id, state, error FROM deliveries WHERE reader_id = $1 ORDER BY id",
            reader_id,
        )
        return [(r[0], r[1], str(r[2]), r[3]) for r in found]


async def _record_messages(
    conn: PoolConnectionProxy[Record], sent: Sequence[tuple[int, int, str, str | None]], now: int
) -> None:
    """Sent messages (migration 0006) for (delivery id, message id, kind) confirmed now; a message of
    an item withdrawn while it was in flight gets its deletion queued at once."""
    if not sent:
        return
    ids = [entry[0] for entry in sent]
    await conn.execute(
        """
        INSERT INTO sent_messages (delivery_id, article_id, chat_id, message_id, kind, photo, sent_at)
        SELECT d.id, d.article_id, d.reader_id, s.message_id, s.kind, s.photo, $5
        FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[]) AS s (id, message_id, kind, photo)
        JOIN deliveries d ON d.id = s.id
        ON CONFLICT (delivery_id) DO NOTHING
        """,
        ids,
        [entry[1] for entry in sent],
        [entry[2] for entry in sent],
        [entry[3] for entry in sent],
        now,
    )
    await conn.execute(
        """
        INSERT INTO message_jobs (sent_id, action, created_at)
        SELECT s.id, CASE WHEN s.kind = ANY($3::text[]) THEN 'edit' ELSE 'delete' END, $2
        FROM sent_messages s JOIN articles a ON a.id = s.article_id
        WHERE s.delivery_id = ANY($1::bigint[]) AND a.withdrawn_at IS NOT NULL
        ON CONFLICT (sent_id, action) WHERE state = 'queued' DO NOTHING
        """,
        ids,
        now,
        list(LISTING_KINDS),
    )
