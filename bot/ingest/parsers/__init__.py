"""One parser per source format: seed files, seed pages, RSS/Atom feeds, article pages, corpora."""
