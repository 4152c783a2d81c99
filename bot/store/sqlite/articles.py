"""Articles, their topics, the folded full-text index and the fan-out outbox, kept in step in one
transaction."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import aiosqlite

from bot.models import Article, ArticleKind, ArticleSummary, ParsedItem, UpsertOutcome, UpsertStatus
from bot.store import rows
from bot.store.cache import RememberedAnswers, remembered_page
from bot.store.hashing import content_hash
from bot.store.records import (
    STORY_CANDIDATES,
    Key,
    Stored,
    StoryCache,
    StoryMatcher,
    day_of,
    first_of_batch,
    miss_key,
    place_stories,
    plan_upsert,
    stored,
)
from bot.store.search_terms import indexed, query_words
from bot.store.sqlite.db import Database, now_ts
from bot.store.sqlite.topics import TopicRepository

__all__ = ["ArticleRepository", "UpsertOutcome", "UpsertStatus", "content_hash", "search_terms"]

# A headline row with the topic readers see beside it: a story before a section.
_SUMMARY = """
    SELECT a.id, a.headline, a.lead, a.url, a.published_at, a.stored_at, a.kind,
        (SELECT t.name FROM article_topics x JOIN topics t ON t.id = x.topic_id
         WHERE x.article_id = a.id ORDER BY t.kind = 'section', t.id LIMIT 1) AS topic_name,
        (SELECT t.slug FROM article_topics x JOIN topics t ON t.id = x.topic_id
         WHERE x.article_id = a.id ORDER BY t.kind = 'section', t.id LIMIT 1) AS topic_slug
    FROM articles a
"""
# An article with where its page's text stands (rows.article): None when there is no page to read.
_ARTICLE = """
    SELECT a.*, CASE WHEN f.state = 'pending' AND f.attempts > 0 THEN 'retrying' ELSE f.state END AS fulltext_state
    FROM articles a LEFT JOIN fulltext f ON f.article_id = a.id WHERE a.id = ? AND a.withdrawn_at IS NULL
"""
# The outlets of the other items of an article's story (its first item, and the items repeating it).
_ALSO_IN = "SELECT outlet, url FROM articles WHERE id <> ? AND (id = ? OR duplicate_of = ?) ORDER BY id"
_NEWEST_FIRST = " ORDER BY coalesce(a.published_at, a.undated_at, 0) DESC, a.id DESC"
_CHUNK = 400  # bound parameters per IN (...) lookup
# bm25 weights: headline, lead, body
_RANK = "bm25(articles_fts, 8.0, 3.0, 1.0)"
_RANK_WINDOW = 2000  # how many of the newest matches are ranked by relevance


def search_terms(query: str) -> list[str]:
    """The folded words of a reader's query, as FTS5 string literals (never FTS5 syntax)."""
    return ['"' + w.replace('"', '""') + '"' for w in query_words(query)]


