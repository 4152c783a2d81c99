-- Stories (issue 12; SQLite migration 0013): the same story from several outlets, or twice from one
-- under two addresses, is pushed once and listed once. Decided when an item is first stored
-- (bot.store.records.StoryMatcher), never recomputed on a reader's request.
--
-- duplicate_of: the id of the story's first item when this item repeats it; NULL for a story's
-- first item (and every item stored before this migration). story_key: the headline's words as
-- bot.text.headlines compares them ('' for older rows: computed from the headline when needed).
ALTER TABLE articles ADD COLUMN duplicate_of bigint;
ALTER TABLE articles ADD COLUMN story_key text NOT NULL DEFAULT '';
CREATE INDEX articles_by_story ON articles (duplicate_of) WHERE duplicate_of IS NOT NULL;
-- Storing an item compares it with the stories told near its time, each by its first item.
CREATE INDEX articles_firsts_by_time ON articles ((coalesce(published_at, stored_at))) WHERE duplicate_of IS NULL;
CREATE INDEX articles_firsts ON articles (kind) WHERE duplicate_of IS NULL;
