"""The word index alone: folded whole words and phrases, marks, mutes, incremental changes."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.models import WordKind
from bot.store.search_terms import words
from bot.store.words import WordChange, WordIndex, WordMatches, item_words, phrase_key
from bot.text.arabic import fold

FOLLOW, MUTE = WordKind.FOLLOW, WordKind.MUTE


def change(row: int, reader: int, text: str, kind: WordKind = WordKind.FOLLOW, *, mark: int = 0, active: bool = True):
    return WordChange(row, reader, kind, phrase_key(text), mark, active, row)


def test_whole_folded_words_and_phrases_in_order() -> None:
    index = WordIndex()
    index.apply([change(1, 10, "الرقة"), change(2, 20, "محمد صلاح"), change(3, 30, "صلاح محمد")])
    assert sorted(index.keys_in("هدف لمحمد صلاح في الرقه")) == ["الرقه"]  # «لمحمد» is another word
    assert sorted(index.keys_in("مُحمّد صلاح")) == ["محمد صلاح"]
    assert index.keys_in("الرقةِ") == {"الرقه"}
    assert index.keys_in("الرقاوي") == set()
    matches = index.match([(5, 5, "محمد صلاح يسجل في الرقة")])
    assert matches.follows == {5: {10, 20}} and matches.muted == {}


def test_marks_mutes_and_removal() -> None:
    index = WordIndex()
    index.apply([change(1, 10, "غزة", mark=7), change(2, 20, "غزة"), change(3, 20, "غزة", WordKind.MUTE)])
    matches = index.match([(7, 7, "غزة"), (8, 8, "غزة")])
    assert matches.follows == {8: {10}}  # reader 10 followed after item 7; reader 20 muted it
    assert matches.muted == {7: {20}, 8: {20}}
    assert WordMatches.pairs(matches.muted) == ([7, 8], [20, 20])
    index.apply([WordChange(3, 20, WordKind.MUTE, "غزه", 0, False, 4)])
    assert index.match([(9, 9, "غزة")]).follows == {9: {10, 20}}
    assert index.seq == 4
    index.apply(
        [WordChange(1, 10, WordKind.FOLLOW, "غزه", 7, False, 5), WordChange(2, 20, WordKind.FOLLOW, "غزه", 0, False, 6)]
    )
    assert len(index) == 0 and index.keys_in("غزة") == set()


# -- the index finds what the definition says ----------------------------------------------------------

# A few words in several spellings (folding makes them equal), with tashkeel, tatweel, Latin in both
# cases, digits in both sets, an underscore (a word character), each followed by a separator of the
# kinds an item holds: spaces, line breaks, Arabic and Latin punctuation, quotes, a no-break space.
_WORDS = [
    "الرقة", "الرقه", "الرقّة", "محمد", "مُحمّد", "صلاح", "صـلاح", "غزة", "إسرائيل", "اسرائيل", "مصر",
    "Gaza", "GAZA", "٢٠٢٥", "2025", "a_b", "a", "B", "و", "لمحمد", "ß", "ss",
]  # fmt: skip
_SEPARATORS = [
    " ", "\n", "\r\n", "\n\n", "، ", ".", '"', ":", "-", "|", " «", "» ", "؟", "\xa0", "#", "/", "…", "\u200f",
]  # fmt: skip
_KEYS = ["الرقة", "محمد", "صلاح", "غزة", "اسرائيل", "gaza", "2025", "a_b", "a", "b", "لمحمد", "ss"]
_OFTEN = ["الرقة", "محمد", "صلاح", "gaza"]  # drawn often, so that phrases are found (or almost, across a line)
word = st.sampled_from(_OFTEN) | st.sampled_from(_WORDS)
separator = st.sampled_from([" ", "\n"]) | st.sampled_from(_SEPARATORS)
texts = st.lists(st.tuples(word, separator).map("".join), max_size=30).map("".join)
phrases = st.lists(st.sampled_from(_OFTEN) | st.sampled_from(_KEYS), min_size=1, max_size=3).map(" ".join)
folded_phrases = phrases.map(phrase_key)


@given(texts | st.text())
def test_an_items_words_are_the_regexs(text: str) -> None:
    folded = fold(text)
    assert item_words(folded) == re.findall(r"\w+", folded.replace("\n", " \u0640 "))


def expected_keys(keys: set[str], text: str) -> set[str]:
    """The definition, spelled out slowly: a key is found when its folded words are a run of
    neighbouring words in one line of the folded text (headline, lead, a paragraph)."""
    found = set()
    for line in text.split("\n"):
        runs = " " + " ".join(words(line)) + " "
        found.update(key for key in keys if f" {key} " in runs)
    return found


@settings(max_examples=300)
@given(
    st.lists(folded_phrases, max_size=8),
    st.lists(folded_phrases, max_size=3),
    st.lists(texts, min_size=1, max_size=4),
    st.sets(st.integers(min_value=1, max_value=11)),
)
def test_keys_and_matches_are_the_definitions(
    followed: list[str], muted: list[str], items: list[str], dropped: set[int]
) -> None:
    index = WordIndex()
    rows = [(FOLLOW, key) for key in followed] + [(MUTE, key) for key in muted]
    index.apply(WordChange(n, n, kind, key, n % 3, True, n) for n, (kind, key) in enumerate(rows, 1))
    keys = set(followed) | set(muted)
    for text in items:
        assert index.keys_in(text) == expected_keys(keys, text)
    matches = index.match([(n, n, text) for n, text in enumerate(items)])
    for n, text in enumerate(items):
        present = expected_keys(keys, text)
        silenced = {reader for reader, (kind, key) in enumerate(rows, 1) if kind is MUTE and key in present}
        wanted = {
            reader for reader, (kind, key) in enumerate(rows, 1) if kind is FOLLOW and key in present and n > reader % 3
        }
        assert matches.muted.get(n, set()) == silenced
        assert matches.follows.get(n, set()) == wanted - silenced
    # rows removed (unfollowed, unmuted): what is left is found, nothing more
    index.apply(WordChange(n, n, kind, key, 0, False, 100 + n) for n, (kind, key) in enumerate(rows, 1) if n in dropped)
    left = {key for n, (_, key) in enumerate(rows, 1) if n not in dropped}
    for text in items:
        assert index.keys_in(text) == expected_keys(left, text)
