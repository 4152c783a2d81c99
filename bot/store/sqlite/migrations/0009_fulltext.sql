-- Whole articles behind feed summaries (issue 14): an item stored with a link and no body waits in
-- `fulltext` until the filler (bot/runtime/fulltext.py) has read its page. ArticleRepository.upsert_many
-- adds the row in the same transaction as the article (as it does the outbox row), so no item is
-- forgotten whichever process stored it; FullTextRepository takes due rows with a lease (next_try
-- moved forward), so two processes never read the same page at once, and a process that dies
-- leaves its rows to be taken again when the lease runs out.
--
-- state: 'pending' (to read: attempts 0 = never tried, more = failed and waiting for its retry at
-- next_try), 'done' (body stored from the page), 'failed' (given up: the lead and the link stay,
-- with `reason`).

CREATE TABLE fulltext (
    article_id  INTEGER PRIMARY KEY REFERENCES articles (id) ON DELETE CASCADE,
    state       TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done', 'failed')),
    attempts    INTEGER NOT NULL DEFAULT 0,
    next_try    INTEGER NOT NULL DEFAULT 0,     -- UNIX seconds: not taken before
    reason      TEXT,                           -- why the last attempt failed
    updated_at  INTEGER NOT NULL
);
CREATE INDEX fulltext_due ON fulltext (next_try) WHERE state = 'pending';

-- A page's date is sometimes a day without a time: it shows without one (never an invented 02:00).
ALTER TABLE articles ADD COLUMN date_only INTEGER NOT NULL DEFAULT 0;
-- When the page says it was last changed.
ALTER TABLE articles ADD COLUMN modified_at INTEGER;

-- What is already stored with a link and no body is read too.
INSERT INTO fulltext (article_id, updated_at)
SELECT id, CAST(strftime('%s', 'now') AS INTEGER) FROM articles
WHERE body = '' AND kind = 'article' AND (url LIKE 'http://%' OR url LIKE 'https://%');
