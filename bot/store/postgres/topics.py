"""Topics on PostgreSQL: the site's stories and sections, with the rules that file items under them
(the SQLite store's TopicRepository, same behaviour).

Editors change topics while the bot runs (bot/services/newsroom.py); each change is one transaction
and moves `topic_version` (statement triggers, migration 0003) so every instance rebuilds its
matcher. Every change takes the content_version row first, as a batch of articles does before the
topic rows its links count: both take the locks in the same order, so they never deadlock.
"""

from __future__ import annotations

from collections.abc import Sequence

from asyncpg.pool import PoolConnectionProxy

from bot.models import StoredText, Topic, TopicSpec, TopicStatus
from bot.store import rows
from bot.store.errors import StoreRejected
from bot.store.postgres.db import PgDatabase, Record, affected, now_ts
from bot.store.records import (
    day_of,
    joined,
    merged_rules,
    subscriptions_counted,
    topic_insert_values,
    topic_upsert_values,
)

# article_count is kept by triggers on article_topics (migration 0001), not counted per read.
_COUNTED = "SELECT t.* FROM topics t"
# Pinned topics first (the site's strip), then stories before sections, each in creation order.
ORDER = " ORDER BY t.pin IS NULL, t.pin, t.kind = 'section', t.id"
_LOCK_CONTENT = "SELECT n FROM content_version WHERE id = 1 FOR UPDATE"
_INSERT = """
    INSERT INTO topics (slug, name, kind, keywords, aliases, excludes, pin, created_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id
"""


async def _file(conn: PoolConnectionProxy[Record], topic_id: int, article_ids: Sequence[int]) -> None:
    """File stored articles under a topic without pushing them: no outbox rows, only links (the
    counts follow by trigger) and a moved content_version so pages and counts are right at once."""
    if not article_ids:
        return
    await conn.execute(
        "INSERT INTO article_topics (article_id, topic_id) "
        "SELECT id, $1 FROM articles WHERE id = ANY($2::bigint[]) ON CONFLICT DO NOTHING",
        topic_id,
        list(article_ids),
    )
    await conn.execute("UPDATE content_version SET n = n + 1 WHERE id = 1")


async def _topic_row(conn: PoolConnectionProxy[Record], topic_id: int, *, lock: bool = False) -> Topic:
    row = await conn.fetchrow("SELECT * FROM topics WHERE id = $1" + (" FOR UPDATE" if lock else ""), topic_id)
    if row is None:
        raise StoreRejected(f"topic {topic_id} does not exist")
    return rows.topic(row, row["article_count"])


