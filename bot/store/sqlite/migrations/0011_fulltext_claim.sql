-- The full-text queue is claimed in the order FullTextRepository.claim asks for (never tried first,
-- then the oldest retry): an index in that very order, so a claim reads a few index entries instead
-- of sorting every pending row (a 100,000-item backlog after an upgrade sorted on each claim, on the
-- connection readers' queries wait on).

CREATE INDEX fulltext_claim ON fulltext ((attempts > 0), next_try, article_id DESC) WHERE state = 'pending';
