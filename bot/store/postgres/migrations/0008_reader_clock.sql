-- Each reader's own clock, and what editors see of reading (issue 17; SQLite migration 0014).
--
-- timezone: the IANA name of the zone the reader chose in /settings (one of bot.models.READER_ZONES);
-- NULL: the site's NEWSBOT_TIMEZONE. Times shown, digest hours and quiet hours are in it.
ALTER TABLE readers ADD COLUMN timezone text;

-- When the reader first opened the whole article from this push's button: set once, so an item
-- counts each reader who opened it from a push once, however often they press.
ALTER TABLE deliveries ADD COLUMN opened_at bigint;

-- Subscriptions readers made and left, per topic and UTC day: counts only, no reader.
CREATE TABLE subscription_days (
    topic_id  bigint NOT NULL REFERENCES topics (id) ON DELETE CASCADE,
    day       integer NOT NULL,                   -- UNIX seconds / 86400
    gained    integer NOT NULL DEFAULT 0,
    lost      integer NOT NULL DEFAULT 0,
    PRIMARY KEY (topic_id, day)
);

-- Searches that found nothing, folded, per UTC day: the words and a count, never who searched.
CREATE TABLE search_misses (
    query  text NOT NULL,
    day    integer NOT NULL,
    n      integer NOT NULL DEFAULT 0,
    PRIMARY KEY (day, query)
);

-- «آخر الأخبار» newest first: by publication; an item without a date by when it was stored, i.e.
-- beside the item stored just before it (undated_at: that item's time), never on top because
-- storing is later than publishing. The first items of a new store, undated, go to the bottom.
ALTER TABLE articles ADD COLUMN undated_at bigint;
UPDATE articles a SET undated_at = coalesce((
    SELECT p.published_at FROM articles p WHERE p.id < a.id AND p.published_at IS NOT NULL
    ORDER BY p.id DESC LIMIT 1), 0)
WHERE a.published_at IS NULL;
-- A row trigger before each insert sees the rows inserted before it by the same statement (a batch).
CREATE FUNCTION articles_undated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.published_at IS NULL AND NEW.undated_at IS NULL THEN
        NEW.undated_at := coalesce((
            SELECT coalesce(p.published_at, p.undated_at) FROM articles p WHERE p.id < NEW.id
            ORDER BY p.id DESC LIMIT 1), 0);
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER articles_undated BEFORE INSERT OR UPDATE OF published_at ON articles
    FOR EACH ROW EXECUTE FUNCTION articles_undated();
DROP INDEX articles_by_time;
DROP INDEX articles_by_kind_time;
CREATE INDEX articles_by_time ON articles ((coalesce(published_at, undated_at, 0)) DESC, id DESC);
CREATE INDEX articles_by_kind_time ON articles (kind, (coalesce(published_at, undated_at, 0)) DESC, id DESC);
