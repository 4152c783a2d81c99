"""Subscriptions on PostgreSQL: which reader follows which topic.

"Items stored before a subscription are not pushed to it", exactly, with many writers: ids from a
sequence do not follow commit order, so a subscription keeps as its mark (`after_seq`) the
content_version it reads with FOR SHARE. A batch of articles holds that row locked FOR UPDATE from
its start to its commit and moves it once, giving its outbox rows the new value; a subscription
made while a batch is open waits for it and gets a mark at or above the batch's value (not
pushed), one made before the batch takes the lock makes the batch wait and gets a lower mark
(pushed). Fan-out compares the outbox row's value with the mark, so the rule holds however the
two transactions interleave, in one process or many.
"""

from __future__ import annotations

from bot.models import Topic, TopicChange
from bot.store import rows
from bot.store.postgres.db import PgDatabase, affected, now_ts
from bot.store.postgres.topics import ORDER
from bot.store.records import day_of, subscriptions_counted

_SUBSCRIBE = """
    INSERT INTO subscriptions (reader_id, topic_id, created_at, after_seq)
    SELECT $1, $2, $3, n FROM content_version WHERE id = 1
        AND NOT EXISTS (SELECT 1 FROM topics WHERE id = $2 AND state <> 'active')
    FOR SHARE OF content_version
    ON CONFLICT DO NOTHING
"""
# A reader subscribed (gained) or left (lost): counted per topic and day, without the reader.
_GAINED = subscriptions_counted("gained", "$1", "$2", "1")
_LOST = subscriptions_counted("lost", "$1", "$2", "1")


class PgSubscriptionRepository:
    def __init__(self, db: PgDatabase) -> None:
        self._db = db

    async def subscribe(self, reader_id: int, topic_id: int) -> bool:
        """True when the subscription is new (never for a topic that has ended)."""
        now = now_ts()
        async with self._db.transaction() as conn:
            if affected(await conn.execute(_SUBSCRIBE, reader_id, topic_id, now)) != 1:
                return False
            await conn.execute(_GAINED, topic_id, day_of(now))
            return True

    async def unsubscribe(self, reader_id: int, topic_id: int) -> bool:
        """True when there was a subscription to remove."""
        async with self._db.transaction() as conn:
            status = await conn.execute(
                "DELETE FROM subscriptions WHERE reader_id = $1 AND topic_id = $2", reader_id, topic_id
            )
            if affected(status) != 1:
                return False
            await conn.execute(_LOST, topic_id, day_of(now_ts()))
            return True

    async def toggle(self, reader_id: int, topic_id: int) -> bool | None:
        """Subscribe when not subscribed, else unsubscribe, in one transaction; True when subscribed
        afterwards, None (and nothing changed) when there is no such topic, or it has ended and
        the reader did not follow it.

        Toggles of one reader are serialized on the reader's row (FOR NO KEY UPDATE, which does not
        hold up fan-out's inserts referencing it), so taps from several instances alternate."""
        async with self._db.transaction() as conn:
            state = await conn.fetchval("SELECT state FROM topics WHERE id = $1", topic_id)
            if state is None:
                return None
            await conn.execute("SELECT 1 FROM readers WHERE id = $1 FOR NO KEY UPDATE", reader_id)
            removed = await conn.execute(
                "DELETE FROM subscriptions WHERE reader_id = $1 AND topic_id = $2", reader_id, topic_id
            )
            now = now_ts()
            if affected(removed) == 1:
                await conn.execute(_LOST, topic_id, day_of(now))
                return False
            if state != "active":  # an ended topic can be left, not followed
                return None
            await conn.execute(_SUBSCRIBE, reader_id, topic_id, now)
            await conn.execute(_GAINED, topic_id, day_of(now))
            return True

    async def topic_ids(self, reader_id: int) -> set[int]:
        found = await self._db.fetch("SELECT topic_id FROM subscriptions WHERE reader_id = $1", reader_id)
        return {int(r[0]) for r in found}

    async def every_topic(self, reader_id: int) -> list[tuple[Topic, bool]]:
        """Every active topic (as `PgTopicRepository.all` orders them), each with whether the reader follows it."""
        found = await self._db.fetch(
            """
            SELECT t.*, s.reader_id IS NOT NULL AS subscribed
            FROM topics t LEFT JOIN subscriptions s ON s.topic_id = t.id AND s.reader_id = $1
            WHERE t.state = 'active'
            """
            + ORDER,
            reader_id,
        )
        return [(rows.topic(r, r["article_count"]), bool(r["subscribed"])) for r in found]

    async def topics(self, reader_id: int) -> list[Topic]:
        found = await self._db.fetch(
            """
            SELECT t.* FROM subscriptions s JOIN topics t ON t.id = s.topic_id
            WHERE s.reader_id = $1 ORDER BY s.created_at, t.id
            """,
            reader_id,
        )
        return [rows.topic(r, r["article_count"]) for r in found]

    async def count(self) -> int:
        return int(await self._db.fetchval("SELECT count(*) FROM subscriptions") or 0)

    async def changes_since(self, since: int) -> list[TopicChange]:
        """Per topic with any: subscriptions gained and lost from `since`'s day on, busiest first."""
        found = await self._db.fetch(
            """
            SELECT t.name, sum(c.gained), sum(c.lost) FROM subscription_days c JOIN topics t ON t.id = c.topic_id
            WHERE c.day >= $1 GROUP BY t.id ORDER BY sum(c.gained) + sum(c.lost) DESC, t.id
            """,
            day_of(since),
        )
        return [TopicChange(r[0], int(r[1]), int(r[2])) for r in found]

    async def count_by_topic(self) -> list[tuple[str, int]]:
        found = await self._db.fetch(
            """
            SELECT t.name, count(s.reader_id) FROM topics t
            LEFT JOIN subscriptions s ON s.topic_id = t.id
            GROUP BY t.id ORDER BY count(s.reader_id) DESC, t.id
            """
        )
        return [(r[0], int(r[1])) for r in found]
