"""Articles, their topics, the search index and the fan-out outbox on PostgreSQL, kept in step in
one transaction (the SQLite store's `ArticleRepository`, same behaviour)."""

from __future__ import annotations

from collections.abc import Sequence

from bot.models import LEGACY_ORIGIN, Article, ArticleKind, ArticleSummary, ParsedItem, UpsertOutcome, item_origin
from bot.store import rows
from bot.store.cache import RememberedAnswers
from bot.store.hashing import content_hash
from bot.store.postgres import search
from bot.store.postgres.db import PgDatabase, now_ts
from bot.store.postgres.topics import PgTopicRepository
from bot.store.records import Stored, day_of, miss_key, needs_page

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
    FROM articles a LEFT JOIN fulltext f ON f.article_id = a.id WHERE a.id = $1
"""
_NEWEST_FIRST = " ORDER BY coalesce(a.published_at, a.undated_at, 0) DESC, a.id DESC"
_RANK_WINDOW = 2000  # how many of the newest matches are ranked by relevance (as on SQLite)

_INSERT = """
    INSERT INTO articles (id, origin, guid, url, headline, lead, body, published_at, source, author,
        outlet, image_url, kind, related, content_hash, date_only, modified_at, labels, search, stored_at,
        updated_at)
    SELECT u.id, u.origin, u.guid, u.url, u.headline, u.lead, u.body, u.published_at, u.source, u.author,
        u.outlet, u.image_url, u.kind, u.related, u.content_hash, u.date_only, u.modified_at, u.labels,
        u.search::tsvector, $20, $20
    FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
        $8::bigint[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[],
        $15::text[], $16::boolean[], $17::bigint[], $18::text[], $19::text[])
        AS u(id, origin, guid, url, headline, lead, body, published_at, source, author, outlet, image_url,
             kind, related, content_hash, date_only, modified_at, labels, search)
"""
_UPDATE = """
    UPDATE articles a SET url = u.url, headline = u.headline, lead = u.lead, body = u.body,
        published_at = u.published_at, source = u.source, author = u.author, outlet = u.outlet,
        image_url = u.image_url, kind = u.kind, related = u.related, content_hash = u.content_hash,
        date_only = u.date_only, modified_at = u.modified_at, labels = u.labels, search = u.search::tsvector,
        updated_at = $18
    FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::text[],
        $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::boolean[],
        $15::bigint[], $16::text[], $17::text[])
        AS u(id, url, headline, lead, body, published_at, source, author, outlet, image_url, kind, related,
             content_hash, date_only, modified_at, labels, search)
    WHERE a.id = u.id
