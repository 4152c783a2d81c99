"""Subscriptions: which reader follows which topic.

"Items stored before a subscription are not pushed to it", exactly: a subscription keeps in
`after_article` the highest article id at the moment it is made, read inside its own write
transaction, and fan-out pushes an article to it only when the article's id is above. On SQLite
that is commit order: writers are serialized (BEGIN IMMEDIATE) and ids are AUTOINCREMENT, so an
article committed after the subscription has a higher id, and one committed before has a lower one.

A multi-writer engine (PostgreSQL) must not compare ids: a sequence hands out ids when rows are
inserted, not when they commit, so an article with a lower id can commit after the subscription
(and be skipped) or a higher one before it. It needs a value that follows commit order instead:
e.g. `upsert_many` takes the next value of a counter row it updates in its transaction (as it
already moves `content_version`), stored on the article or its outbox row; `subscribe` and
`toggle` read that counter with `SELECT … FOR SHARE`, which waits for an open batch to commit, and
keep it as the mark; fan-out pushes an article to a subscription when the article's value is above
the mark. The row lock orders the two transactions, so the comparison is exact under concurrency.
"""

from __future__ import annotations

import sqlite3

from bot.models import Topic, TopicChange
from bot.store import rows
from bot.store.records import day_of, subscriptions_counted
from bot.store.sqlite.db import Database, now_ts
from bot.store.sqlite.topics import ORDER

# A new subscription follows what is stored after it: it keeps the newest article id at this moment,
# read inside the same write transaction (ids only grow, and writers are serialized; see above).
_SINCE_NOW = "SELECT ?, ?, ?, (SELECT coalesce(max(id), 0) FROM articles)"
# A reader subscribed (gained) or left (lost): counted per topic and day, without the reader.
_GAINED = subscriptions_counted("gained", "?", "?", "1")
_LOST = subscriptions_counted("lost", "?", "?", "1")


class SubscriptionRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def subscribe(self, reader_id: int, topic_id: int) -> bool:
        """True when the subscription is new (never for a topic that has ended)."""
        now = now_ts()
        async with self._db.write() as conn:
            cur = await conn.execute(
                "INSERT OR IGNORE INTO subscriptions (reader_id, topic_id, created_at, after_article) "
                + _SINCE_NOW
                + " WHERE NOT EXISTS (SELECT 1 FROM topics WHERE id = ? AND state <> 'active')",
                (reader_id, topic_id, now, topic_id),
            )
            if cur.rowcount != 1:
                return False
            await conn.execute(_GAINED, (topic_id, day_of(now)))
            return True

    async def unsubscribe(self, reader_id: int, topic_id: int) -> bool:
        """True when there was a subscription to remove."""
        async with self._db.write() as conn:
            cur = await conn.execute(
                "DELETE FROM subscriptions WHERE reader_id = ? AND topic_id = ?", (reader_id, topic_id)
            )
            if cur.rowcount != 1:
                return False
            await conn.execute(_LOST, (topic_id, day_of(now_ts())))
            return True

    async def toggle(self, reader_id: int, topic_id: int) -> bool | None:
        """Subscribe when not subscribed, else unsubscribe, in one transaction; True when subscribed
        afterwards, None (and nothing changed) when there is no such topic, or it has ended and
        the reader did not follow it."""
        now = now_ts()

        def flip(conn: sqlite3.Connection) -> bool | None:
            row = conn.execute("SELECT state FROM topics WHERE id = ?", (topic_id,)).fetchone()
            if row is None:
                return None
            cur = conn.execute("DELETE FROM subscriptions WHERE reader_id = ? AND topic_id = ?", (reader_id, topic_id))
            if cur.rowcount == 1:
                conn.execute(_LOST, (topic_id, day_of(now)))
                return False
            if row[0] != "active":  # an ended topic can be left, not followed
                return None
            conn.execute(
                "INSERT INTO subscriptions (reader_id, topic_id, created_at, after_article) " + _SINCE_NOW,
                (reader_id, topic_id, now),
            )
            conn.execute(_GAINED, (topic_id, day_of(now)))
            return True

        return await self._db.transaction(flip)

    async def topic_ids(self, reader_id: int) -> set[int]:
        found = await self._db.fetch_all("SELECT topic_id FROM subscriptions WHERE reader_id = ?", (reader_id,))
        return {int(r[0]) for r in found}

    async def every_topic(self, reader_id: int) -> list[tuple[Topic, bool]]:
        """Every active topic (as `TopicRepository.all` orders them), each with whether the reader follows it."""
        found = await self._db.fetch_all(
            """
            SELECT t.*, s.reader_id IS NOT NULL AS subscribed
            FROM topics t LEFT JOIN subscriptions s ON s.topic_id = t.id AND s.reader_id = ?
            WHERE t.state = 'active'
            """
            + ORDER,
            (reader_id,),
        )
        return [(rows.topic(r, r["article_count"]), bool(r["subscribed"])) for r in found]

    async def topics(self, reader_id: int) -> list[Topic]:
        found = await self._db.fetch_all(
            """
            SELECT t.* FROM subscriptions s JOIN topics t ON t.id = s.topic_id
            WHERE s.reader_id = ? ORDER BY s.created_at, t.id
            """,
            (reader_id,),
        )
        return [rows.topic(r, r["article_count"]) for r in found]

    async def count(self) -> int:
        row = await self._db.fetch_one("SELECT count(*) FROM subscriptions")
        return int(row[0]) if row else 0

    async def changes_since(self, since: int) -> list[TopicChange]:
        """Per topic with any: subscriptions gained and lost from `since`'s day on, busiest first."""
        found = await self._db.fetch_all(
            """
            SELECT t.name, sum(c.gained), sum(c.lost) FROM subscription_days c JOIN topics t ON t.id = c.topic_id
            WHERE c.day >= ? GROUP BY t.id ORDER BY sum(c.gained) + sum(c.lost) DESC, t.id
            """,
            (day_of(since),),
        )
        return [TopicChange(r[0], int(r[1]), int(r[2])) for r in found]

    async def count_by_topic(self) -> list[tuple[str, int]]:
        found = await self._db.fetch_all(
            """
            SELECT t.name, count(s.reader_id) FROM topics t
            LEFT JOIN subscriptions s ON s.topic_id = t.id
            GROUP BY t.id ORDER BY count(s.reader_id) DESC, t.id
            """
        )
        return [(r[0], int(r[1])) for r in found]
