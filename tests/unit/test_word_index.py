"""The word index alone: folded whole words and phrases, marks, mutes, incremental changes."""

from __future__ import annotations

from bot.models import WordKind
from bot.store.words import WordChange, WordIndex, WordMatches, phrase_key


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
