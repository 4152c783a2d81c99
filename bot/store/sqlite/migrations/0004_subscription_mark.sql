-- "Items stored before a subscription are not pushed to it", exactly: each subscription keeps the
-- highest article id that existed when it was made (read in the same write transaction), and the
-- fan-out pushes only articles above it. Comparing whole-second times pushed an item stored in the
-- same second as the subscription.

ALTER TABLE subscriptions ADD COLUMN after_article INTEGER NOT NULL DEFAULT 0;

UPDATE subscriptions SET after_article = (
    SELECT coalesce(max(a.id), 0) FROM articles a WHERE a.stored_at < subscriptions.created_at
);
