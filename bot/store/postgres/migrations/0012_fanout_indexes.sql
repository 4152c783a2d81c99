-- Fewer index entries per fan-out row (issue 13: one item to 1,000,000 subscriptions took 22.8 s).
-- A profile of the fan-out insert put 70 % of its time in index maintenance, and each index cost
-- about 65 MB of WAL a million rows: every delivery a round records went into six indexes and
-- queued an after-trigger event for the broadcast key. Each index dropped here was checked against
-- every query on deliveries (grep "deliveries" in bot/store/postgres):
--
-- * (reader_id, article_id) and (article_id) become one unique (article_id, reader_id): every
--   lookup through the first gives both columns (the story rule's NOT EXISTS, mark_opened, the
--   migrated chat's NOT EXISTS, ON CONFLICT), the article's lookups (withdrawal, urgent mark,
--   breaking-news cancellation, reach_since, the articles_removed trigger) lead with article_id;
--   lookups by reader alone go through deliveries_by_reader, as before. A round's rows share
--   their article_id, so its entries land together at one place of the index, not one per reader.
-- * (state) over every row becomes (state) over the settled-but-unsent states only: the queue's
--   depth is counted through deliveries_queued, requeue_in_flight finds 'sending' here, and nothing
--   looks for 'sent' rows by state but the operator's whole-store count (a scan, run by hand).
CREATE UNIQUE INDEX deliveries_once_per_item ON deliveries (article_id, reader_id) WHERE article_id IS NOT NULL;
DROP INDEX deliveries_once_per_article;
DROP INDEX deliveries_by_article;
CREATE INDEX deliveries_unsettled ON deliveries (state) WHERE state IN ('sending', 'failed', 'cancelled');
DROP INDEX deliveries_by_state;

-- The broadcast key goes the way of the reader and article keys (0001_init.sql): its per-row
-- after-trigger event (queued for every fan-out row, though a fan-out row has no broadcast) was
-- 6 % of the insert. A broadcast's deliveries are written only in the transaction that stores it;
-- deleting broadcasts (by hand) removes their deliveries by this statement trigger.
ALTER TABLE deliveries DROP CONSTRAINT deliveries_broadcast_id_fkey;

CREATE FUNCTION broadcasts_removed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM deliveries WHERE broadcast_id IN (SELECT id FROM removed);
    RETURN NULL;
END $$;

CREATE TRIGGER broadcasts_removed AFTER DELETE ON broadcasts
    REFERENCING OLD TABLE AS removed FOR EACH STATEMENT EXECUTE FUNCTION broadcasts_removed();