"""


class PgArticleRepository:
    def __init__(self, db: PgDatabase, topics: PgTopicRepository) -> None:
        self._db = db
        self._topics = topics
        self._remembered = RememberedAnswers(self._content_version)

    async def _content_version(self) -> int:
        value = await self._db.fetchval("SELECT n FROM content_version WHERE id = 1")
        return -1 if value is None else int(value)

    async def upsert_many(self, batch: Sequence[tuple[ParsedItem, Sequence[int]]]) -> list[UpsertOutcome]:
        """Store a batch in one transaction: a new item adds, a known one updates, the same content
        skips (the SQLite store's rules: identity (origin, GUID), legacy rows taken over, later
        copies of an identity in the batch answered "duplicate").

        The batch first locks the content_version row: batches are serialized (as on SQLite), and a
        subscription made meanwhile (which reads that row FOR SHARE) is ordered before or after the
        whole batch. Added articles enter the outbox with the version the batch moves it to, which is
        what fan-out compares with each subscription's mark; an item with a link and no body enters
        the full-text queue in the same transaction (its page is read by bot.runtime.fulltext).
        """
        if not batch:
            return []
        keys = [(item_origin(item), item.guid) for item, _ in batch]
        first: dict[tuple[str, str], tuple[ParsedItem, Sequence[int]]] = {}
        for key, entry in zip(keys, batch, strict=True):
            first.setdefault(key, entry)
        now = now_ts()
        outcomes: dict[tuple[str, str], UpsertOutcome] = {}
        async with self._db.transaction() as conn:
            await conn.execute("SELECT n FROM content_version WHERE id = 1 FOR UPDATE")
            existing: dict[tuple[str, str], Stored] = {}
            for r in await conn.fetch(
                "SELECT id, origin, guid, url, content_hash, headline, lead, body, "
                "EXISTS (SELECT 1 FROM fulltext f WHERE f.article_id = articles.id AND f.state = 'done') "
                "AS filled FROM articles WHERE guid = ANY($1::text[])",
                list({guid for _, guid in first}),
            ):
                existing[(r["origin"], r["guid"])] = Stored(
                    r["id"], r["guid"], r["url"], r["content_hash"], r["headline"], r["lead"], r["body"], r["filled"]
                )
            new_count = sum(1 for key in first if key not in existing)
            fresh: list[int] = []
            if new_count:
                fresh = [
                    int(r[0])
                    for r in await conn.fetch(
                        "SELECT nextval(pg_get_serial_sequence('articles', 'id')) FROM generate_series(1, $1)",
                        new_count,
                    )
                ]
            fresh_ids = iter(fresh)
            inserts: list[list[object]] = [[] for _ in range(19)]
            updates: list[list[object]] = [[] for _ in range(17)]
            claims: list[tuple[str, int]] = []
            taken: set[int] = set()
            link_articles: list[int] = []
            link_topics: list[int] = []
            unlink: list[int] = []
            added: list[int] = []
            to_read: list[int] = []  # the filler reads these items' pages
            for key, (item, topic_ids) in first.items():
                origin, guid = key
                digest = content_hash(item, topic_ids)
                body = rows.body_text(item.body)
                found = existing.get(key)
                if not body and found is not None and found.filled:
                    body = found.body  # a summary again: the page's text read earlier stays
                fields = (
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
                    item.date_only,
                    rows.ts(item.modified_at),
                    "\n".join(label for label in item.categories if "\n" not in label),
                    search.document(item.headline, item.lead, body),
                )
                if found is None and origin != LEGACY_ORIGIN:
                    legacy = existing.get((LEGACY_ORIGIN, guid))
                    if legacy is not None and legacy.id not in taken and legacy.claimable_by(origin, digest):
                        found = legacy
                        taken.add(legacy.id)
                        claims.append((origin, legacy.id))
                if found is None:
                    article_id = next(fresh_ids)
                    for column, value in zip(inserts, (article_id, origin, guid, *fields), strict=True):
                        column.append(value)
                    added.append(article_id)
                    outcomes[key] = UpsertOutcome(guid, article_id, "added", origin)
                    if not body and needs_page(item):
                        to_read.append(article_id)
                elif found.content_hash == digest:
                    outcomes[key] = UpsertOutcome(guid, found.id, "unchanged", origin)
                    continue
                else:
                    article_id = found.id
                    for column, value in zip(updates, (article_id, *fields), strict=True):
                        column.append(value)
                    unlink.append(article_id)
                    outcomes[key] = UpsertOutcome(guid, article_id, "updated", origin)
                    if not body and needs_page(item):
                        to_read.append(article_id)
                for topic_id in sorted(set(topic_ids)):
                    link_articles.append(article_id)
                    link_topics.append(topic_id)

            if claims:
                await conn.executemany("UPDATE articles SET origin = $1 WHERE id = $2", claims)
            if added:
                await conn.execute(_INSERT, *inserts, now)
            if unlink:
                await conn.execute(_UPDATE, *updates, now)
                await conn.execute("DELETE FROM article_topics WHERE article_id = ANY($1::bigint[])", unlink)
            if to_read:
                await conn.execute(
                    "INSERT INTO fulltext (article_id, updated_at) SELECT unnest($1::bigint[]), $2 "
                    "ON CONFLICT (article_id) DO NOTHING",
                    to_read,
                    now,
                )
            if link_articles:
                await conn.execute(
                    "INSERT INTO article_topics (article_id, topic_id) "
                    "SELECT * FROM unnest($1::bigint[], $2::bigint[]) ON CONFLICT DO NOTHING",
                    link_articles,
                    link_topics,
                )
            if added or unlink:
                seq = await conn.fetchval("UPDATE content_version SET n = n + 1 WHERE id = 1 RETURNING n")
                if added:
                    await conn.execute(
                        "INSERT INTO outbox (article_id, seq) SELECT unnest($1::bigint[]), $2", added, seq
                    )
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
        row = await self._db.fetchrow(_ARTICLE, article_id)
        if row is None:
            return None
        return rows.article(row, await self._topics.of_article(article_id))

    async def by_guid(self, guid: str, origin: str | None = None) -> Article | None:
        """The item with this GUID from `origin`; without one, the first stored with the GUID."""
        if origin is None:
            found = await self._db.fetchval("SELECT id FROM articles WHERE guid = $1 ORDER BY id LIMIT 1", guid)
        else:
            found = await self._db.fetchval("SELECT id FROM articles WHERE guid = $1 AND origin = $2", guid, origin)
        return await self.get(int(found)) if found is not None else None

    async def latest(
        self,
        limit: int,
        offset: int = 0,
        *,
        topic_id: int | None = None,
        kind: ArticleKind | None = None,
    ) -> list[ArticleSummary]:
        where, params = self._filters(topic_id, kind)
        n = len(params)
        sql = _SUMMARY + where + _NEWEST_FIRST + f" LIMIT ${n + 1} OFFSET ${n + 2}"

        async def load() -> tuple[ArticleSummary, ...]:
            return tuple(rows.summary(r) for r in await self._db.fetch(sql, *params, limit, offset))

        return list(await self._remembered.recall(("latest", limit, offset, topic_id, kind), load))

    async def count(self, *, topic_id: int | None = None, kind: ArticleKind | None = None) -> int:
        where, params = self._filters(topic_id, kind)

        async def load() -> int:
            return int(await self._db.fetchval("SELECT count(*) FROM articles a" + where, *params) or 0)

        return await self._remembered.recall(("count", topic_id, kind), load)

    @staticmethod
    def _filters(topic_id: int | None, kind: ArticleKind | None) -> tuple[str, tuple[object, ...]]:
        clauses: list[str] = []
        params: list[object] = []
        if topic_id is not None:
            params.append(topic_id)
            clauses.append(f"a.id IN (SELECT article_id FROM article_topics WHERE topic_id = ${len(params)})")
        if kind is not None:
            params.append(kind.value)
            clauses.append(f"a.kind = ${len(params)}")
        return (" WHERE " + " AND ".join(clauses) if clauses else ""), tuple(params)

    async def search(self, query: str, limit: int = 10, offset: int = 0) -> list[ArticleSummary]:
        """Best matches first. Every word must match; when none match that way, any word may."""
        every = search.query(query, every=True)
        if every is None:
            return []

        async def load() -> tuple[ArticleSummary, ...]:
            found = await self._match(every, limit, offset)
            some = search.query(query, every=False)
            if not found and some is not None and some != every:
                found = await self._match(some, limit, offset)
            return tuple(found)

        return list(await self._remembered.recall(("search", every, limit, offset), load))

    async def search_count(self, query: str) -> int:
        every = search.query(query, every=True)
        if every is None:
            return 0

        async def load() -> int:
            for expression in (every, search.query(query, every=False)):
                n = await self._db.fetchval("SELECT count(*) FROM articles WHERE search @@ $1::tsquery", expression)
                if n:
                    return int(n)
            return 0

        return await self._remembered.recall(("search_count", every), load)

    async def _match(self, expression: str, limit: int, offset: int) -> list[ArticleSummary]:
        # As on SQLite, relevance is ranked among the newest _RANK_WINDOW matches only.
        sql = (
            "WITH hits AS (SELECT a.id, " + search.RANK + " AS rank FROM ("
            "  SELECT id, search FROM articles WHERE search @@ $1::tsquery ORDER BY id DESC LIMIT $2"
            ") a, CAST($1 AS tsquery) q ORDER BY rank DESC, a.id DESC LIMIT $3 OFFSET $4) "
            + _SUMMARY.replace("FROM articles a", "FROM hits JOIN articles a ON a.id = hits.id")
            + " ORDER BY hits.rank DESC, hits.id DESC"
        )
        return [rows.summary(r) for r in await self._db.fetch(sql, expression, _RANK_WINDOW, limit, offset)]

    async def max_id(self) -> int:
        return int(await self._db.fetchval("SELECT coalesce(max(id), 0) FROM articles") or 0)

    async def record_miss(self, query: str) -> None:
        """A search that found nothing: its folded words counted for the day, never who searched."""
        key = miss_key(query)
        if not key:
            return
        await self._db.execute(
            "INSERT INTO search_misses (query, day, n) VALUES ($1, $2, 1) "
            "ON CONFLICT (day, query) DO UPDATE SET n = search_misses.n + 1",
            key,
            day_of(now_ts()),
        )

    async def misses_since(self, since: int, limit: int) -> list[tuple[str, int]]:
        """The searches that found nothing from `since`'s day on, most frequent first."""
        found = await self._db.fetch(
            "SELECT query, sum(n) FROM search_misses WHERE day >= $1 GROUP BY query "
            "ORDER BY sum(n) DESC, query LIMIT $2",
            day_of(since),
            limit,
        )
        return [(str(r[0]), int(r[1])) for r in found]
