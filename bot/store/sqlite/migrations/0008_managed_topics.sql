-- Topics and feeds the newsroom runs itself (issue 11): topics carry aliases (other names and the
-- category labels / URL sections feeds use), exclusion words, a pinned position and a state, and
-- are changed while the bot runs; feeds carry their own poll interval and a count of items added.
--
-- Every change to what topic matching reads moves topic_version (triggers below, whichever process
-- writes), so each process rebuilds its one matcher when the version it built from is stale.
-- article_count is not in the trigger's column list: moving counts must not rebuild matchers.

ALTER TABLE topics ADD COLUMN aliases TEXT NOT NULL DEFAULT '';          -- newline-separated
ALTER TABLE topics ADD COLUMN excludes TEXT NOT NULL DEFAULT '';         -- newline-separated
ALTER TABLE topics ADD COLUMN pin INTEGER;                               -- pinned position, NULL: not pinned
ALTER TABLE topics ADD COLUMN state TEXT NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'archived', 'merged'));
ALTER TABLE topics ADD COLUMN merged_into INTEGER REFERENCES topics (id);

-- Stories of the strip keep the order they had (pinned in id order), ahead of the sections.
UPDATE topics SET pin = (SELECT count(*) FROM topics o WHERE o.kind = 'story' AND o.id <= topics.id)
WHERE kind = 'story';

-- The category labels an item came with (newline-separated, as the source wrote them): matched
-- again when an alias is added (re-filing) and counted by `newsbot topics unmatched`. Those two
-- editor commands scan the articles by stored_at without an index of their own: a write on every
-- ingested row would cost more than a scan of 100,000 rows on an editor's command.
ALTER TABLE articles ADD COLUMN labels TEXT NOT NULL DEFAULT '';

ALTER TABLE feeds ADD COLUMN every INTEGER;                              -- seconds, NULL: NEWSBOT_FEED_INTERVAL
ALTER TABLE feeds ADD COLUMN items_added INTEGER NOT NULL DEFAULT 0;

CREATE TABLE topic_version (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    n INTEGER NOT NULL
);

INSERT INTO topic_version (id, n) VALUES (1, 1);

CREATE TRIGGER topics_added_rules AFTER INSERT ON topics
BEGIN
    UPDATE topic_version SET n = n + 1 WHERE id = 1;
END;

CREATE TRIGGER topics_changed_rules AFTER UPDATE OF slug, name, kind, keywords, aliases, excludes, pin, state, merged_into ON topics
BEGIN
    UPDATE topic_version SET n = n + 1 WHERE id = 1;
END;

CREATE TRIGGER topics_removed_rules AFTER DELETE ON topics
BEGIN
    UPDATE topic_version SET n = n + 1 WHERE id = 1;
END;

-- Lists of headlines show topic names and /topics its state: a pin or state change is a content change too.
CREATE TRIGGER topics_restated_version AFTER UPDATE OF pin, state, merged_into ON topics
BEGIN
    UPDATE content_version SET n = n + 1 WHERE id = 1;
END;
