-- Topics and feeds the newsroom runs itself (issue 11; SQLite migration 0008): topics carry aliases
-- (other names and the category labels / URL sections feeds use), exclusion words, a pinned
-- position and a state, and are changed while the bot runs; feeds carry their own poll interval
-- and a count of items added.
--
-- Every change to what topic matching reads moves topic_version (statement triggers below,
-- whichever instance writes), so each process rebuilds its one matcher when the version it built
-- from is stale. article_count is not in the triggers' column lists: moving counts must not
-- rebuild matchers.

ALTER TABLE topics ADD COLUMN aliases text NOT NULL DEFAULT '';          -- newline-separated
ALTER TABLE topics ADD COLUMN excludes text NOT NULL DEFAULT '';         -- newline-separated
ALTER TABLE topics ADD COLUMN pin integer;                               -- pinned position, NULL: not pinned
ALTER TABLE topics ADD COLUMN state text NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'archived', 'merged'));
ALTER TABLE topics ADD COLUMN merged_into bigint REFERENCES topics (id);

-- Stories of the strip keep the order they had (pinned in id order), ahead of the sections.
UPDATE topics SET pin = (SELECT count(*) FROM topics o WHERE o.kind = 'story' AND o.id <= topics.id)
WHERE kind = 'story';

-- The category labels an item came with (newline-separated, as the source wrote them): matched
-- again when an alias is added (re-filing) and counted by `newsbot topics unmatched`.
ALTER TABLE articles ADD COLUMN labels text NOT NULL DEFAULT '';

ALTER TABLE feeds ADD COLUMN every integer;                              -- seconds, NULL: NEWSBOT_FEED_INTERVAL
ALTER TABLE feeds ADD COLUMN items_added bigint NOT NULL DEFAULT 0;

CREATE TABLE topic_version (
    id  integer PRIMARY KEY CHECK (id = 1),
    n   bigint NOT NULL
);
INSERT INTO topic_version (id, n) VALUES (1, 1);

CREATE FUNCTION topic_rules_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE topic_version SET n = n + 1 WHERE id = 1;
    RETURN NULL;
END $$;

CREATE TRIGGER topics_added_rules AFTER INSERT ON topics
    FOR EACH STATEMENT EXECUTE FUNCTION topic_rules_changed();
CREATE TRIGGER topics_changed_rules
    AFTER UPDATE OF slug, name, kind, keywords, aliases, excludes, pin, state, merged_into ON topics
    FOR EACH STATEMENT EXECUTE FUNCTION topic_rules_changed();
CREATE TRIGGER topics_removed_rules AFTER DELETE ON topics
    FOR EACH STATEMENT EXECUTE FUNCTION topic_rules_changed();

-- Lists of headlines show topic names and /topics its state: a pin or state change is a content change too.
CREATE TRIGGER topics_restated_version AFTER UPDATE OF pin, state, merged_into ON topics
    FOR EACH STATEMENT EXECUTE FUNCTION content_changed();
