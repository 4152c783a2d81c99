-- Delivery queue indexes. The queue is read through deliveries_by_state (state, then id in rowid
-- order), so the old (state, not_before) index only cost time on every insert of a fan-out.
-- Per-reader lookups (cancelling a blocked reader's pushes, a reader's digest) get their own index.

DROP INDEX IF EXISTS deliveries_pending;
CREATE INDEX deliveries_by_reader ON deliveries (reader_id, state);
