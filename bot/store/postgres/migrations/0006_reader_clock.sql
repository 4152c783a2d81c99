-- Each reader's own clock, and what editors see of reading (issue 17; SQLite migration 0012).
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
