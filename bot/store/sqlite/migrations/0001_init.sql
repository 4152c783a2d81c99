-- The news store: topics, articles and their search index, readers, subscriptions, deliveries, feeds.
-- Times are UNIX seconds (UTC) as INTEGER.

CREATE TABLE topics (
    id          INTEGER PRIMARY KEY,
    slug        TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('story', 'section')),
    keywords    TEXT NOT NULL DEFAULT '',          -- newline-separated Arabic keywords
    created_at  INTEGER NOT NULL
);

-- AUTOINCREMENT: ids are never reused, so "articles above the fan-out mark" stays exact.
CREATE TABLE articles (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    guid          TEXT NOT NULL UNIQUE,
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
CREATE INDEX articles_by_time ON articles (coalesce(published_at, stored_at) DESC, id DESC);
CREATE INDEX articles_by_kind_time ON articles (kind, coalesce(published_at, stored_at) DESC, id DESC);

CREATE TABLE article_topics (
    article_id  INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    topic_id    INTEGER NOT NULL REFERENCES topics (id) ON DELETE CASCADE,
    PRIMARY KEY (article_id, topic_id)
) WITHOUT ROWID;
CREATE INDEX article_topics_by_topic ON article_topics (topic_id, article_id);

-- Search index over folded text (bot.text.arabic.fold), rowid = articles.id. Contentless: the
-- repository writes and deletes rows itself in the same transaction as the article.
CREATE VIRTUAL TABLE articles_fts USING fts5 (
    headline, lead, body,
    content = '',
    tokenize = 'unicode61 remove_diacritics 0'
);

CREATE TABLE readers (
    id              INTEGER PRIMARY KEY,            -- Telegram chat id
    first_name      TEXT,
    username        TEXT,
    status          TEXT NOT NULL DEFAULT 'active'
                    CHECK (status IN ('active', 'stopped', 'blocked', 'gone')),
    push_mode       TEXT NOT NULL DEFAULT 'instant' CHECK (push_mode IN ('instant', 'digest')),
    digest_hours    TEXT NOT NULL DEFAULT '8,20',
    quiet_start     INTEGER CHECK (quiet_start BETWEEN 0 AND 23),
    quiet_end       INTEGER CHECK (quiet_end BETWEEN 0 AND 23),
    arabic_digits   INTEGER NOT NULL DEFAULT 0,
    link_previews   INTEGER NOT NULL DEFAULT 0,
    last_digest_at  INTEGER,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX readers_by_status ON readers (status);

CREATE TABLE subscriptions (
    reader_id   INTEGER NOT NULL REFERENCES readers (id) ON DELETE CASCADE,
    topic_id    INTEGER NOT NULL REFERENCES topics (id) ON DELETE CASCADE,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (reader_id, topic_id)
) WITHOUT ROWID;
CREATE INDEX subscriptions_by_topic ON subscriptions (topic_id, reader_id);

CREATE TABLE broadcasts (
    id          INTEGER PRIMARY KEY,
    text        TEXT NOT NULL,
    created_by  INTEGER,
    created_at  INTEGER NOT NULL
);

-- One row per (reader, item): recorded before it is sent, marked when Telegram confirms it.
CREATE TABLE deliveries (
    id            INTEGER PRIMARY KEY,
    reader_id     INTEGER NOT NULL REFERENCES readers (id) ON DELETE CASCADE,
    article_id    INTEGER REFERENCES articles (id) ON DELETE CASCADE,
    broadcast_id  INTEGER REFERENCES broadcasts (id) ON DELETE CASCADE,
    mode          TEXT NOT NULL DEFAULT 'instant' CHECK (mode IN ('instant', 'digest', 'broadcast')),
    state         TEXT NOT NULL DEFAULT 'queued'
                  CHECK (state IN ('queued', 'sending', 'sent', 'failed', 'cancelled')),
    attempts      INTEGER NOT NULL DEFAULT 0,
    not_before    INTEGER NOT NULL DEFAULT 0,
    error         TEXT,
    message_id    INTEGER,
    created_at    INTEGER NOT NULL,
    sent_at       INTEGER,
    CHECK ((article_id IS NULL) <> (broadcast_id IS NULL))
);
CREATE UNIQUE INDEX deliveries_once_per_article ON deliveries (reader_id, article_id) WHERE article_id IS NOT NULL;
CREATE UNIQUE INDEX deliveries_once_per_broadcast ON deliveries (reader_id, broadcast_id) WHERE broadcast_id IS NOT NULL;
CREATE INDEX deliveries_pending ON deliveries (state, not_before) WHERE state IN ('queued', 'sending');
CREATE INDEX deliveries_by_state ON deliveries (state);

CREATE TABLE feeds (
    id              INTEGER PRIMARY KEY,
    url             TEXT NOT NULL UNIQUE,
    topic_slug      TEXT,
    etag            TEXT,
    last_modified   TEXT,
    last_polled_at  INTEGER,
    last_error      TEXT
);

-- Small named values: the fan-out high-water mark and the like.
CREATE TABLE meta (
    key    TEXT PRIMARY KEY,
    value  TEXT NOT NULL
) WITHOUT ROWID;
