-- A counter that moves whenever what a list of headlines shows can change: an article stored,
-- changed or removed, its topics relinked, a topic renamed. Every process compares it with the
-- value it last saw before reusing a remembered search or page of headlines (one indexed read),
-- so a page is never served stale, whichever process or `newsbot ingest` wrote the change.

CREATE TABLE content_version (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    n INTEGER NOT NULL
);

INSERT INTO content_version (id, n) VALUES (1, 0);

CREATE TRIGGER articles_added_version AFTER INSERT ON articles
BEGIN
    UPDATE content_version SET n = n + 1 WHERE id = 1;
END;

CREATE TRIGGER articles_changed_version AFTER UPDATE ON articles
BEGIN
    UPDATE content_version SET n = n + 1 WHERE id = 1;
END;

CREATE TRIGGER articles_removed_version AFTER DELETE ON articles
BEGIN
    UPDATE content_version SET n = n + 1 WHERE id = 1;
END;

CREATE TRIGGER article_topics_linked_version AFTER INSERT ON article_topics
BEGIN
    UPDATE content_version SET n = n + 1 WHERE id = 1;
END;

CREATE TRIGGER article_topics_unlinked_version AFTER DELETE ON article_topics
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
