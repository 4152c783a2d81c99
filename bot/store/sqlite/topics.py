"""Topics: the site's stories and sections, with the rules that file items under them.

Editors change topics while the bot runs (bot/services/newsroom.py); each change is one transaction, and
moves `topic_version` (triggers, migration 0008) so every process rebuilds its matcher.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from bot.models import StoredText, Topic, TopicSpec, TopicStatus
from bot.store import rows
from bot.store.errors import StoreRejected
from bot.store.records import (
    day_of,
    joined,
    merged_rules,
    subscriptions_counted,
    topic_insert_values,
    topic_upsert_values,
)
from bot.store.sqlite.db import Database, now_ts

# article_count is kept by triggers on article_topics (migration 0003), not counted per read.
_COUNTED = "SELECT t.* FROM topics t"
# Pinned topics first (the site's strip), then stories before sections, each in creation order.
ORDER = " ORDER BY t.pin IS NULL, t.pin, t.kind = 'section', t.id"
_INSERT = (
    "INSERT INTO topics (slug, name, kind, keywords, aliases, excludes, pin, created_at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)


def _file(conn: sqlite3.Connection, topic_id: int, article_ids: Sequence[int]) -> None:
    """File stored articles under a topic without pushing them: no outbox rows, only links (the
    counts follow by trigger) and a moved content_version so pages and counts are right at once."""
    if not article_ids:
        return
    conn.executemany(
        "INSERT OR IGNORE INTO article_topics (article_id, topic_id) SELECT id, ? FROM articles WHERE id = ?",
        [(topic_id, a) for a in article_ids],
    )
    conn.execute("UPDATE content_version SET n = n + 1 WHERE id = 1")


def _topic_row(conn: sqlite3.Connection, topic_id: int) -> Topic:
    row = conn.execute("SELECT * FROM topics WHERE id = ?", (topic_id,)).fetchone()
    if row is None:
        raise StoreRejected(f"topic {topic_id} does not exist")
    return rows.topic(row, row["article_count"])


class TopicRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def upsert(self, spec: TopicSpec) -> Topic:
        """A topic a source defines (seed files): created, or when the slug exists its name and
        kind set and its keywords, aliases and exclusions added to those editors gave it."""

        def work(conn: sqlite3.Connection) -> int:
            row = conn.execute("SELECT * FROM topics WHERE slug = ?", (spec.slug,)).fetchone()
            if row is None:
                cur = conn.execute(_INSERT, topic_insert_values(spec, now_ts()))
                return int(cur.lastrowid or 0)
            old = rows.topic(row)
            conn.execute(
                "UPDATE topics SET name = ?, kind = ?, keywords = ?, aliases = ?, excludes = ? WHERE id = ?",
                (*topic_upsert_values(old, spec), old.id),
            )
            return old.id

        topic_id = await self._db.transaction(work)
        found = await self.by_id(topic_id)
        assert found is not None  # written just above, in this connection
        return found

    async def add(self, spec: TopicSpec, file_articles: Sequence[int] = ()) -> Topic:
        """Create a topic and file the given stored articles under it, in one transaction
        (StoreRejected when the slug exists: slugs are never reused)."""

        def work(conn: sqlite3.Connection) -> Topic:
            if conn.execute("SELECT 1 FROM topics WHERE slug = ?", (spec.slug,)).fetchone() is not None:
                raise StoreRejected(f"the slug {spec.slug!r} is taken")
            cur = conn.execute(_INSERT, topic_insert_values(spec, now_ts()))
            topic_id = int(cur.lastrowid or 0)
            _file(conn, topic_id, file_articles)
            return _topic_row(conn, topic_id)

        return await self._db.transaction(work)

    async def change(self, topic_id: int, spec: TopicSpec, file_articles: Sequence[int] = ()) -> Topic:
        """Set a topic's name, keywords, aliases, exclusions and pin (its slug and kind stay) and
        file the given stored articles under it, in one transaction."""

        def work(conn: sqlite3.Connection) -> Topic:
            _topic_row(conn, topic_id)
            conn.execute(
                "UPDATE topics SET name = ?, keywords = ?, aliases = ?, excludes = ?, pin = ? WHERE id = ?",
                (
                    spec.name,
                    joined(spec.keywords),
                    joined(spec.aliases),
                    joined(spec.excludes),
                    spec.pin,
                    topic_id,
                ),
            )
            _file(conn, topic_id, file_articles)
            return _topic_row(conn, topic_id)

        return await self._db.transaction(work)

    async def set_state(self, topic_id: int, state: TopicStatus) -> Topic:
        """Archive or restore a topic (a merged one stays merged)."""

        def work(conn: sqlite3.Connection) -> Topic:
            conn.execute(
                "UPDATE topics SET state = ? WHERE id = ? AND state <> 'merged'",
                (state.value, topic_id),
            )
            return _topic_row(conn, topic_id)

        return await self._db.transaction(work)

    async def merge(self, from_id: int, into_id: int) -> Topic:
        """Move one topic's items, subscriptions and feeds into another, in one transaction.

        A reader who followed both keeps one subscription (the older mark, so nothing already
        promised is lost); the merged topic's name and aliases become aliases of the other and its
        keywords its keywords; it stays as a `merged` row so its slug keeps leading there. The
        day's subscription counts show the move: every subscription lost on the merged topic, and
        gained on the other those of readers who did not follow it already."""

        def work(conn: sqlite3.Connection) -> Topic:
            source, target = _topic_row(conn, from_id), _topic_row(conn, into_id)
            if source.id == target.id:
                raise StoreRejected("a topic cannot be merged into itself")
            conn.execute(
                "INSERT OR IGNORE INTO article_topics (article_id, topic_id) "
                "SELECT article_id, ? FROM article_topics WHERE topic_id = ?",
                (into_id, from_id),
            )
            conn.execute("DELETE FROM article_topics WHERE topic_id = ?", (from_id,))
            conn.execute(
                """
                UPDATE subscriptions SET after_article = min(after_article, (
                    SELECT f.after_article FROM subscriptions f
                    WHERE f.topic_id = ? AND f.reader_id = subscriptions.reader_id))
                WHERE topic_id = ? AND reader_id IN (SELECT reader_id FROM subscriptions WHERE topic_id = ?)
                """,
                (from_id, into_id, from_id),
            )
            gained = conn.execute(
                "INSERT OR IGNORE INTO subscriptions (reader_id, topic_id, created_at, after_article) "
                "SELECT reader_id, ?, created_at, after_article FROM subscriptions WHERE topic_id = ?",
                (into_id, from_id),
            ).rowcount
            lost = conn.execute("DELETE FROM subscriptions WHERE topic_id = ?", (from_id,)).rowcount
            today = day_of(now_ts())
            for column, topic_id, n in (("gained", into_id, gained), ("lost", from_id, lost)):
                if n > 0:
                    conn.execute(subscriptions_counted(column, "?", "?", "?"), (topic_id, today, n))
            conn.execute("UPDATE feeds SET topic_slug = ? WHERE topic_slug = ?", (target.slug, source.slug))
            conn.execute(
                "UPDATE topics SET keywords = ?, aliases = ? WHERE id = ?",
                (*merged_rules(target, source), into_id),
            )
            conn.execute(
                "UPDATE topics SET state = 'merged', merged_into = ?, pin = NULL WHERE id = ?", (into_id, from_id)
            )
            conn.execute("UPDATE topics SET merged_into = ? WHERE merged_into = ?", (into_id, from_id))
            conn.execute("UPDATE content_version SET n = n + 1 WHERE id = 1")
            return _topic_row(conn, into_id)

        return await self._db.transaction(work)

    async def all(self) -> list[Topic]:
        """Every topic, in every state, with its article count: pinned first, then stories, then sections."""
        found = await self._db.fetch_all(_COUNTED + ORDER)
        return [rows.topic(r, r["article_count"]) for r in found]

    async def version(self) -> int:
        """Moves whenever anything topic matching reads changes, whichever process wrote it."""
        row = await self._db.fetch_one("SELECT n FROM topic_version WHERE id = 1")
        return int(row[0]) if row else 0

    async def by_slug(self, slug: str) -> Topic | None:
        row = await self._db.fetch_one(_COUNTED + " WHERE t.slug = ?", (slug,))
        return rows.topic(row, row["article_count"]) if row else None

    async def by_id(self, topic_id: int) -> Topic | None:
        row = await self._db.fetch_one(_COUNTED + " WHERE t.id = ?", (topic_id,))
        return rows.topic(row, row["article_count"]) if row else None

    async def of_article(self, article_id: int) -> tuple[Topic, ...]:
        found = await self._db.fetch_all(
            "SELECT t.* FROM topics t JOIN article_topics at ON at.topic_id = t.id WHERE at.article_id = ?"
            + ORDER.replace("t.pin IS NULL, t.pin, ", ""),
            (article_id,),
        )
        return tuple(rows.topic(r) for r in found)

    async def count(self) -> int:
        row = await self._db.fetch_one(
            "SELECT count(*) - (SELECT count(*) FROM topics WHERE state = 'merged') FROM topics"
        )
        return int(row[0]) if row else 0

    async def subscriber_counts(self) -> dict[int, int]:
        """Topic id → how many readers follow it (topics nobody follows are left out)."""
        found = await self._db.fetch_all("SELECT topic_id, count(*) FROM subscriptions GROUP BY topic_id")
        return {int(r[0]): int(r[1]) for r in found}

    async def stored_since(self, since: int) -> list[StoredText]:
        """What matching reads of each article stored at or after `since` (UNIX seconds), newest
        first, with the topics it is filed under: for re-filing and unmatched labels."""
        found = await self._db.fetch_all(
            """
            SELECT a.id, a.headline, a.lead, a.url, a.labels,
                (SELECT group_concat(x.topic_id) FROM article_topics x WHERE x.article_id = a.id) AS topic_ids
            FROM articles a WHERE a.stored_at >= ? ORDER BY a.id DESC
            """,
            (since,),
        )
        return [
            StoredText(
                id=int(r["id"]),
                headline=r["headline"],
                lead=r["lead"],
                url=r["url"],
                labels=rows.lines(r["labels"]),
                topic_ids=frozenset(int(t) for t in (r["topic_ids"] or "").split(",") if t),
            )
            for r in found
        ]
