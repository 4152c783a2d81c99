"""Splitting Telegram HTML into messages within the limit, checked with the emulator's parser."""

from __future__ import annotations

import html
import re
from functools import cache

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.devtools.emulator.telegram_html import parse_html
from bot.text.html_split import _atomize, number_parts, split_message, split_numbered, utf16_len, visible_text
from tests.conftest import DATA as ARABIC_NEWS

DATASETS = ARABIC_NEWS / "datasets"
MARKER = re.compile(r"\n\(([0-9٠-٩]+)/([0-9٠-٩]+)\)$")

# -- helpers --------------------------------------------------------------------------------------


def styled_chars(text: str) -> list[tuple[str, frozenset[tuple[str, str]]]]:
    """Each non-whitespace visible character of ``text`` with the entities covering it."""
    plain, entities = parse_html(text)
    # code point index of each UTF-16 offset
    index_of: dict[int, int] = {}
    units = 0
    for i, ch in enumerate(plain):
        index_of[units] = i
        units += utf16_len(ch)
    index_of[units] = len(plain)
    styles: list[set[tuple[str, str]]] = [set() for _ in plain]
    for e in entities:
        key = (e["type"], str(e.get("url", e.get("language", ""))))
        for i in range(index_of[e["offset"]], index_of[e["offset"] + e["length"]]):
            styles[i].add(key)
    return [(ch, frozenset(s)) for ch, s in zip(plain, styles, strict=True) if not ch.isspace()]


def check_parts(source: str, parts: list[str], limit: int) -> None:
    """Each part valid and within the limit; together they carry the same styled text, in order."""
    assert parts
    joined: list[tuple[str, frozenset[tuple[str, str]]]] = []
    for part in parts:
        plain, _ = parse_html(part)
        assert utf16_len(plain) <= limit
        assert plain.strip(), "an empty part"
        joined.extend(styled_chars(part))
    assert joined == styled_chars(source)


# -- generated markup ----------------------------------------------------------------------------

CHARS = [
    *"غزةإسرائيلخبرعاجلمنذ٠١٢abcXYZ0123456789.,،؛؟!:-",
    " ",
    " ",
    " ",
    "\n",
    "\n\n",
    "<",
    ">",
    "&",
    '"',
    "'",
    "ً",
    "ّ",
    "😀",
    "👍🏽",
    "👨\u200d👩\u200d👧",
    "🇸🇦",
    "\u2068BBC\u2069",
]
plain_text = st.lists(st.sampled_from(CHARS), min_size=1, max_size=30).map("".join)
escaped = plain_text.map(html.escape)

