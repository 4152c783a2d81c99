-- Each reader's own clock, and what editors see of reading (issue 17).
--
-- timezone: the IANA name of the zone the reader chose in /settings (one of bot.models.READER_ZONES);
-- NULL: the site's NEWSBOT_TIMEZONE. Times shown, digest hours and quiet hours are in it.
ALTER TABLE readers ADD COLUMN timezone TEXT;

-- When the reader first opened the whole article from this push's button: set once, so an item
-- counts each reader who opened it from a push once, however often they press.
ALTER TABLE deliveries ADD COLUMN opened_at INTEGER;

-- Subscriptions readers made and left, per topic and UTC day: counts only, no reader.
CREATE TABLE subscription_days (
    topic_id  INTEGER NOT NULL REFERENCES topics (id) ON DELETE CASCADE,
    day       INTEGER NOT NULL,                   -- UNIX seconds // 86400
    gained    INTEGER NOT NULL DEFAULT 0,
    lost      INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (topic_id, day)
) WITHOUT ROWID;

-- Searches that found nothing, folded, per UTC day: the words and a count, never who searched.
CREATE TABLE search_misses (
    query  TEXT NOT NULL,
    day    INTEGER NOT NULL,
    n      INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (day, query)
) WITHOUT ROWID;

-- Pushes per item for /stats (PostgreSQL has had this index since its first migration).
CREATE INDEX deliveries_by_article ON deliveries (article_id) WHERE article_id IS NOT NULL;

-- «آخر الأخبار» newest first: by publication; an item without a date by when it was stored, i.e.
-- beside the item stored just before it (undated_at: that item's time), never on top because
-- storing is later than publishing. The first items of a new store, undated, go to the bottom.
ALTER TABLE articles ADD COLUMN undated_at INTEGER;
UPDATE articles SET undated_at = coalesce((
    SELECT p.published_at FROM articles p WHERE p.id < articles.id AND p.published_at IS NOT NULL
    ORDER BY p.id DESC LIMIT 1), 0)
WHERE published_at IS NULL;
CREATE TRIGGER articles_undated AFTER INSERT ON articles WHEN NEW.published_at IS NULL
BEGIN
    UPDATE articles SET undated_at = coalesce((
        SELECT coalesce(p.published_at, p.undated_at) FROM articles p WHERE p.id < NEW.id ORDER BY p.id DESC LIMIT 1), 0)
    WHERE id = NEW.id;
END;
CREATE TRIGGER articles_undated_again AFTER UPDATE OF published_at ON articles
    WHEN NEW.published_at IS NULL AND NEW.undated_at IS NULL
BEGIN
    UPDATE articles SET undated_at = coalesce((
        SELECT coalesce(p.published_at, p.undated_at) FROM articles p WHERE p.id < NEW.id ORDER BY p.id DESC LIMIT 1), 0)
    WHERE id = NEW.id;
END;
-- The new indexes take the pages the old ones leave (the last freed first), each its old one's.
DROP INDEX articles_by_time;
DROP INDEX articles_by_kind_time;
CREATE INDEX articles_by_kind_time ON articles (kind, coalesce(published_at, undated_at, 0) DESC, id DESC);
CREATE INDEX articles_by_time ON articles (coalesce(published_at, undated_at, 0) DESC, id DESC);