class ArticleRepository:
    def __init__(self, db: Database, topics: TopicRepository) -> None:
        self._db = db
        self._topics = topics
        # Pages and searches every reader shares, reused while content_version stands.
        self._remembered = RememberedAnswers(self._content_version)
        self._stories = StoryCache()  # story candidates kept between batches

    async def _content_version(self) -> int:
        """Moved by upsert_many in each batch's transaction, and by triggers when an article is
        deleted or a topic renamed or deleted (migration 0005), whichever process writes."""
        row = await self._db.fetch_one("SELECT n FROM content_version WHERE id = 1")
        return int(row[0]) if row else -1

    async def upsert_many(self, batch: Sequence[tuple[ParsedItem, Sequence[int]]]) -> list[UpsertOutcome]:
        """Store a batch in one transaction: a new item adds, a known one updates, the same content skips.

        An item is known by its identity, (origin, GUID) (bot.models.item_origin): the same GUID
        from another origin is another item and leaves this one as it is. When an identity comes
        twice in a batch the first is stored and each later one is answered "duplicate" (a feed
        lists its newest version first; the ingest service reports them by item).

        A row stored before identities had origins (migration 0006, origin '') is taken over by the
        first origin that brings its GUID from the same site, or with exactly its content; any
        other origin gets an item of its own. Ids never change, so deliveries keep pointing at them.

        Ids of new rows are allocated inside the write lock, so the article, its topics and its
        search entry go in together and a reader never sees one without the others. Each added
        article also enters the outbox in that transaction: the next fan-out round pushes it, once
        (an update is not pushed again).
        """
        if not batch:
            return []
        keys, first = first_of_batch(batch)
        now = now_ts()
        async with self._stories.batch(), self._db.write() as conn:
            existing: dict[Key, Stored] = {}
            guids = list({guid for _, guid in first})
            for start in range(0, len(guids), _CHUNK):
                chunk = guids[start : start + _CHUNK]
                marks = ",".join("?" * len(chunk))
                async with conn.execute(
                    "SELECT id, origin, guid, url, content_hash, headline, lead, body, image_url, "
                    "withdrawn_at IS NOT NULL AS withdrawn, "
                    "EXISTS (SELECT 1 FROM fulltext f WHERE f.article_id = articles.id AND f.state = 'done') "
                    f"AS filled FROM articles WHERE guid IN ({marks})",
                    chunk,
                ) as cur:
                    for r in await cur.fetchall():
                        existing[(r["origin"], r["guid"])] = stored(r)
            stories = await self._story_matcher(
                conn, [rows.ts(item.published_at) or now for key, (item, _) in first.items() if key not in existing]
            )
            async with conn.execute("SELECT coalesce(max(id), 0) FROM articles") as cur:
                row = await cur.fetchone()
            async with conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'articles'") as cur:
                seq_row = await cur.fetchone()
            ids = itertools.count(max(int(row[0]) if row else 0, int(seq_row[0]) if seq_row else 0) + 1)
            plan = plan_upsert(keys, first, existing, ids.__next__)

            placed, update_keys = place_stories(plan, stories, now)
            if plan.claims:
                await conn.executemany("UPDATE articles SET origin = ? WHERE id = ?", plan.claims)
            if plan.inserts:
                await conn.executemany(
                    """
                    INSERT INTO articles (id, origin, guid, url, headline, lead, body, published_at, source, author,
                        outlet, image_url, kind, related, content_hash, date_only, modified_at, labels, story_key,
                        duplicate_of, stored_at, updated_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                    [
                        (w.article_id, w.origin, w.guid, *w.values(), key, duplicate_of, now, now)
                        for w, (key, duplicate_of) in zip(plan.inserts, placed, strict=True)
                    ],
                )
                await conn.executemany(
                    "INSERT INTO outbox (article_id) VALUES (?)", [(w.article_id,) for w in plan.inserts]
                )
            if plan.updates:
                await conn.executemany(
                    """
                    UPDATE articles SET url = ?, headline = ?, lead = ?, body = ?, published_at = ?,
                        source = ?, author = ?, outlet = ?, image_url = ?, kind = ?, related = ?,
                        content_hash = ?, date_only = ?, modified_at = ?, labels = ?, story_key = ?, updated_at = ?
                    WHERE id = ?
                    """,
                    [(*w.values(), key, now, w.article_id) for w, key in zip(plan.updates, update_keys, strict=True)],
                )
                await conn.executemany(
                    "DELETE FROM article_topics WHERE article_id = ?", [(w.article_id,) for w in plan.updates]
                )
                await conn.executemany(
                    "INSERT INTO articles_fts (articles_fts, rowid, headline, lead, body) "
                    "VALUES ('delete', ?, ?, ?, ?)",
                    [
                        (w.article_id, indexed(w.found.headline), indexed(w.found.lead), indexed(w.found.body))
                        for w in plan.updates
                        if w.found is not None
                    ],
                )
            if plan.corrected:
                await conn.executemany(
                    "INSERT OR IGNORE INTO corrections (article_id) VALUES (?)", [(a,) for a in plan.corrected]
                )
            if plan.to_read:
                await conn.executemany(
                    "INSERT OR IGNORE INTO fulltext (article_id, updated_at) VALUES (?, ?)",
                    [(article_id, now) for article_id in plan.to_read],
                )
            if plan.links:
                await conn.executemany(
                    "INSERT OR IGNORE INTO article_topics (article_id, topic_id) VALUES (?, ?)", plan.links
                )
            if plan.changed:
                await conn.executemany(
                    "INSERT INTO articles_fts (rowid, headline, lead, body) VALUES (?, ?, ?, ?)",
                    [
                        (w.article_id, indexed(w.item.headline), indexed(w.item.lead), indexed(w.body))
                        for w in (*plan.inserts, *plan.updates)
                    ],
                )
                # Remembered pages and searches, in every process, are stale from this commit on.
                await conn.execute("UPDATE content_version SET n = n + 1 WHERE id = 1")
        return plan.answers()

    async def _story_matcher(self, conn: aiosqlite.Connection, times: list[int]) -> StoryMatcher:
        """The stories new items, at these times, may repeat (bot.store.records.StoryCache)."""
        sql = STORY_CANDIDATES.format("?", "?") + " AND id > ?"

        async def load(low: int, high: int, after_id: int) -> list[aiosqlite.Row]:
            async with conn.execute(sql, (low, high, after_id)) as cur:
                return list(await cur.fetchall())

        async with conn.execute("SELECT coalesce(max(id), 0) FROM articles") as cur:
            newest = await cur.fetchone()
        return await self._stories.matcher(times, int(newest[0]) if newest else 0, load)

    async def get(self, article_id: int) -> Article | None:
        row = await self._db.fetch_one(_ARTICLE, (article_id,))
        if row is None:
            return None
        article = rows.article(row, await self._topics.of_article(article_id))
        story = row["duplicate_of"] or article_id
        others = await self._db.fetch_all(_ALSO_IN, (article_id, story, story))
        return rows.with_story(article, row["duplicate_of"], others)

    async def by_guid(self, guid: str, origin: str | None = None) -> Article | None:
        """The item with this GUID from `origin`; without one, the first stored with the GUID."""
        if origin is None:
            row = await self._db.fetch_one("SELECT id FROM articles WHERE guid = ? ORDER BY id LIMIT 1", (guid,))
        else:
            row = await self._db.fetch_one("SELECT id FROM articles WHERE guid = ? AND origin = ?", (guid, origin))
        return await self.get(row[0]) if row else None

    async def latest(
        self,
        limit: int,
        offset: int = 0,
        *,
        topic_id: int | None = None,
        kind: ArticleKind | None = None,
    ) -> list[ArticleSummary]:
        """Newest first (by publication, else storage time), optionally within a topic or of a kind;
        a story told by several items once (its first item)."""
        where, params = self._filters(topic_id, kind)
        sql = _SUMMARY + where + _NEWEST_FIRST + " LIMIT ? OFFSET ?"

        async def load() -> tuple[ArticleSummary, ...]:
            return tuple(rows.summary(r) for r in await self._db.fetch_all(sql, (*params, limit, offset)))

        return list(await self._remembered.recall(("latest", limit, offset, topic_id, kind), load))

    async def page(
        self, size: int, page: int, *, topic_id: int | None = None, kind: ArticleKind | None = None
    ) -> tuple[int, int, list[ArticleSummary]]:
        return await remembered_page(
            self._remembered,
            ("page", size, page, topic_id, kind),
            size,
            page,
            lambda: self.count(topic_id=topic_id, kind=kind),
            lambda offset: self.latest(size, offset, topic_id=topic_id, kind=kind),
        )

    async def count(self, *, topic_id: int | None = None, kind: ArticleKind | None = None) -> int:
        where, params = self._filters(topic_id, kind)

        async def load() -> int:
            row = await self._db.fetch_one("SELECT count(*) FROM articles a" + where, params)
            return int(row[0]) if row else 0

        return await self._remembered.recall(("count", topic_id, kind), load)

    @staticmethod
    def _filters(topic_id: int | None, kind: ArticleKind | None) -> tuple[str, tuple[object, ...]]:
        # A withdrawn item is listed nowhere. Through the small index of withdrawn ids, never a read of
        # each row's own mark (on SQLite that column sits after the body, in its overflow pages).
        # Each story once: its first item, or (on a topic's page) a repeat filed where its first is not.
        withdrawn = "a.id NOT IN (SELECT id FROM articles WHERE withdrawn_at IS NOT NULL)"
        clauses: list[str] = [withdrawn, "a.duplicate_of IS NULL"]
        params: list[object] = []
        if topic_id is not None:
            clauses = [
                withdrawn,
                "a.id IN (SELECT article_id FROM article_topics WHERE topic_id = ?)",
                "(a.duplicate_of IS NULL OR NOT EXISTS (SELECT 1 FROM article_topics y "
                "WHERE y.article_id = a.duplicate_of AND y.topic_id = ?))",
            ]
            params += [topic_id, topic_id]
        if kind is not None:
            clauses.append("a.kind = ?")
            params.append(kind.value)
        return " WHERE " + " AND ".join(clauses), tuple(params)

    async def search(self, query: str, limit: int = 10, offset: int = 0) -> list[ArticleSummary]:
        """Best matches first. Every word must match; when none match that way, any word may."""
        terms = search_terms(query)
        if not terms:
            return []

        async def load() -> tuple[ArticleSummary, ...]:
            found = await self._match(" AND ".join(terms), limit, offset)
            if not found and len(terms) > 1:
                found = await self._match(" OR ".join(terms), limit, offset)
            return tuple(found)

        return list(await self._remembered.recall(("search", tuple(terms), limit, offset), load))

    async def search_count(self, query: str) -> int:
        terms = search_terms(query)
        if not terms:
            return 0

        async def load() -> int:
            for joiner in (" AND ", " OR "):
                row = await self._db.fetch_one(
                    "SELECT count(*) FROM articles_fts WHERE articles_fts MATCH ?", (joiner.join(terms),)
                )
                if row and row[0]:
                    return int(row[0])
            return 0

        return await self._remembered.recall(("search_count", tuple(terms)), load)

    async def _match(self, expression: str, limit: int, offset: int) -> list[ArticleSummary]:
        # Relevance is ranked among the newest _RANK_WINDOW matches only: a common word («ترامب»)
        # matches tens of thousands of articles, and scoring them all costs more than the reader
        # gains from a three-year-old story. FTS5 walks rowids newest first cheaply, then bm25
        # scores only the rows at or above the window's floor (a rowid range FTS5 applies itself).
        sql = (
            "WITH floor AS (SELECT coalesce(min(rowid), 0) AS id FROM ("
            "  SELECT rowid FROM articles_fts WHERE articles_fts MATCH ? ORDER BY rowid DESC LIMIT ?)), "
            "hits AS (SELECT rowid AS id, "
            + _RANK
            + " AS rank FROM articles_fts WHERE articles_fts MATCH ? AND rowid >= (SELECT id FROM floor) "
            "ORDER BY rank LIMIT ? OFFSET ?) "
            + _SUMMARY.replace("FROM articles a", "FROM hits JOIN articles a ON a.id = hits.id")
            + " ORDER BY hits.rank"
        )
        params = (expression, _RANK_WINDOW, expression, limit, offset)
        return [rows.summary(r) for r in await self._db.fetch_all(sql, params)]

    async def max_id(self) -> int:
        row = await self._db.fetch_one("SELECT coalesce(max(id), 0) FROM articles")
        return int(row[0]) if row else 0

    async def record_miss(self, query: str) -> None:
        """A search that found nothing: its folded words counted for the day, never who searched."""
        key = miss_key(query)
        if not key:
            return
        async with self._db.write() as conn:
            await conn.execute(
                "INSERT INTO search_misses (query, day, n) VALUES (?, ?, 1) "
                "ON CONFLICT (day, query) DO UPDATE SET n = n + 1",
                (key, day_of(now_ts())),
            )

    async def misses_since(self, since: int, limit: int) -> list[tuple[str, int]]:
        """The searches that found nothing from `since`'s day on, most frequent first."""
        found = await self._db.fetch_all(
            "SELECT query, sum(n) FROM search_misses WHERE day >= ? GROUP BY query ORDER BY sum(n) DESC, query LIMIT ?",
            (day_of(since), limit),
        )
        return [(str(r[0]), int(r[1])) for r in found]