SIMPLE_TAGS = ["b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "tg-spoiler"]


def wrap(tag: str, attrs: str = "") -> st.SearchStrategy[tuple[str, str]]:
    return st.just((f"<{tag}{attrs}>", f"</{tag}>"))


def element(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    opener = st.one_of(
        st.sampled_from(SIMPLE_TAGS).flatmap(wrap),
        wrap("span", ' class="tg-spoiler"'),
        wrap("blockquote"),
        wrap("blockquote", " expandable"),
        st.sampled_from(["https://example.com/a?x=1&amp;y=&quot;2&quot;", "https://bbc.com/arabic/غزة"]).flatmap(
            lambda url: wrap("a", f' href="{url}"')
        ),
    )
    return st.tuples(opener, st.lists(children, min_size=1, max_size=4)).map(
        lambda t: t[0][0] + "".join(t[1]) + t[0][1]
    )


code = st.one_of(
    escaped.map(lambda s: f"<code>{s}</code>"),
    escaped.map(lambda s: f"<pre>{s}</pre>"),
    escaped.map(lambda s: f'<pre><code class="language-python">{s}</code></pre>'),
)
fragment = st.recursive(st.one_of(escaped, code), element, max_leaves=25)
document = st.lists(fragment, min_size=1, max_size=8).map("".join).filter(lambda s: parse_html(s)[0].strip() != "")


def test_generated_documents_are_valid() -> None:
    """The generator itself produces Telegram-valid HTML (else the properties below prove little)."""

    @settings(deadline=None)
    @given(document)
    def check(doc: str) -> None:
        parse_html(doc)

    check()


# -- properties ----------------------------------------------------------------------------------


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(document, st.integers(min_value=2, max_value=80))
def test_split_message_properties(doc: str, limit: int) -> None:
    parts = split_message(doc, limit)
    check_parts(doc, parts, limit)
    if utf16_len(parse_html(doc)[0]) <= limit:
        assert parts == [doc]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(document, st.integers(min_value=12, max_value=80), st.booleans())
def test_split_numbered_properties(doc: str, limit: int, arabic_digits: bool) -> None:
    parts = split_numbered(doc, limit, arabic_digits)
    for part in parts:
        assert utf16_len(parse_html(part)[0]) <= limit
    if len(parts) == 1:
        assert parts == split_message(doc, limit)
        return
    bare = []
    for k, part in enumerate(parts, 1):
        m = MARKER.search(part)
        assert m is not None
        assert (m.group(1), m.group(2)) == (str(k), str(len(parts))) if not arabic_digits else True
        if arabic_digits:
            assert m.group(1).isdigit() and not m.group(1).isascii()
        bare.append(part[: m.start()])
    check_parts(doc, bare, limit)


@settings(deadline=None)
@given(document)
def test_visible_text_matches_telegram(doc: str) -> None:
    assert visible_text(doc) == parse_html(doc)[0]


# -- examples -------------------------------------------------------------------------------------


@cache
def bbc_articles() -> list[tuple[str, list[str]]]:
    """(headline, paragraphs) of the BBC Arabic sample, longest first."""
    raw = (DATASETS / "antcorpus-multisource_BBC-Arabic_sample12.txt").read_text(encoding="utf-8")
    docs = re.findall(r"<TITLE>(.*?)</TITLE>.*?<TEXT>(.*?)</TEXT>", raw, re.S)
    articles = [(title.strip(), [p.strip() for p in body.splitlines() if p.strip()]) for title, body in docs]
    return sorted(articles, key=lambda a: -sum(map(len, a[1])))


def article_html(title: str, paragraphs: list[str]) -> str:
    body = "\n\n".join(html.escape(p) for p in paragraphs)
    return (
        f"<b>{html.escape(title)}</b>\n\n<blockquote expandable>{body}</blockquote>\n\n"
        '<a href="https://www.bbc.com/arabic">المصدر: بي بي سي</a>'
    )


def test_the_sample_has_long_articles() -> None:
    assert len(bbc_articles()) >= 10
    assert sum(map(len, bbc_articles()[0][1])) > 4096


@pytest.mark.parametrize("limit", [4096, 1000, 300, 64, 5])
@pytest.mark.parametrize("rank", [0, 1, 2, 5])
def test_bbc_articles_split_within_limit(rank: int, limit: int) -> None:
    title, paragraphs = bbc_articles()[rank]
    doc = article_html(title, paragraphs)
    parts = split_message(doc, limit)
    check_parts(doc, parts, limit)
    for part in parts:
        if "<b>" not in part and "<a " not in part:  # body alone: the quote reopened and closed
            assert part.startswith("<blockquote expandable>") and part.endswith("</blockquote>")


@pytest.mark.parametrize("limit", [4096, 700])
def test_bbc_articles_numbered(limit: int) -> None:
    title, paragraphs = bbc_articles()[0]
    doc = article_html(title, paragraphs)
    parts = split_numbered(doc, limit, arabic_digits=True)
    assert len(parts) > 1
    assert parts[0].endswith(f"\n(١/{str(len(parts)).translate(str.maketrans('0123456789', '٠١٢٣٤٥٦٧٨٩'))})")
    assert all(utf16_len(parse_html(p)[0]) <= limit for p in parts)


def test_cuts_at_paragraph_breaks_when_paragraphs_are_short() -> None:
    _title, paragraphs = bbc_articles()[0]
    limit = 2 * max(len(p) for p in paragraphs)
    doc = "\n\n".join(html.escape(p) for p in paragraphs)
    parts = split_message(doc, limit)
    assert len(parts) > 1
    rebuilt: list[str] = []
    for part in parts:
        rebuilt.extend(parse_html(part)[0].split("\n\n"))
    assert rebuilt == paragraphs


def test_cuts_after_sentences_inside_a_paragraph() -> None:
    sentence = "قالت الوزارة إن الوضع مستقر؟ وأضافت أن الفرق تعمل على الأرض. "
    doc = html.escape(sentence * 40)
    parts = split_message(doc, 200)
    for part in parts[:-1]:
        assert part.endswith(("؟", "."))
    check_parts(doc, parts, 200)


def test_cuts_after_a_comma_before_a_plain_space() -> None:
    doc = "، ".join(["كلمة أخرى هنا"] * 20)
    parts = split_message(doc, 60)
    assert all(part.endswith("،") for part in parts[:-1])


def test_open_tags_are_closed_and_reopened_with_their_attributes() -> None:
    href = "https://example.com/?q=1&amp;lang=ar"
    doc = f'<b>عنوان</b>\n\n<a href="{href}"><i>{"نص طويل جدا " * 30}</i></a>'
    parts = split_message(doc, 50)
    assert len(parts) > 3
    for part in parts[1:]:
        assert part.startswith(f'<a href="{href}"><i>')
        assert part.endswith("</i></a>")
    check_parts(doc, parts, 50)


def test_a_word_longer_than_the_limit_is_cut_hard() -> None:
    assert [utf16_len(p) for p in split_message("ب" * 10000)] == [4096, 4096, 1808]


def test_hard_cuts_never_split_a_surrogate_pair_or_an_entity() -> None:
    emoji = split_message("😀" * 3000, 4095)
    assert [len(p) for p in emoji] == [2047, 953]
    entities = split_message("&amp;&#128512;" * 100, 9)
    assert all(utf16_len(parse_html(p)[0]) == 9 for p in entities[:-1])
    check_parts("&amp;&#128512;" * 100, entities, 9)


def test_hard_cuts_keep_emoji_sequences_and_tashkeel_together() -> None:
    family = "👨\u200d👩\u200d👧"  # 8 UTF-16 units
    parts = split_message(family * 3, 10)
    assert parts == [family] * 3
    shadda = "مُحَمَّد" * 4
    for part in split_message(shadda, 5):
        assert part[0] not in "\u064e\u064f\u0651"


def test_text_that_fits_is_returned_unchanged() -> None:
    doc = "  <b>خبر</b> &amp; تفاصيل\n"
    assert split_message(doc, 4096) == [doc]
    assert split_numbered(doc) == [doc]


def test_number_parts() -> None:
    assert number_parts(["أ"]) == ["أ"]
    assert number_parts(["أ", "ب"]) == ["أ\n(1/2)", "ب\n(2/2)"]
    assert number_parts(["أ", "ب"], arabic_digits=True) == ["أ\n(١/٢)", "ب\n(٢/٢)"]


def test_split_numbered_reserves_room_for_two_digit_markers() -> None:
    doc = "خبر " * 500
    parts = split_numbered(doc, 30)
    assert len(parts) >= 10
    assert parts[-1].endswith(f"\n({len(parts)}/{len(parts)})")
    assert all(utf16_len(parse_html(p)[0]) <= 30 for p in parts)


def test_limit_too_small() -> None:
    with pytest.raises(ValueError, match="at least 2"):
        split_message("خبر طويل", 1)


_HTML_PIECES = st.sampled_from(
    ["<b>", "</b>", "<a href='x>y'>", "</a>", "</>", "&amp;", "&#1575;", "&#x1F600;", "&zz;", "<", "&"]
)


@given(st.lists(st.one_of(st.text(), _HTML_PIECES)))
def test_visible_text_is_what_the_splitter_sees(pieces: list[str]) -> None:
    html = "".join(pieces)
    assert visible_text(html) == "".join(_atomize(html).char)
