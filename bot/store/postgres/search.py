"""Full-text search on PostgreSQL with the SQLite store's folding and weights.

The index is a tsvector built here, not by a text search configuration: the words are those of
`bot.store.search_terms.words` (bot.text.arabic.fold, then split as a reader's query is split), so
«غزه» finds «غزة» and «اسرائيل» finds «إسرائيل» exactly as on SQLite, and a reader's text is
only ever a list of quoted lexemes, never tsquery syntax. Headline words carry weight A, the lead
B, the body D; `RANK` weighs them 8 : 3 : 1 like the SQLite store's bm25(8, 3, 1), and divides by
1 + log(length) so a long body does not outrank a matching headline.
"""

from __future__ import annotations

from bot.store.search_terms import query_words, words

# ts_rank's weights are listed {D, C, B, A}: body 1/8, lead 3/8, headline 1.
RANK = "ts_rank('{0.125, 0, 0.375, 1.0}', a.search, q, 1)"
_MAX_POSITION = 16383  # PostgreSQL keeps positions up to this
_MAX_POSITIONS = 255  # positions kept per word (PostgreSQL's limit is 256)
_MAX_LEXEME_BYTES = 2046


def _quote(word: str) -> str:
    return "'" + word.replace("\\", "\\\\").replace("'", "''") + "'"


def document(headline: str, lead: str, body: str) -> str:
    """The tsvector (as its text form, cast by the query) of an article's three fields."""
    positions: dict[str, list[str]] = {}
    position = 0
    for text, weight in ((headline, "A"), (lead, "B"), (body, "")):
        for word in words(text):
            position = min(position + 1, _MAX_POSITION)
            if len(word.encode()) > _MAX_LEXEME_BYTES:
                continue
            kept = positions.setdefault(word, [])
            if len(kept) < _MAX_POSITIONS:
                kept.append(f"{position}{weight}")
    return " ".join(f"{_quote(word)}:{','.join(at)}" for word, at in positions.items())


def query(text: str, *, every: bool) -> str | None:
    """A reader's query as a tsquery (text form): every word must match, or any; None when the
    query has no word."""
    terms = [_quote(w) for w in query_words(text) if len(w.encode()) <= _MAX_LEXEME_BYTES]
    if not terms:
        return None
    return (" & " if every else " | ").join(terms)
