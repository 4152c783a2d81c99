"""Search text, engine-neutral: what a reader's query means as words, and what the index holds.

Both sides go through `bot.text.arabic.fold`, so «غزه» finds «غزة» and «اسرائيل» finds «إسرائيل»
whatever the engine's own tokenizer does. An engine quotes the words in its own query syntax
(FTS5 string literals in SQLite); a reader's text is never taken as query syntax.
"""

from __future__ import annotations

import re

from bot.text.arabic import fold

MAX_QUERY_TERMS = 12
_WORD = re.compile(r"\w+", re.UNICODE)


def query_words(query: str) -> list[str]:
    """The folded words of a reader's query, first occurrence of each, at most MAX_QUERY_TERMS."""
    seen: list[str] = []
    for word in _WORD.findall(fold(query)):
        if word not in seen:
            seen.append(word)
    return seen[:MAX_QUERY_TERMS]


def indexed(text: str) -> str:
    """A field's text as the search index stores it (folded)."""
    return fold(text)


def words(text: str) -> list[str]:
    """Every folded word of a field's text, in order, split as a query is (an engine that builds
    its own index from words, like PostgreSQL's tsvector, matches what `query_words` asks)."""
    return _WORD.findall(fold(text))