class PgTopicRepository:
    def __init__(self, db: PgDatabase) -> None:
        self._db = db

    async def upsert(self, spec: TopicSpec) -> Topic:
        """A topic a source defines (seed files): created, or when the slug exists its name and
        kind set and its keywords, aliases and exclusions added to those editors gave it."""
        async with self._db.transaction() as conn:
            await conn.execute(_LOCK_CONTENT)
            row = await conn.fetchrow("SELECT * FROM topics WHERE slug = $1 FOR UPDATE", spec.slug)
            if row is None:
                topic_id = int(await conn.fetchval(_INSERT, *topic_insert_values(spec, now_ts())))
            else:
                old = rows.topic(row)
                topic_id = old.id
                await conn.execute(
                    "UPDATE topics SET name = $1, kind = $2, keywords = $3, aliases = $4, excludes = $5 WHERE id = $6",
                    *topic_upsert_values(old, spec),
                    topic_id,
                )
            return await _topic_row(conn, topic_id)

    async def add(self, spec: TopicSpec, file_articles: Sequence[int] = ()) -> Topic:
        """Create a topic and file the given stored articles under it, in one transaction
        (StoreRejected when the slug exists: slugs are never reused)."""
        async with self._db.transaction() as conn:
            await conn.execute(_LOCK_CONTENT)
            if await conn.fetchval("SELECT 1 FROM topics WHERE slug = $1", spec.slug) is not None:
                raise StoreRejected(f"the slug {spec.slug!r} is taken")
            topic_id = int(await conn.fetchval(_INSERT, *topic_insert_values(spec, now_ts())))
            await _file(conn, topic_id, file_articles)
            return await _topic_row(conn, topic_id)

    async def change(self, topic_id: int, spec: TopicSpec, file_articles: Sequence[int] = ()) -> Topic:
        """Set a topic's name, keywords, aliases, exclusions and pin (its slug and kind stay) and
        file the given stored articles under it, in one transaction."""
        async with self._db.transaction() as conn:
            await conn.execute(_LOCK_CONTENT)
            await _topic_row(conn, topic_id, lock=True)
            await conn.execute(
                "UPDATE topics SET name = $1, keywords = $2, aliases = $3, excludes = $4, pin = $5 WHERE id = $6",
                spec.name,
                joined(spec.keywords),
                joined(spec.aliases),
                joined(spec.excludes),
                spec.pin,
                topic_id,
            )
            await _file(conn, topic_id, file_articles)
            return await _topic_row(conn, topic_id)

    async def set_state(self, topic_id: int, state: TopicStatus) -> Topic:
        """Archive or restore a topic (a merged one stays merged)."""
        async with self._db.transaction() as conn:
            await conn.execute(_LOCK_CONTENT)
            await conn.execute(
                "UPDATE topics SET state = $1 WHERE id = $2 AND state <> 'merged'", state.value, topic_id
            )
            return await _topic_row(conn, topic_id)

    async def merge(self, from_id: int, into_id: int) -> Topic:
        """Move one topic's items, subscriptions and feeds into another, in one transaction.

        A reader who followed both keeps one subscription (the older mark, so nothing already
        promised is lost); the merged topic's name and aliases become aliases of the other and its
        keywords its keywords; it stays as a `merged` row so its slug keeps leading there. The
        day's subscription counts show the move: every subscription lost on the merged topic, and
        gained on the other those of readers who did not follow it already."""
        async with self._db.transaction() as conn:
            await conn.execute(_LOCK_CONTENT)
            source = await _topic_row(conn, from_id, lock=True)
            target = await _topic_row(conn, into_id, lock=True)
            if source.id == target.id:
                raise StoreRejected("a topic cannot be merged into itself")
            await conn.execute(
                "INSERT INTO article_topics (article_id, topic_id) "
                "SELECT article_id, $1 FROM article_topics WHERE topic_id = $2 ON CONFLICT DO NOTHING",
                into_id,
                from_id,
            )
            await conn.execute("DELETE FROM article_topics WHERE topic_id = $1", from_id)
            await conn.execute(
                """
                UPDATE subscriptions s SET after_seq = least(s.after_seq, f.after_seq)
                FROM subscriptions f
                WHERE s.topic_id = $2 AND f.topic_id = $1 AND f.reader_id = s.reader_id
                """,
                from_id,
                into_id,
            )
            gained = affected(
                await conn.execute(
                    "INSERT INTO subscriptions (reader_id, topic_id, created_at, after_seq) "
                    "SELECT reader_id, $1, created_at, after_seq FROM subscriptions WHERE topic_id = $2 "
                    "ON CONFLICT DO NOTHING",
                    into_id,
                    from_id,
                )
            )
            lost = affected(await conn.execute("DELETE FROM subscriptions WHERE topic_id = $1", from_id))
            today = day_of(now_ts())
            for column, topic_id, n in (("gained", into_id, gained), ("lost", from_id, lost)):
                if n > 0:
                    await conn.execute(subscriptions_counted(column, "$1", "$2", "$3"), topic_id, today, n)
            await conn.execute("UPDATE feeds SET topic_slug = $1 WHERE topic_slug = $2", target.slug, source.slug)
            await conn.execute(
                "UPDATE topics SET keywords = $1, aliases = $2 WHERE id = $3",
                *merged_rules(target, source),
                into_id,
            )
            await conn.execute(
                "UPDATE topics SET state = 'merged', merged_into = $1, pin = NULL WHERE id = $2", into_id, from_id
            )
            await conn.execute("UPDATE topics SET merged_into = $1 WHERE merged_into = $2", into_id, from_id)
            await conn.execute("UPDATE content_version SET n = n + 1 WHERE id = 1")
            return await _topic_row(conn, into_id)

    async def all(self) -> list[Topic]:
        """Every topic, in every state, with its article count: pinned first, then stories, then sections."""
        found = await self._db.fetch(_COUNTED + ORDER)
        return [rows.topic(r, r["article_count"]) for r in found]

    async def version(self) -> int:
        """Moves whenever anything topic matching reads changes, whichever instance wrote it."""
        value = await self._db.fetchval("SELECT n FROM topic_version WHERE id = 1")
        return 0 if value is None else int(value)

    async def by_slug(self, slug: str) -> Topic | None:
        row = await self._db.fetchrow(_COUNTED + " WHERE t.slug = $1", slug)
        return rows.topic(row, row["article_count"]) if row else None

    async def by_id(self, topic_id: int) -> Topic | None:
        row = await self._db.fetchrow(_COUNTED + " WHERE t.id = $1", topic_id)
        return rows.topic(row, row["article_count"]) if row else None

    async def of_article(self, article_id: int) -> tuple[Topic, ...]:
        found = await self._db.fetch(
            "SELECT t.* FROM topics t JOIN article_topics at ON at.topic_id = t.id WHERE at.article_id = $1"
            + ORDER.replace("t.pin IS NULL, t.pin, ", ""),
            article_id,
        )
        return tuple(rows.topic(r) for r in found)

    async def count(self) -> int:
        return int(await self._db.fetchval("SELECT count(*) FROM topics WHERE state <> 'merged'") or 0)

    async def subscriber_counts(self) -> dict[int, int]:
        """Topic id → how many readers follow it (topics nobody follows are left out)."""
        found = await self._db.fetch("SELECT topic_id, count(*) FROM subscriptions GROUP BY topic_id")
        return {int(r[0]): int(r[1]) for r in found}

    async def stored_since(self, since: int) -> list[StoredText]:
        """What matching reads of each article stored at or after `since` (UNIX seconds), newest
        first, with the topics it is filed under: for re-filing and unmatched labels."""
        found = await self._db.fetch(
            """
            SELECT a.id, a.headline, a.lead, a.url, a.labels,
                ARRAY(SELECT x.topic_id FROM article_topics x WHERE x.article_id = a.id) AS topic_ids
            FROM articles a WHERE a.stored_at >= $1 ORDER BY a.id DESC
            """,
            since,
        )
        return [
            StoredText(
                id=int(r["id"]),
                headline=r["headline"],
                lead=r["lead"],
                url=r["url"],
                labels=rows.lines(r["labels"]),
                topic_ids=frozenset(int(t) for t in r["topic_ids"]),
            )
            for r in found
        ]
