-- Breaking news for editors (issue 12): a broadcast of a text or of a stored item, to everyone or to
-- the subscribers of some topics, now or at a set time; items an editor marks urgent.
--
-- A scheduled broadcast is a row in 'scheduled' until its time; the leader's delivery round then
-- records one delivery per reader it reaches (those subscribed at that moment) and sets 'recorded'.
-- topic_ids: the targeted topics as comma-separated ids ('' = every active reader).
ALTER TABLE broadcasts ADD COLUMN article_id INTEGER REFERENCES articles (id) ON DELETE SET NULL;
ALTER TABLE broadcasts ADD COLUMN topic_ids TEXT NOT NULL DEFAULT '';
ALTER TABLE broadcasts ADD COLUMN send_at INTEGER;
ALTER TABLE broadcasts ADD COLUMN state TEXT NOT NULL DEFAULT 'recorded'
    CHECK (state IN ('scheduled', 'recorded'));
ALTER TABLE broadcasts ADD COLUMN recorded INTEGER NOT NULL DEFAULT 0;
CREATE INDEX broadcasts_due ON broadcasts (send_at) WHERE state = 'scheduled';

-- Items an editor marked urgent: their deliveries go in the breaking-news lane (mode 'broadcast',
-- with the article, so each subscriber still gets the item once).
CREATE TABLE urgent_articles (
    article_id  INTEGER PRIMARY KEY REFERENCES articles (id) ON DELETE CASCADE,
    marked_by   INTEGER,
    marked_at   INTEGER NOT NULL
);
