"""A reader's own follows: `/follow WORD`, `/mute WORD`, the «🔔 تابع» button of search results, and
/mysubs (topics and words, each removable). As plain data; handlers render one template each.

A word or phrase is matched as search matches (bot.store.words): folded, whole words. What a reader
types is checked here before anything is stored, each refusal with its own reason (the template
says it in Arabic): nothing empty, one letter, without letters or digits, too long, with markup or
with bidi controls, and nothing twice.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.models import ReaderWord, Topic, WordKind
from bot.store.protocols import NewsStore
from bot.store.words import MAX_PHRASE_CHARS, MAX_PHRASE_WORDS, MAX_WORDS, phrase_key
from bot.text.arabic import clean_text

# Bidi controls: embeddings, overrides, isolates and marks. A reader's word is shown back to them
# and in /mysubs; one carrying these could turn the text around it, so it is refused, not cleaned.
_BIDI = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_MARKUP = re.compile(r"[<>]|&[#\w]+;")


@dataclass(frozen=True, slots=True)
class WordAnswer:
    """`status`: added, exists, limit, or why the word was refused: empty, short, no_letters,
    too_long, too_many_words, markup, bidi. `text`: the word as it would be kept (may be empty)."""

    kind: WordKind
    status: str
    text: str
    limit: int = MAX_WORDS
    max_chars: int = MAX_PHRASE_CHARS
    max_words: int = MAX_PHRASE_WORDS

    @property
    def stored(self) -> bool:
        return self.status == "added"


@dataclass(frozen=True, slots=True)
class MySubs:
    """/mysubs: the reader's topics, then the words they follow and those they mute."""

    topics: list[Topic]
    follows: list[ReaderWord]
    mutes: list[ReaderWord]

    @property
    def empty(self) -> bool:
        return not (self.topics or self.follows or self.mutes)


def check_word(raw: str) -> tuple[str | None, str, str]:
    """(the reason `raw` cannot be a word or None, the text kept, its folded key)."""
    if _BIDI.search(raw):
        return "bidi", "", ""
    text = " ".join(clean_text(raw).split())
    if not text:
        return "empty", text, ""
    if _MARKUP.search(text):
        return "markup", text, ""
    if len(text) > MAX_PHRASE_CHARS:
        return "too_long", text, ""
    key = phrase_key(text)
    if not key:
        return "no_letters", text, key
    if len(key.replace(" ", "")) < 2:
        return "short", text, key
    if key.count(" ") + 1 > MAX_PHRASE_WORDS:
        return "too_many_words", text, key
    return None, text, key


def can_follow(query: str) -> bool:
    """Whether a search query can be followed as it is (the «🔔 تابع» button is offered)."""
    return check_word(query)[0] is None


class Following:
    """What a reader follows beyond topics, and /mysubs."""

    def __init__(self, store: NewsStore) -> None:
        self.store = store

    async def add(self, reader_id: int, kind: WordKind, raw: str) -> WordAnswer:
        """Follow or mute `raw` for the reader: stored once, at most MAX_WORDS of each kind."""
        reason, text, key = check_word(raw)
        if reason is not None:
            return WordAnswer(kind, reason, text)
        added = await self.store.words.add(reader_id, kind, text, key, MAX_WORDS)
        return WordAnswer(kind, added.value, text)

    async def remove_word(self, reader_id: int, word_id: int) -> MySubs | None:
        """Remove one of the reader's words; the /mysubs that remains, or None for a stale button."""
        if await self.store.words.remove(reader_id, word_id) is None:
            return None
        return await self.mysubs(reader_id)

    async def remove_topic(self, reader_id: int, topic_id: int) -> MySubs:
        await self.store.subscriptions.unsubscribe(reader_id, topic_id)
        return await self.mysubs(reader_id)

    async def mysubs(self, reader_id: int) -> MySubs:
        words = await self.store.words.of_reader(reader_id)
        return MySubs(
            await self.store.subscriptions.topics(reader_id),
            [w for w in words if w.kind is WordKind.FOLLOW],
            [w for w in words if w.kind is WordKind.MUTE],
        )
