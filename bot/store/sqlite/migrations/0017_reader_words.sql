-- Readers' own words (issue 17): a word or phrase a reader follows (items matching it are pushed
-- like a topic's) or mutes (items matching it are kept out of their pushes and digests).
--
-- `folded`: the phrase's words folded as search folds them (bot.store.words.phrase_key), one space
-- between; one row per (reader, kind, folded) so nothing is stored twice. A removed word keeps its
-- row with active = 0 (following it again reuses the row), so the fan-out's word index, which reads
-- only rows whose `changed` moved since its last look, also learns of removals.
-- `changed`: the value of meta 'word_seq' the row's last change took; writers are serialized, so
-- it follows commit order. `after_article`: the newest article id when the word was followed (an
-- item is pushed through it only when stored after, as with subscriptions).
CREATE TABLE reader_words (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    reader_id      INTEGER NOT NULL REFERENCES readers (id) ON DELETE CASCADE,
    kind           TEXT NOT NULL CHECK (kind IN ('follow', 'mute')),
    phrase         TEXT NOT NULL,
    folded         TEXT NOT NULL CHECK (length(folded) > 1),
    after_article  INTEGER NOT NULL DEFAULT 0,
    active         INTEGER NOT NULL DEFAULT 1,
    changed        INTEGER NOT NULL,
    created_at     INTEGER NOT NULL,
    UNIQUE (reader_id, kind, folded)
);
CREATE INDEX reader_words_changed ON reader_words (changed);

INSERT INTO meta (key, value) VALUES ('word_seq', '0');
