"""Telegram's HTML parse mode: plain text, UTF-16 entity offsets and every refusal."""

import html

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.devtools.emulator.telegram_html import EntityParseError, parse_html, utf16_len


def test_utf16_len_counts_surrogate_pairs() -> None:
    assert utf16_len("") == 0
    assert utf16_len("خبر") == 3
    assert utf16_len("😀") == 2
    assert utf16_len("a😀b🇪🇬") == 2 + 2 + 4


def test_arabic_bold_and_italic() -> None:
    text, entities = parse_html("<b>عاجل</b>: <i>خطة ترامب</i>")
    assert text == "عاجل: خطة ترامب"
    assert entities == [
        {"type": "bold", "offset": 0, "length": 4},
        {"type": "italic", "offset": 6, "length": 9},
    ]


def test_offsets_count_emoji_as_two_units() -> None:
    text, entities = parse_html("📰 <b>آخر الأخبار</b> 😀<u>x</u>")
    assert text == "📰 آخر الأخبار 😀x"
    assert entities == [
        {"type": "bold", "offset": 3, "length": 11},
        {"type": "underline", "offset": 17, "length": 1},
    ]


def test_nested_tags_outer_first() -> None:
    text, entities = parse_html("<b>a<i>b<u>c</u></i></b>")
    assert text == "abc"
    assert entities == [
        {"type": "bold", "offset": 0, "length": 3},
        {"type": "italic", "offset": 1, "length": 2},
        {"type": "underline", "offset": 2, "length": 1},
    ]


@pytest.mark.parametrize(
    ("tag", "kind"),
    [
        ("b", "bold"),
        ("strong", "bold"),
        ("i", "italic"),
        ("em", "italic"),
        ("u", "underline"),
        ("ins", "underline"),
        ("s", "strikethrough"),
        ("strike", "strikethrough"),
        ("del", "strikethrough"),
        ("tg-spoiler", "spoiler"),
        ("code", "code"),
        ("pre", "pre"),
        ("blockquote", "blockquote"),
        ("B", "bold"),
    ],
)
def test_each_simple_tag(tag: str, kind: str) -> None:
    assert parse_html(f"x<{tag}>خبر</{tag}>") == ("xخبر", [{"type": kind, "offset": 1, "length": 3}])


def test_span_spoiler_expandable_blockquote_and_emoji() -> None:
    text, entities = parse_html(
        '<span class="tg-spoiler">s</span><blockquote expandable>q</blockquote>'
        '<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>'
    )
    assert text == "sq👍"
    assert entities == [
        {"type": "spoiler", "offset": 0, "length": 1},
        {"type": "expandable_blockquote", "offset": 1, "length": 1},
        {"type": "custom_emoji", "offset": 2, "length": 2, "custom_emoji_id": "5368324170671202286"},
    ]


def test_link_with_escaped_href_and_scheme_less_link() -> None:
    text, entities = parse_html('<a href="https://example.com/?a=1&amp;b=2">الخبر</a> <a href=example.com>x</a>')
    assert text == "الخبر x"
    assert entities == [
        {"type": "text_link", "offset": 0, "length": 5, "url": "https://example.com/?a=1&b=2"},
        {"type": "text_link", "offset": 6, "length": 1, "url": "http://example.com"},
    ]


def test_user_mention_link() -> None:
    _, entities = parse_html('<a href="tg://user?id=42">سامي</a>')
    assert entities[0]["type"] == "text_mention"
    assert entities[0]["user"]["id"] == 42


def test_pre_with_language_code_is_one_entity() -> None:
    text, entities = parse_html('<pre><code class="language-python">print(1)</code></pre>')
    assert text == "print(1)"
    assert entities == [{"type": "pre", "offset": 0, "length": 8, "language": "python"}]


def test_entities_inside_code_are_dropped() -> None:
    text, entities = parse_html("<code>a<b>b</b></code>")
    assert text == "ab"
    assert entities == [{"type": "code", "offset": 0, "length": 2}]


def test_empty_entities_dropped_and_short_end_tag() -> None:
    assert parse_html("<b></b>x<i>y</>") == ("xy", [{"type": "italic", "offset": 1, "length": 1}])


def test_named_and_numeric_entities_decode() -> None:
    text, entities = parse_html("&lt;&gt;&amp;&quot;&#1582;&#x1F600;<b>&#x62E;</b>")
    assert text == '<>&"خ😀خ'
    assert entities == [{"type": "bold", "offset": 7, "length": 1}]


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        ("abc <foo>x</foo>", 'Unsupported start tag "foo" at byte offset 4'),
        ("خبر <foo>", 'Unsupported start tag "foo" at byte offset 7'),
        ("<b>x", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b><i>x</b></i>", 'Unmatched end tag at byte offset 7, expected "</i>", found "</b>"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("a < b", 'Unsupported start tag "" at byte offset 2'),
        ("a <b", "Unclosed start tag at byte offset 2"),
        ("<b>x</b", "Unclosed end tag at byte offset 4"),
        ("a > b", 'Unescaped ">" at byte offset 2'),
        ("&nbsp;", 'Unsupported HTML entity "&nbsp;" at byte offset 0'),
        ("Q&A", 'Unescaped "&" at byte offset 1'),
        ("&#xZZ;", 'Unsupported HTML entity "&#xZZ;" at byte offset 0'),
        ("<span>x</span>", 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
        ('<a href="x>y</a>', "Unclosed start tag at byte offset 0"),
        (
            "<a href>y</a>",
            'Expected equal sign in declaration of an attribute of the tag "a" at byte offset 0',
        ),
        ("<a href=x/y>y</a>", "Unexpected end of name token at byte offset 8"),
        ("<tg-emoji>👍</tg-emoji>", "Invalid custom emoji identifier specified"),
    ],
)
def test_refusals(source: str, reason: str) -> None:
    with pytest.raises(EntityParseError) as caught:
        parse_html(source)
    assert caught.value.reason == reason
    assert str(caught.value) == f"Bad Request: can't parse entities: {reason}"
    assert isinstance(caught.value, ValueError)


@given(st.text())
def test_escaped_text_always_parses_back(text: str) -> None:
    plain, entities = parse_html(html.escape(text, quote=True).replace("&#x27;", "'"))
    assert plain == text
    assert entities == []


@given(st.text(), st.sampled_from(["b", "i", "u", "s", "code", "tg-spoiler"]))
def test_wrapped_text_offsets_are_utf16(text: str, tag: str) -> None:
    plain, entities = parse_html(f"😀<{tag}>{html.escape(text)}</{tag}>")
    assert plain == "😀" + text
    if text:
        assert entities[0]["offset"] == 2
        assert entities[0]["length"] == utf16_len(text)
    else:
        assert entities == []
