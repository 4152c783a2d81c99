-- An article is identified by where it came from (`origin`: a feed's URL, or the site for pages and
-- seeds; bot.models.item_origin) together with its GUID, no longer by the GUID alone: a feed that
-- reuses another source's GUID gets an item of its own instead of rewriting that source's item.
--
-- SQLite cannot drop the old UNIQUE (guid), so the table is rebuilt (SQLite's documented
-- "generalized ALTER TABLE" steps). The runner applies this with foreign keys off and checks them
-- before committing: dropping the old table must not cascade to article_topics or deliveries, which
-- keep pointing at the same ids. Every row keeps its id; the AUTOINCREMENT high-water mark is kept,
-- so ids are never reused and the fan-out mark and each subscription's after_article stay exact.
--
-- Existing rows get the legacy origin '' (where they came from was never recorded); the first
-- ingest of the same GUID from the same site, or with the same content, takes such a row over
-- (ArticleRepository.upsert_many), so an upgraded store does not store its items a second time.

CREATE TABLE articles_new (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    origin        TEXT NOT NULL DEFAULT '',
    guid          TEXT NOT NULL,
    url           TEXT,
    headline      TEXT NOT NULL CHECK (length(headline) > 0),
    lead          TEXT NOT NULL DEFAULT '',
    body          TEXT NOT NULL DEFAULT '',         -- paragraphs separated by a blank line
    published_at  INTEGER,
    stored_at     INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    source        TEXT,
    author        TEXT,
    outlet        TEXT,
    image_url     TEXT,
    kind          TEXT NOT NULL DEFAULT 'article' CHECK (kind IN ('article', 'video', 'live')),
    related       TEXT NOT NULL DEFAULT '[]',       -- JSON list of {"headline", "url"}
    content_hash  TEXT NOT NULL
);

INSERT INTO articles_new (id, origin, guid, url, headline, lead, body, published_at, stored_at, updated_at,
    source, author, outlet, image_url, kind, related, content_hash)
SELECT id, '', guid, url, headline, lead, body, published_at, stored_at, updated_at,
    source, author, outlet, image_url, kind, related, content_hash
FROM articles;

-- The insert set articles_new's sequence to max(id); the old one may be higher (deleted articles).
UPDATE sqlite_sequence
SET seq = max(seq, coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'articles'), 0))
WHERE name = 'articles_new';

INSERT INTO sqlite_sequence (name, seq)
SELECT 'articles_new', (SELECT seq FROM sqlite_sequence WHERE name = 'articles')
WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'articles_new')
    AND EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'articles');

DROP TABLE articles;

ALTER TABLE articles_new RENAME TO articles;

-- guid first: ingestion looks up a batch's GUIDs (every origin's rows) through this one index.
CREATE UNIQUE INDEX articles_identity ON articles (guid, origin);
CREATE INDEX articles_by_time ON articles (coalesce(published_at, stored_at) DESC, id DESC);
CREATE INDEX articles_by_kind_time ON articles (kind, coalesce(published_at, stored_at) DESC, id DESC);

-- Dropped with the old table (0005).
CREATE TRIGGER articles_removed_version AFTER DELETE ON articles
BEGIN
    UPDATE content_version SET n = n + 1 WHERE id = 1;
END;

UPDATE content_version SET n = n + 1 WHERE id = 1;
