"""Readers' own words, engine-neutral: what a followed or muted phrase means as folded words, and the
index the fan-out matches every item of a round against, for all readers' words at once.

A phrase matches an item as search matches a query (`bot.store.search_terms`): both sides folded
(«الرقة» finds «الرقه», «إسرائيل» finds «اسرائيل»), whole words, a phrase's words next to each other
in that order. The item's text is its headline, lead and body as stored when it is fanned out.

The index is one pass per item however many words readers follow: the item's folded words become a
set, intersected (in C) with the one-word phrases; the item's pairs of neighbouring words, with the
first two words of the longer phrases (a phrase of three or more is then looked for as a run of
words in the item's word string).
It is built incrementally: each engine hands it the rows changed since the last round
(`WordChange`, ordered by the engine's commit-ordered `seq`), so a round costs what changed, not
what exists.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot.models import WordKind
from bot.store.search_terms import words
from bot.text.arabic import fold

_TOKEN = re.compile(r"\w+|\n", re.UNICODE)  # words as bot.store.search_terms splits them, and line breaks

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
    """One round's matches, article id → reader ids: those to push it to through a followed word
    (muted ones already left out), and those a muted word keeps it from, whatever else matched."""

    follows: dict[int, set[int]]
    muted: dict[int, set[int]]

    @staticmethod
    def pairs(found: dict[int, set[int]]) -> tuple[list[int], list[int]]:
        """(article ids, reader ids), one pair per position: the columns a statement takes."""
        articles: list[int] = []
        readers: list[int] = []
        for article_id, ids in found.items():
            articles.extend([article_id] * len(ids))
            readers.extend(ids)
        return articles, readers


class WordIndex:
    """Folded phrases → readers, for both kinds, kept up to date with `apply`."""

    def __init__(self) -> None:
        self.seq = 0  # the last change applied
        self._follow: dict[str, dict[int, int]] = {}  # key → reader → mark
        self._newest: dict[str, int] = {}  # key → the highest mark it has had (items above: every follower)
        self._mute: dict[str, set[int]] = {}  # key → readers
        self._pairs: dict[tuple[str, str], set[str]] = {}  # first two words → keys of several words
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
            self._newest[key] = max(self._newest.get(key, 0), change.mark)
        else:
            self._mute.setdefault(key, set()).add(change.reader_id)
        if " " in key:
            self._pairs.setdefault(_lead(key), set()).add(key)
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
                self._newest.pop(key, None)
        else:
            muted = self._mute.get(key, set())
            muted.discard(reader_id)
            if not muted:
                self._mute.pop(key, None)
        if " " in key and key not in self._follow and key not in self._mute:
            lead = _lead(key)
            keys = self._pairs.get(lead, set())
            keys.discard(key)
            if not keys:
                self._pairs.pop(lead, None)

    def keys_in(self, text: str) -> list[str]:
        """Every indexed phrase (of either kind) found in `text`; a phrase never spans two lines
        (the headline, the lead, a paragraph)."""
        tokens = _TOKEN.findall(fold(text))  # words, and "\n" between lines: no phrase spans one
        present = set(tokens)
        found = list(present & self._follow.keys())
        found.extend(present & self._mute.keys())
        if self._pairs:
            line = ""
            for pair in set(itertools.pairwise(tokens)) & self._pairs.keys():
                for key in self._pairs[pair]:
                    if key.count(" ") == 1:  # two words: the pair is the phrase
                        found.append(key)
                        continue
                    line = line or " " + " ".join(tokens) + " "
                    if f" {key} " in line:
                        found.append(key)
        return found

    def match(self, items: Sequence[tuple[int, int, str]]) -> WordMatches:
        """Match items (article id, mark, text) against every reader's words in one pass each."""
        follows: dict[int, set[int]] = {}
        muted: dict[int, set[int]] = {}
        if not self._rows:
            return WordMatches(follows, muted)
        follow, mute, newest = self._follow, self._mute, self._newest
        for article_id, mark, text in items:
            keys = self.keys_in(text)
            if not keys:
                continue
            silenced: set[int] = set()
            wanted: set[int] = set()
            for key in keys:
                if key in mute:
                    silenced.update(mute[key])
                readers = follow.get(key)
                if readers:
                    if mark > newest[key]:  # the usual case: followed before the item was stored
                        wanted.update(readers)
                    else:
                        wanted.update(reader for reader, since in readers.items() if mark > since)
            if silenced:
                wanted -= silenced
                muted[article_id] = silenced
            if wanted:
                follows[article_id] = wanted
        return WordMatches(follows, muted)


def _lead(key: str) -> tuple[str, str]:
    first, second = key.split(" ", 2)[:2]
    return first, second


def item_text(headline: str, lead: str, body: str) -> str:
    """What an item's words are matched in."""
    return f"{headline}\n{lead}\n{body}"
