-- Whole articles behind feed summaries (issue 14; SQLite migration 0009): an item stored with a
-- link and no body waits in `fulltext` until the filler (bot/runtime/fulltext.py) has read its
-- page. PgArticleRepository.upsert_many adds the row in the article's own transaction (as it does
-- the outbox row), whichever instance stored it; PgFullTextRepository takes due rows with a lease
-- (next_try moved forward) under FOR UPDATE SKIP LOCKED, so two instances never read the same
-- page at once, and one that dies leaves its rows to be taken again when the lease runs out.
--
-- state: 'pending' (to read: attempts 0 = never tried, more = failed and waiting for its retry at
-- next_try), 'done' (body stored from the page), 'failed' (given up: the lead and the link stay,
-- with `reason`).

CREATE TABLE fulltext (
    article_id  bigint PRIMARY KEY REFERENCES articles (id) ON DELETE CASCADE,
    state       text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done', 'failed')),
    attempts    integer NOT NULL DEFAULT 0,
    next_try    bigint NOT NULL DEFAULT 0,      -- UNIX seconds: not taken before
    reason      text,                           -- why the last attempt failed
    updated_at  bigint NOT NULL
);
CREATE INDEX fulltext_due ON fulltext (next_try) WHERE state = 'pending';

-- A page's date is sometimes a day without a time: it shows without one (never an invented 02:00).
ALTER TABLE articles ADD COLUMN date_only boolean NOT NULL DEFAULT false;
-- When the page says it was last changed.
ALTER TABLE articles ADD COLUMN modified_at bigint;

-- What is already stored with a link and no body is read too.
INSERT INTO fulltext (article_id, updated_at)
SELECT id, extract(epoch FROM now())::bigint FROM articles
WHERE body = '' AND kind = 'article' AND (url LIKE 'http://%' OR url LIKE 'https://%');
