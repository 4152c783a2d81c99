-- Channels and groups (issue 15): the SQLite store's migration 0015, on PostgreSQL. A group,
-- supergroup or channel the bot posts to is a row of readers with the chat's (negative) id, so
-- subscriptions, deliveries and the durable queue serve it as they serve a reader; this table says
-- which kind of chat it is. Its reader row's status: 'active' posting, 'blocked' paused (`paused`
-- says why), 'stopped' unlinked, 'gone' migrated (`migrated_to`).
CREATE TABLE chats (
    id           bigint PRIMARY KEY REFERENCES readers (id) ON DELETE CASCADE,
    kind         text NOT NULL CHECK (kind IN ('group', 'supergroup', 'channel')),
    title        text,
    username     text,
    linked_by    bigint,
    members      integer,
    paused       text,
    migrated_to  bigint,
    created_at   bigint NOT NULL,
    updated_at   bigint NOT NULL
);
CREATE INDEX chats_by_username ON chats (lower(username)) WHERE username IS NOT NULL;
