-- The full-text queue is claimed in the order PgFullTextRepository.claim asks for (never tried
-- first, then the oldest retry; SQLite migration 0011): an index in that very order, so a claim
-- reads a few index entries instead of sorting every pending row.

CREATE INDEX fulltext_claim ON fulltext ((attempts > 0), next_try, article_id DESC) WHERE state = 'pending';
