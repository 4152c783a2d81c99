"""The word index alone: folded whole words and phrases, marks, mutes, incremental changes."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.models import WordKind
from bot.store.search_terms import words
from bot.store.words import WordChange, WordIndex, WordMatches, phrase_key

FOLLOW, MUTE = WordKind.FOLLOW, WordKind.MUTE


def change(row: int, reader: int, text: str, kind: WordKind = WordKind.FOLLOW, *, mark: int = 0, active: bool = True):
    return WordChange(row, reader, kind, phrase_key(text), mark, active, row)


def test_whole_folded_words_and_phrases_in_order() -> None:
    index = WordIndex()
    index.apply([change(1, 10, "الرقة"), change(2, 20, "محمد صلاح"), change(3, 30, "صلاح محمد")])
    assert sorted(index.keys_in("هدف لمحمد صلاح في الرقه")) == ["الرقه"]  # «لمحمد» is another word
    assert sorted(index.keys_in("مُحمّد صلاح")) == ["محمد صلاح"]
    assert index.keys_in("الرقةِ") == ["الرقه"]
    assert index.keys_in("الرقاوي") == []
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
    assert len(index) == 0 and index.keys_in("غزة") == []


# -- the index finds what the definition says ----------------------------------------------------------

# A few words in several spellings (folding makes them equal), with tashkeel, tatweel, Latin in both
# cases, digits in both sets, an underscore (a word character), and every kind of separator an item
# holds: spaces, line breaks, Arabic and Latin punctuation, quotes, a no-break space.
_PIECES = [
    "الرقة", "الرقه", "الرقّة", "محمد", "مُحمّد", "صلاح", "صـلاح", "غزة", "إسرائيل", "اسرائيل", "مصر",
    "Gaza", "GAZA", "٢٠٢٥", "2025", "a_b", "و", "لمحمد",
    " ", " ", " ", "\n", "\r\n", "\n\n", "،", ".", '"', ":", "-", "|", "«", "»", "؟", "\xa0", "#", "/", "*", "…",
]  # fmt: skip
_KEYS = ["الرقة", "محمد", "صلاح", "غزة", "اسرائيل", "gaza", "2025", "a_b", "a", "b", "لمحمد"]
texts = st.lists(st.sampled_from(_PIECES), max_size=40).map("".join)
phrases = st.lists(st.sampled_from(_KEYS), min_size=1, max_size=3).map(" ".join).map(phrase_key)


def expected_keys(keys: set[str], text: str) -> set[str]:
    """The definition, spelled out slowly: a key is found when its folded words are a run of
    neighbouring words in one line of the folded text (headline, lead, a paragraph)."""
    found = set()
    for line in text.split("\n"):
        runs = " " + " ".join(words(line)) + " "
        found.update(key for key in keys if f" {key} " in runs)
    return found


@given(st.lists(phrases, max_size=8), st.lists(phrases, max_size=3), st.lists(texts, min_size=1, max_size=4))
def test_keys_and_matches_are_the_definitions(followed: list[str], muted: list[str], items: list[str]) -> None:
    index = WordIndex()
    rows = [(FOLLOW, key) for key in followed] + [(MUTE, key) for key in muted]
    index.apply(WordChange(n, n, kind, key, n % 3, True, n) for n, (kind, key) in enumerate(rows, 1))
    keys = set(followed) | set(muted)
    for text in items:
        assert sorted(index.keys_in(text)) == sorted(expected_keys(keys, text))
    matches = index.match([(n, n, text) for n, text in enumerate(items)])
    for n, text in enumerate(items):
        present = expected_keys(keys, text)
        silenced = {reader for reader, (kind, key) in enumerate(rows, 1) if kind is MUTE and key in present}
        wanted = {
            reader for reader, (kind, key) in enumerate(rows, 1) if kind is FOLLOW and key in present and n > reader % 3
        }
        assert matches.muted.get(n, set()) == silenced
        assert matches.follows.get(n, set()) == wanted - silenced
