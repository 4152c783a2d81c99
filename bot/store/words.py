"""Readers' own words, engine-neutral: what a followed or muted phrase means as folded words, and the
index the fan-out matches every item of a round against, for all readers' words at once.

A phrase matches an item as search matches a query (`bot.store.search_terms`): both sides folded
(«الرقة» finds «الرقه», «إسرائيل» finds «اسرائيل»), whole words, a phrase's words next to each other
in that order. The item's text is its headline, lead and body as stored when it is fanned out.

The index is one pass per item however many words readers follow: the item's folded words become a
set, intersected (in C) with the one-word phrases; a phrase of several words is looked at only
when its first word is in the item, and then found as a run of words in the item's word string.
It is built incrementally: each engine hands it the rows changed since the last round
(`WordChange`, ordered by the engine's commit-ordered `seq`), so a round costs what changed, not
what exists.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot.models import WordKind
from bot.store.search_terms import words
from bot.text.arabic import fold

_WORD = re.compile(r"\w+", re.UNICODE)  # as bot.store.search_terms splits words

MAX_WORDS = 20  # words a reader may follow, and as many they may mute
MAX_PHRASE_WORDS = 6  # words in one phrase
MAX_PHRASE_CHARS = 60  # characters of a phrase, as the reader wrote it (cleaned)


def phrase_key(text: str) -> str:
    """The folded words of `text`, one space between: what the store keeps and matching compares."""
    return " ".join(words(text))


@dataclass(frozen=True, slots=True)
class WordChange:
    """A reader's word as it stands after its last change. `mark`: items whose own mark (SQLite:
    article id; PostgreSQL: outbox seq) is above it are pushed through the word. `seq`: the
    commit-ordered value of that change."""

    id: int
    reader_id: int
    kind: WordKind
    key: str
    mark: int
    active: bool
    seq: int


@dataclass(frozen=True, slots=True)
class WordMatches:
    """One round's matches: (article id, reader id) pairs to push through a followed word (muted
    ones already left out), and pairs a muted word keeps out of whatever else matched."""

    follows: list[tuple[int, int]]
    muted: list[tuple[int, int]]


class WordIndex:
    """Folded phrases → readers, for both kinds, kept up to date with `apply`."""

    def __init__(self) -> None:
        self.seq = 0  # the last change applied
        self._follow: dict[str, dict[int, int]] = {}  # key → reader → mark
        self._mute: dict[str, set[int]] = {}  # key → readers
        self._first: dict[str, set[str]] = {}  # first word → keys of several words (either kind)
        self._rows: dict[int, tuple[int, WordKind, str]] = {}  # row id → (reader, kind, key) indexed

    def __len__(self) -> int:
        return len(self._rows)

    def apply(self, changes: Iterable[WordChange]) -> None:
        """Take in changed rows, in `seq` order (a row seen again replaces what it was)."""
        for change in changes:
            self._drop(change.id)
            if change.active:
                self._add(change)
            self.seq = max(self.seq, change.seq)

    def _add(self, change: WordChange) -> None:
        key = change.key
        if change.kind is WordKind.FOLLOW:
            self._follow.setdefault(key, {})[change.reader_id] = change.mark
        else:
            self._mute.setdefault(key, set()).add(change.reader_id)
        if " " in key:
            self._first.setdefault(key.split(" ", 1)[0], set()).add(key)
        self._rows[change.id] = (change.reader_id, change.kind, key)

    def _drop(self, row_id: int) -> None:
        found = self._rows.pop(row_id, None)
        if found is None:
            return
        reader_id, kind, key = found
        if kind is WordKind.FOLLOW:
            readers = self._follow.get(key, {})
            readers.pop(reader_id, None)
            if not readers:
                self._follow.pop(key, None)
        else:
            muted = self._mute.get(key, set())
            muted.discard(reader_id)
            if not muted:
                self._mute.pop(key, None)
        if " " in key and key not in self._follow and key not in self._mute:
            first = key.split(" ", 1)[0]
            keys = self._first.get(first, set())
            keys.discard(key)
            if not keys:
                self._first.pop(first, None)

    def keys_in(self, text: str) -> list[str]:
        """Every indexed phrase (of either kind) found in `text`; a phrase never spans two lines
        (the headline, the lead, a paragraph)."""
        folded = fold(text)
        present = set(_WORD.findall(folded))
        found = list(present & self._follow.keys())
        found.extend(present & self._mute.keys())
        firsts = present & self._first.keys()
        if firsts:
            line = " " + " \n ".join(" ".join(_WORD.findall(part)) for part in folded.split("\n")) + " "
            for first in firsts:
                found.extend(key for key in self._first[first] if f" {key} " in line)
        return found

    def match(self, items: Sequence[tuple[int, int, str]]) -> WordMatches:
        """Match items (article id, mark, text) against every reader's words in one pass each."""
        follows: list[tuple[int, int]] = []
        muted: list[tuple[int, int]] = []
        if not self._rows:
            return WordMatches(follows, muted)
        for article_id, mark, text in items:
            keys = self.keys_in(text)
            if not keys:
                continue
            silenced: set[int] = set()
            for key in keys:
                silenced.update(self._mute.get(key, ()))
            wanted: set[int] = set()
            for key in keys:
                readers = self._follow.get(key)
                if readers:
                    wanted.update(reader for reader, since in readers.items() if mark > since)
            wanted -= silenced
            follows.extend((article_id, reader) for reader in wanted)
            muted.extend((article_id, reader) for reader in silenced)
        return WordMatches(follows, muted)


def item_text(headline: str, lead: str, body: str) -> str:
    """What an item's words are matched in."""
    return f"{headline}\n{lead}\n{body}"
