"""Turning source markup into plain text: tags dropped, entities decoded, whitespace tidied.

Markup is never trusted: the result is plain text and is escaped again when rendered.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

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
