-- Corrections and withdrawals of sent messages (issue 12).
--
-- sent_messages: the Telegram message each delivered push produced, written in the transaction that
-- marks its delivery sent (DeliveryRepository.mark_sent), so a message Telegram confirmed is never
-- forgotten by a crash after its mark. A merged backlog or a digest is one message listing several
-- items: one row per delivery, all with the same (chat_id, message_id).
--
-- message_jobs: edits (a correction) and deletions (a withdrawal) of those messages, durable like
-- deliveries: queued, taken ('sending'), then done, skipped (Telegram refused, the reader blocked
-- the bot, or the message is past Telegram's 48-hour window) or failed, each with its reason. One
-- queued job per message and action: a second correction before the first went out is the same job
-- (the edit renders the item as it stands when it is sent).
--
-- corrections: the outbox of items whose headline, lead or picture changed (ArticleRepository.upsert_many
-- writes it in the item's own transaction); the leader turns each into edit jobs.
--
-- articles.withdrawn_at: an editor withdrew the item (`newsbot items withdraw`, /withdraw): it is no
-- longer listed, searched, pushed or corrected, and a feed bringing it again does not bring it back.

CREATE TABLE sent_messages (
    id            INTEGER PRIMARY KEY,
    delivery_id   INTEGER NOT NULL UNIQUE REFERENCES deliveries (id) ON DELETE CASCADE,
    article_id    INTEGER REFERENCES articles (id) ON DELETE CASCADE,
    chat_id       INTEGER NOT NULL,
    message_id    INTEGER NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('text', 'photo', 'backlog', 'digest')),
    photo         TEXT,                              -- a photo message: the picture it shows now
    sent_at       INTEGER NOT NULL,
    deleted       INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX sent_messages_by_article ON sent_messages (article_id, sent_at) WHERE article_id IS NOT NULL;
CREATE INDEX sent_messages_by_message ON sent_messages (chat_id, message_id);

CREATE TABLE message_jobs (
    id           INTEGER PRIMARY KEY,
    sent_id      INTEGER NOT NULL REFERENCES sent_messages (id) ON DELETE CASCADE,
    action       TEXT NOT NULL CHECK (action IN ('edit', 'delete')),
    state        TEXT NOT NULL DEFAULT 'queued'
                 CHECK (state IN ('queued', 'sending', 'done', 'skipped', 'failed')),
    attempts     INTEGER NOT NULL DEFAULT 0,
    reason       TEXT,
    created_at   INTEGER NOT NULL,
    finished_at  INTEGER
);
CREATE UNIQUE INDEX message_jobs_once ON message_jobs (sent_id, action) WHERE state = 'queued';
CREATE INDEX message_jobs_queue ON message_jobs (id) WHERE state IN ('queued', 'sending');
CREATE INDEX message_jobs_by_sent ON message_jobs (sent_id);

CREATE TABLE corrections (
    article_id  INTEGER PRIMARY KEY REFERENCES articles (id) ON DELETE CASCADE
);

ALTER TABLE articles ADD COLUMN withdrawn_at INTEGER;
-- Lists leave withdrawn items out through this index (a few ids), not by reading each row's mark.
CREATE INDEX articles_withdrawn ON articles (id) WHERE withdrawn_at IS NOT NULL;
