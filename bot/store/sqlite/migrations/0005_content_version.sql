-- A counter that moves whenever what a list of headlines shows can change: an article stored,
-- changed or removed, its topics relinked, a topic renamed. Every process compares it with the
-- value it last saw before reusing a remembered search or page of headlines (one indexed read),
-- so a page is never served stale, whichever process or `newsbot ingest` wrote the change.
--
-- ArticleRepository.upsert_many, the one writer of articles and their links, moves it once per
-- batch in the same transaction (a trigger per row cost a third of ingestion's speed); triggers
-- cover the rarer changes: an article deleted, a topic renamed or deleted.

CREATE TABLE content_version (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    n INTEGER NOT NULL
);

INSERT INTO content_version (id, n) VALUES (1, 0);

CREATE TRIGGER articles_removed_version AFTER DELETE ON articles
BEGIN
    UPDATE content_version SET n = n + 1 WHERE id = 1;
END;

CREATE TRIGGER topics_renamed_version AFTER UPDATE OF name, slug, kind ON topics
BEGIN
    UPDATE content_version SET n = n + 1 WHERE id = 1;
END;

CREATE TRIGGER topics_removed_version AFTER DELETE ON topics
BEGIN
    UPDATE content_version SET n = n + 1 WHERE id = 1;
END;
