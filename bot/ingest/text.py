"""Turning source markup into plain text: tags dropped, entities decoded, whitespace tidied.

Markup is never trusted: the result is plain text and is escaped again when rendered.
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import replace
from html.parser import HTMLParser

from bot.models import ParsedItem
from bot.text.arabic import clean_text

_WS = re.compile(r"[ \t\r\f\v\u00a0]+")
_BLOCK_TAGS = frozenset(
    {"p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "tr", "section"}
)
_SKIP_TAGS = frozenset({"script", "style", "noscript", "template", "iframe"})


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_TAGS:
            self._skip += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS:
            self._skip = max(0, self._skip - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def clean_line(text: str) -> str:
    """One line of plain text: entities decoded, runs of spaces collapsed, ends stripped."""
    return _WS.sub(" ", html.unescape(text).replace("\n", " ")).strip()


def html_to_paragraphs(markup: str) -> list[str]:
    """Paragraphs of plain text from an HTML fragment (a feed description)."""
    if "<" not in markup:
        text = html.unescape(markup)
        return [p for p in (_WS.sub(" ", line).strip() for line in text.split("\n")) if p]
    collector = _TextCollector()
    collector.feed(markup)
    collector.close()
    text = "".join(collector.parts)
    return [p for p in (_WS.sub(" ", line).strip() for line in text.split("\n")) if p]


def html_to_text(markup: str) -> str:
    return " ".join(html_to_paragraphs(markup))


# What bot.text.arabic.clean_text drops or rewrites: control characters, bidi marks, embeddings,
# overrides (U+202A-202E) and isolates (U+2066-2069), zero-width characters (U+200B, U+2060-2064,
# U+FEFF) and odd line breaks. ZWNJ (U+200C) and ZWJ (U+200D) stay, as everywhere else: Persian
# and Urdu words in Arabic feeds need ZWNJ to be spelled right, ZWJ holds emoji sequences and
# cursive joins together, and neither can reorder text the way an override does.
_UNCLEAN = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200b\u200e\u200f\u202a-\u202e\u2028\u2029\u2060-\u2064\u2066-\u2069\ufeff]"
)


def clean_field(text: str) -> str:
    """One line of a source's text cleaned like every other text (bot.text.arabic.clean_text), on one
    line; text that is already clean is returned as it is (the common case, checked cheaply)."""
    if _UNCLEAN.search(text) is None and unicodedata.is_normalized("NFC", text):
        return text
    return clean_text(text).replace("\n", " ")


def clean_item(item: ParsedItem) -> None:
    """Clean every text field readers see, in place, whichever parser read the item: a feed's
    title with a right-to-left override or zero-width characters is stored without them."""
    item.headline = clean_field(item.headline)
    item.lead = clean_field(item.lead)
    if item.body:
        item.body = tuple(p for p in (clean_field(p) for p in item.body) if p)
    if item.source:
        item.source = clean_field(item.source) or None
    if item.author:
        item.author = clean_field(item.author) or None
    if item.outlet:
        item.outlet = clean_field(item.outlet) or None
    if item.related:
        item.related = tuple(
            replace(r, headline=clean_field(r.headline)) for r in item.related if clean_field(r.headline)
        )
