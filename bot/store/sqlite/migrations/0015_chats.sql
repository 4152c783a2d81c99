-- Channels and groups (issue 15). A group, supergroup or channel the bot posts to is a row of
-- readers with the chat's (negative) id, so subscriptions, deliveries and the durable queue serve
-- it as they serve a reader; this table says which kind of chat it is and what only such a chat
-- has. Its reader row's status: 'active' posting, 'blocked' paused (`paused` says why: the bot was
-- removed or may no longer post), 'stopped' unlinked by an editor, 'gone' migrated (`migrated_to`).
CREATE TABLE chats (
    id           INTEGER PRIMARY KEY REFERENCES readers (id) ON DELETE CASCADE,
    kind         TEXT NOT NULL CHECK (kind IN ('group', 'supergroup', 'channel')),
    title        TEXT,
    username     TEXT,
    linked_by    INTEGER,
    members      INTEGER,
    paused       TEXT,
    migrated_to  INTEGER,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);
CREATE INDEX chats_by_username ON chats (lower(username)) WHERE username IS NOT NULL;
