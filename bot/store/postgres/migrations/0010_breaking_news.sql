-- Breaking news for editors (issue 12; SQLite migration 0016): a broadcast of a text or of a stored
-- item, to everyone or to the subscribers of some topics, now or at a set time; items an editor
-- marks urgent.
--
-- A scheduled broadcast is a row in 'scheduled' until its time; the leader's delivery round then
-- records one delivery per reader it reaches (those subscribed at that moment) and sets 'recorded'.
-- topic_ids: the targeted topics as comma-separated ids ('' = every active reader).
ALTER TABLE broadcasts ADD COLUMN article_id bigint REFERENCES articles (id) ON DELETE SET NULL;
ALTER TABLE broadcasts ADD COLUMN topic_ids text NOT NULL DEFAULT '';
ALTER TABLE broadcasts ADD COLUMN send_at bigint;
ALTER TABLE broadcasts ADD COLUMN state text NOT NULL DEFAULT 'recorded'
    CHECK (state IN ('scheduled', 'recorded'));
ALTER TABLE broadcasts ADD COLUMN recorded bigint NOT NULL DEFAULT 0;
CREATE INDEX broadcasts_due ON broadcasts (send_at) WHERE state = 'scheduled';

-- Items an editor marked urgent: their deliveries go in the breaking-news lane (mode 'broadcast',
-- with the article, so each subscriber still gets the item once).
CREATE TABLE urgent_articles (
    article_id  bigint PRIMARY KEY REFERENCES articles (id) ON DELETE CASCADE,
    marked_by   bigint,
    marked_at   bigint NOT NULL
);
