"""Articles, their topics, the folded full-text index and the fan-out outbox, kept in step in one
transaction."""

from __future__ import annotations

from collections.abc import Sequence

from bot.models import (
    LEGACY_ORIGIN,
    Article,
    ArticleKind,
    ArticleSummary,
    ParsedItem,
    UpsertOutcome,
    UpsertStatus,
    item_origin,
)
from bot.store import rows
from bot.store.cache import RememberedAnswers
from bot.store.hashing import content_hash
from bot.store.records import Stored, day_of, miss_key, needs_page
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
    FROM articles a LEFT JOIN fulltext f ON f.article_id = a.id WHERE a.id = ?
"""
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
        keys = [(item_origin(item), item.guid) for item, _ in batch]
        first: dict[tuple[str, str], tuple[ParsedItem, Sequence[int]]] = {}
        for key, entry in zip(keys, batch, strict=True):
            first.setdefault(key, entry)
        now = now_ts()
        outcomes: dict[tuple[str, str], UpsertOutcome] = {}
        async with self._db.write() as conn:
            existing: dict[tuple[str, str], Stored] = {}
            guids = list({guid for _, guid in first})
            for start in range(0, len(guids), _CHUNK):
                chunk = guids[start : start + _CHUNK]
                marks = ",".join("?" * len(chunk))
                async with conn.execute(
                    "SELECT id, origin, guid, url, content_hash, headline, lead, body, "
                    "EXISTS (SELECT 1 FROM fulltext f WHERE f.article_id = articles.id AND f.state = 'done') "
                    f"AS filled FROM articles WHERE guid IN ({marks})",
                    chunk,
                ) as cur:
                    for r in await cur.fetchall():
                        existing[(r["origin"], r["guid"])] = Stored(
                            r["id"],
                            r["guid"],
                            r["url"],
                            r["content_hash"],
                            r["headline"],
                            r["lead"],
                            r["body"],
                            bool(r["filled"]),
                        )
            async with conn.execute("SELECT coalesce(max(id), 0) FROM articles") as cur:
                row = await cur.fetchone()
            async with conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'articles'") as cur:
                seq_row = await cur.fetchone()
            next_id = max(int(row[0]) if row else 0, int(seq_row[0]) if seq_row else 0) + 1

            inserts: list[tuple[object, ...]] = []
            updates: list[tuple[object, ...]] = []
            claims: list[tuple[str, int]] = []
            taken: set[int] = set()
            links: list[tuple[int, int]] = []
            unlink: list[tuple[int]] = []
            fts_add: list[tuple[int, str, str, str]] = []
            fts_del: list[tuple[int, str, str, str]] = []
            to_read: list[tuple[int, int]] = []  # (article id, now): the filler reads its page
            for key, (item, topic_ids) in first.items():
                origin, guid = key
                digest = content_hash(item, topic_ids)
                body = rows.body_text(item.body)
                found = existing.get(key)
                if not body and found is not None and found.filled:
                    body = found.body  # a summary again: the page's text read earlier stays
                values = (
                    item.url,
                    item.headline,
                    item.lead,
                    body,
                    rows.ts(item.published_at),
                    item.source,
                    item.author,
                    item.outlet,
                    item.image_url,
                    item.kind.value,
                    rows.related_json(item.related),
                    digest,
                    int(item.date_only),
                    rows.ts(item.modified_at),
                    "\n".join(label for label in item.categories if "\n" not in label),
                )
                if found is None and origin != LEGACY_ORIGIN:
                    legacy = existing.get((LEGACY_ORIGIN, guid))
                    if legacy is not None and legacy.id not in taken and legacy.claimable_by(origin, digest):
                        found = legacy
                        taken.add(legacy.id)
                        claims.append((origin, legacy.id))
                if found is None:
                    article_id = next_id
                    next_id += 1
                    inserts.append((article_id, origin, guid, *values, now, now))
                    outcomes[key] = UpsertOutcome(guid, article_id, "added", origin)
                    if not body and needs_page(item):
                        to_read.append((article_id, now))
                elif found.content_hash == digest:
                    outcomes[key] = UpsertOutcome(guid, found.id, "unchanged", origin)
                    continue
                else:
                    article_id = found.id
                    updates.append((*values, now, article_id))
                    unlink.append((article_id,))
                    fts_del.append((article_id, indexed(found.headline), indexed(found.lead), indexed(found.body)))
                    outcomes[key] = UpsertOutcome(guid, article_id, "updated", origin)
                    if not body and needs_page(item):
                        to_read.append((article_id, now))
                links.extend((article_id, t) for t in sorted(set(topic_ids)))
                fts_add.append((article_id, indexed(item.headline), indexed(item.lead), indexed(body)))

            if claims:
                await conn.executemany("UPDATE articles SET origin = ? WHERE id = ?", claims)
            if inserts:
                await conn.executemany(
                    """
                    INSERT INTO articles (id, origin, guid, url, headline, lead, body, published_at, source, author,
                        outlet, image_url, kind, related, content_hash, date_only, modified_at, labels, stored_at,
                        updated_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                    inserts,
                )
                await conn.executemany("INSERT INTO outbox (article_id) VALUES (?)", [(r[0],) for r in inserts])
            if updates:
                await conn.executemany(
                    """
                    UPDATE articles SET url = ?, headline = ?, lead = ?, body = ?, published_at = ?,
                        source = ?, author = ?, outlet = ?, image_url = ?, kind = ?, related = ?,
                        content_hash = ?, date_only = ?, modified_at = ?, labels = ?, updated_at = ?
                    WHERE id = ?
                    """,
                    updates,
                )
                await conn.executemany("DELETE FROM article_topics WHERE article_id = ?", unlink)
                await conn.executemany(
                    "INSERT INTO articles_fts (articles_fts, rowid, headline, lead, body) "
                    "VALUES ('delete', ?, ?, ?, ?)",
                    fts_del,
                )
            if to_read:
                await conn.executemany("INSERT OR IGNORE INTO fulltext (article_id, updated_at) VALUES (?, ?)", to_read)
            if links:
                await conn.executemany(
                    "INSERT OR IGNORE INTO article_topics (article_id, topic_id) VALUES (?, ?)", links
                )
            if fts_add:
                await conn.executemany(
                    "INSERT INTO articles_fts (rowid, headline, lead, body) VALUES (?, ?, ?, ?)", fts_add
                )
            if inserts or updates:
                # Remembered pages and searches, in every process, are stale from this commit on.
                await conn.execute("UPDATE content_version SET n = n + 1 WHERE id = 1")
        answers: list[UpsertOutcome] = []
        answered: set[tuple[str, str]] = set()
        for key in keys:
            outcome = outcomes[key]
            if key in answered:
                outcome = UpsertOutcome(outcome.guid, outcome.article_id, "duplicate", outcome.origin)
            answered.add(key)
            answers.append(outcome)
        return answers

    async def get(self, article_id: int) -> Article | None:
        row = await self._db.fetch_one(_ARTICLE, (article_id,))
        if row is None:
            return None
        return rows.article(row, await self._topics.of_article(article_id))

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
        """Newest first (by publication, else storage time), optionally within a topic or of a kind."""
        where, params = self._filters(topic_id, kind)
        sql = _SUMMARY + where + _NEWEST_FIRST + " LIMIT ? OFFSET ?"

        async def load() -> tuple[ArticleSummary, ...]:
            return tuple(rows.summary(r) for r in await self._db.fetch_all(sql, (*params, limit, offset)))

        return list(await self._remembered.recall(("latest", limit, offset, topic_id, kind), load))

    async def count(self, *, topic_id: int | None = None, kind: ArticleKind | None = None) -> int:
        where, params = self._filters(topic_id, kind)

        async def load() -> int:
            row = await self._db.fetch_one("SELECT count(*) FROM articles a" + where, params)
            return int(row[0]) if row else 0

        return await self._remembered.recall(("count", topic_id, kind), load)

    @staticmethod
    def _filters(topic_id: int | None, kind: ArticleKind | None) -> tuple[str, tuple[object, ...]]:
        clauses: list[str] = []
        params: list[object] = []
        if topic_id is not None:
            clauses.append("a.id IN (SELECT article_id FROM article_topics WHERE topic_id = ?)")
            params.append(topic_id)
        if kind is not None:
            clauses.append("a.kind = ?")
            params.append(kind.value)
        return (" WHERE " + " AND ".join(clauses) if clauses else ""), tuple(params)

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
