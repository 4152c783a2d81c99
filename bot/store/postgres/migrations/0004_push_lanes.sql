-- Pushes a newsroom would send (issue 12; SQLite migration 0010).
--
-- Breaking news first: the delivery worker takes queued broadcasts before routine pushes, so they
-- need finding without walking the whole queue of routine ones.
CREATE INDEX deliveries_urgent_queue ON deliveries (id) WHERE state = 'queued' AND mode = 'broadcast';
