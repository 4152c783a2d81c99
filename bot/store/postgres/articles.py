"""Articles, their topics, the search index and the fan-out outbox on PostgreSQL, kept in step in
one transaction (the SQLite store's `ArticleRepository`, same behaviour)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from asyncpg.pool import PoolConnectionProxy

from bot.models import Article, ArticleKind, ArticleSummary, ParsedItem, UpsertOutcome
from bot.store import rows
from bot.store.cache import RememberedAnswers, remembered_page
from bot.store.postgres import search
from bot.store.postgres.db import PgDatabase, Record, now_ts
from bot.store.postgres.topics import PgTopicRepository
from bot.store.records import (
    STORY_CANDIDATES,
    Key,
    Stored,
    StoryCache,
    StoryMatcher,
    Write,
    day_of,
    first_of_batch,
    miss_key,
    place_stories,
    plan_upsert,
    stored,
)

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
    FROM articles a LEFT JOIN fulltext f ON f.article_id = a.id WHERE a.id = $1 AND a.withdrawn_at IS NULL
"""
# The outlets of the other items of an article's story (its first item, and the items repeating it).
_ALSO_IN = "SELECT outlet, url FROM articles WHERE id <> $1 AND (id = $2 OR duplicate_of = $2) ORDER BY id"
_NEWEST_FIRST = " ORDER BY coalesce(a.published_at, a.undated_at, 0) DESC, a.id DESC"
_RANK_WINDOW = 2000  # how many of the newest matches are ranked by relevance (as on SQLite)

_INSERT = """
    INSERT INTO articles (id, origin, guid, url, headline, lead, body, published_at, source, author,
        outlet, image_url, kind, related, content_hash, date_only, modified_at, labels, search, story_key,
        duplicate_of, stored_at, updated_at)
    SELECT u.id, u.origin, u.guid, u.url, u.headline, u.lead, u.body, u.published_at, u.source, u.author,
        u.outlet, u.image_url, u.kind, u.related, u.content_hash, u.date_only, u.modified_at, u.labels,
        u.search::tsvector, u.story_key, u.duplicate_of, $22, $22
    FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
        $8::bigint[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[],
        $15::text[], $16::boolean[], $17::bigint[], $18::text[], $19::text[], $20::text[], $21::bigint[])
        AS u(id, origin, guid, url, headline, lead, body, published_at, source, author, outlet, image_url,
             kind, related, content_hash, date_only, modified_at, labels, search, story_key, duplicate_of)
"""
_UPDATE = """
    UPDATE articles a SET url = u.url, headline = u.headline, lead = u.lead, body = u.body,
        published_at = u.published_at, source = u.source, author = u.author, outlet = u.outlet,
        image_url = u.image_url, kind = u.kind, related = u.related, content_hash = u.content_hash,
        date_only = u.date_only, modified_at = u.modified_at, labels = u.labels, search = u.search::tsvector,
        story_key = u.story_key, updated_at = $19
    FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::text[],
        $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::boolean[],
        $15::bigint[], $16::text[], $17::text[], $18::text[])
        AS u(id, url, headline, lead, body, published_at, source, author, outlet, image_url, kind, related,
             content_hash, date_only, modified_at, labels, search, story_key)
    WHERE a.id = u.id
"""


def _document(write: Write) -> str:
    """The row's search vector, from what it stores (bot.store.postgres.search)."""
    return search.document(write.item.headline, write.item.lead, write.body)


def _columns(records: Iterable[tuple[object, ...]]) -> list[list[object]]:
    """Rows turned into one list a column, for `unnest($1::…[], $2::…[], …)`."""
    return [list(column) for column in zip(*records, strict=True)]


