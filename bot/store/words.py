"""Readers' own words, engine-neutral: what a followed or muted phrase means as folded words, and the
index the fan-out matches every item of a round against, for all readers' words at once.

A phrase matches an item as search matches a query (`bot.store.search_terms`): both sides folded
(«الرقة» finds «الرقه», «إسرائيل» finds «اسرائيل»), whole words, a phrase's words next to each other
in that order. The item's text is its headline, lead and body as stored when it is fanned out.

The index is one pass per item however many words readers follow: the item is folded and split
once (`item_words`), its words become a set, intersected (in C) with the one-word phrases; the pairs
of neighbouring words whose first word starts a longer phrase, with the phrases' first two words (a
phrase of three or more is then looked for as a run of words in the item's word string).
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

_WORD = re.compile(r"\w+")  # words as bot.store.search_terms splits them
_LINE = " \u0640 "  # a line break among an item's words: a tatweel, which fold() drops from every key
# The marks (none a word character) items hold most often, most frequent first: a sample of 10,000
# items (bench/fixtures.py) held no other, but any other only sends an item to the regex.
_PUNCTUATION = (".", "|", "،", '"', ":", "#", "/", "(", ")", "؟", "-", "'", "%", "*", ",", "!", "؛", "«", "»", "…")

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
    """Folded phrases → readers, for both kinds, kept up to date with `apply`.

    Matching is set operations in C, the interpreter's loops left to what matched (profiled: a
    Python-level step per word of the item cost more than all the lookups): the item's words
    intersected with the one-word keys; with the first words of the longer keys, and only the
    pairs of neighbouring words starting with one of those intersected with the keys' first pairs;
    the matched keys with each kind's readers."""

    def __init__(self) -> None:
        self.seq = 0  # the last change applied
        self._follow: dict[str, dict[int, int]] = {}  # key → reader → mark
        self._newest: dict[str, int] = {}  # key → the highest mark it has had (items above: every follower)
        self._mute: dict[str, set[int]] = {}  # key → readers
        self._singles: set[str] = set()  # keys of one word (of either kind)
        self._pairs: dict[tuple[str, str], set[str]] = {}  # first two words → keys of several words
        self._firsts: dict[str, int] = {}  # first word → how many first pairs start with it
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
        if " " not in key:
            self._singles.add(key)
        else:
            lead = _lead(key)
            keys = self._pairs.get(lead)
            if keys is None:
                keys = self._pairs[lead] = set()
                self._firsts[lead[0]] = self._firsts.get(lead[0], 0) + 1
            keys.add(key)
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
        if key in self._follow or key in self._mute:
            return
        if " " not in key:
            self._singles.discard(key)
            return
        lead = _lead(key)
        keys = self._pairs[lead]
        keys.discard(key)
        if not keys:
            del self._pairs[lead]
            self._firsts[lead[0]] -= 1
            if not self._firsts[lead[0]]:
                del self._firsts[lead[0]]

    def keys_in(self, text: str) -> set[str]:
        """Every indexed phrase (of either kind) found in `text`; a phrase never spans two lines
        (the headline, the lead, a paragraph)."""
        tokens = item_words(fold(text))
        present = set(tokens)
        found = present & self._singles
        starts = present & self._firsts.keys()
        if starts:
            # the pairs whose first word is some key's, each once; those that are some key's first two
            pairs = set(itertools.compress(itertools.pairwise(tokens), map(starts.__contains__, tokens)))
            line = ""
            for pair in pairs & self._pairs.keys():
                for key in self._pairs[pair]:
                    if key.count(" ") == 1:  # two words: the pair is the phrase
                        found.add(key)
                        continue
                    line = line or " " + " ".join(tokens) + " "
                    if f" {key} " in line:
                        found.add(key)
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
            wanted: set[int] = set()
            followed = keys & follow.keys()
            if followed:
                if max(map(newest.__getitem__, followed)) < mark:  # the usual case: followed before the item
                    wanted = wanted.union(*map(follow.__getitem__, followed))
                else:
                    for key in followed:
                        wanted.update(reader for reader, since in follow[key].items() if mark > since)
            silencing = keys & mute.keys()
            if silencing:
                silenced = set().union(*map(mute.__getitem__, silencing))
                muted[article_id] = silenced
                wanted -= silenced
            if wanted:
                follows[article_id] = wanted
        return WordMatches(follows, muted)


def _lead(key: str) -> tuple[str, str]:
    first, second = key.split(" ", 2)[:2]
    return first, second


def item_words(folded: str) -> list[str]:
    """The words of a folded text, as `\\w+` finds them (bot.store.search_terms), with a tatweel
    between two lines: `fold` drops every tatweel, so no key holds one and no phrase spans a line.

    Profiled at a third of the matching: the regex, one match object's worth of work per word.
    The punctuation items hold is turned into spaces (one scan each, in C) and the text split on
    whitespace; when every character left is a word character the pieces are the regex's words
    (whitespace and the replaced marks are not word characters), else the regex decides."""
    text = folded.replace("\n", _LINE)
    for mark in filter(text.__contains__, _PUNCTUATION):
        text = text.replace(mark, " ")
    found = text.split()
    if "".join(found).replace("_", "").isalnum():  # \w is a letter, a digit or «_»
        return found
    return _WORD.findall(text)


def item_text(headline: str, lead: str, body: str) -> str:
    """What an item's words are matched in."""
    return f"{headline}\n{lead}\n{body}"
