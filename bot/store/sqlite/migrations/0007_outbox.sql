-- Fan-out driven by an outbox instead of the highest article id: ArticleRepository.upsert_many writes
-- one row per article it adds, in the same transaction as the article; DeliveryRepository.fan_out
-- records the deliveries of the rows it read and deletes exactly those rows, in one transaction. An
-- item is pushed once whatever order concurrent writers commit in (the old "articles above the
-- mark" rule held only because SQLite has one writer at a time).
--
-- 'fanout_started' in meta says a fan-out round has run; until then the first round empties the
-- outbox instead of pushing it, so what a new store was seeded with is not pushed.

CREATE TABLE outbox (
    article_id  INTEGER PRIMARY KEY REFERENCES articles (id) ON DELETE CASCADE
);

-- What the old mark had not reached yet is still to be pushed; without a mark no round has run, and
-- the first one will only start the outbox.
INSERT INTO outbox (article_id)
SELECT id FROM articles WHERE id > (SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'fanout_mark');

UPDATE meta SET key = 'fanout_started', value = '1' WHERE key = 'fanout_mark';