class PgArticleRepository:
    def __init__(self, db: PgDatabase, topics: PgTopicRepository) -> None:
        self._db = db
        self._topics = topics
        self._remembered = RememberedAnswers(self._content_version)
        self._stories = StoryCache()  # story candidates kept between batches

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
        keys, first = first_of_batch(batch)
        now = now_ts()
        async with self._stories.batch(), self._db.transaction() as conn:
            await conn.execute("SELECT n FROM content_version WHERE id = 1 FOR UPDATE")
            existing: dict[Key, Stored] = {}
            for r in await conn.fetch(
                "SELECT id, origin, guid, url, content_hash, headline, lead, body, image_url, "
                "withdrawn_at IS NOT NULL AS withdrawn, "
                "EXISTS (SELECT 1 FROM fulltext f WHERE f.article_id = articles.id AND f.state = 'done') "
                "AS filled FROM articles WHERE guid = ANY($1::text[])",
                list({guid for _, guid in first}),
            ):
                existing[(r["origin"], r["guid"])] = stored(r)
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
            stories = await self._story_matcher(
                conn, [rows.ts(item.published_at) or now for key, (item, _) in first.items() if key not in existing]
            )
            plan = plan_upsert(keys, first, existing, iter(fresh).__next__)
            placed, update_keys = place_stories(plan, stories, now)

            if plan.claims:
                await conn.executemany("UPDATE articles SET origin = $1 WHERE id = $2", plan.claims)
            if plan.inserts:
                await conn.execute(
                    _INSERT,
                    *_columns(
                        (w.article_id, w.origin, w.guid, *w.values(), _document(w), key, duplicate_of)
                        for w, (key, duplicate_of) in zip(plan.inserts, placed, strict=True)
                    ),
                    now,
                )
            if plan.updates:
                unlink = [w.article_id for w in plan.updates]
                await conn.execute(
                    _UPDATE,
                    *_columns(
                        (w.article_id, *w.values(), _document(w), key)
                        for w, key in zip(plan.updates, update_keys, strict=True)
                    ),
                    now,
                )
                await conn.execute("DELETE FROM article_topics WHERE article_id = ANY($1::bigint[])", unlink)
            if plan.corrected:
                await conn.execute(
                    "INSERT INTO corrections (article_id) SELECT unnest($1::bigint[]) ON CONFLICT DO NOTHING",
                    plan.corrected,
                )
            if plan.to_read:
                await conn.execute(
                    "INSERT INTO fulltext (article_id, updated_at) SELECT unnest($1::bigint[]), $2 "
                    "ON CONFLICT (article_id) DO NOTHING",
                    plan.to_read,
                    now,
                )
            if plan.links:
                await conn.execute(
                    "INSERT INTO article_topics (article_id, topic_id) "
                    "SELECT * FROM unnest($1::bigint[], $2::bigint[]) ON CONFLICT DO NOTHING",
                    [a for a, _ in plan.links],
                    [t for _, t in plan.links],
                )
            if plan.changed:
                seq = await conn.fetchval("UPDATE content_version SET n = n + 1 WHERE id = 1 RETURNING n")
                if plan.inserts:
                    await conn.execute(
                        "INSERT INTO outbox (article_id, seq) SELECT unnest($1::bigint[]), $2",
                        [w.article_id for w in plan.inserts],
                        seq,
                    )
        return plan.answers()

    async def _story_matcher(self, conn: PoolConnectionProxy[Record], times: list[int]) -> StoryMatcher:
        """The stories new items, at these times, may repeat (bot.store.records.StoryCache)."""
        sql = STORY_CANDIDATES.format("$1", "$2") + " AND id > $3"

        async def load(low: int, high: int, after_id: int) -> list[Record]:
            return list(await conn.fetch(sql, low, high, after_id))

        newest = await conn.fetchval("SELECT coalesce(max(id), 0) FROM articles")
        return await self._stories.matcher(times, int(newest or 0), load)

    async def get(self, article_id: int) -> Article | None:
        row = await self._db.fetchrow(_ARTICLE, article_id)
        if row is None:
            return None
        article = rows.article(row, await self._topics.of_article(article_id))
        story = row["duplicate_of"] or article_id
        others = await self._db.fetch(_ALSO_IN, article_id, story)
        return rows.with_story(article, row["duplicate_of"], others)

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
            return int(await self._db.fetchval("SELECT count(*) FROM articles a" + where, *params) or 0)

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
            params.append(topic_id)
            clauses = [
                withdrawn,
                f"a.id IN (SELECT article_id FROM article_topics WHERE topic_id = ${len(params)})",
                "(a.duplicate_of IS NULL OR NOT EXISTS (SELECT 1 FROM article_topics y "
                f"WHERE y.article_id = a.duplicate_of AND y.topic_id = ${len(params)}))",
            ]
        if kind is not None:
            params.append(kind.value)
            clauses.append(f"a.kind = ${len(params)}")
        return " WHERE " + " AND ".join(clauses), tuple(params)

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
