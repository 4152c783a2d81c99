"""What a source is, from its content (never its name)."""

from __future__ import annotations

import re
from enum import StrEnum

from bot.ingest.parsers.antcorpus import looks_like_ant
from bot.ingest.parsers.seedpage import looks_like_seed_page
from bot.ingest.result import SourceError


class SourceType(StrEnum):
    FEED = "feed"  # RSS 2.0 / Atom
    HTML = "html"  # an article page
    SEED_JSON = "seed-json"
    SEED_PAGE = "seed-page"  # the site's page in plain-text form
    ANT = "ant-corpus"


_XML_DECL = re.compile(rb"^\s*<\?xml[^>]*\?>", re.IGNORECASE)
# A DOCTYPE may carry an internal subset in [...] whose declarations contain ">" themselves
# (`<!DOCTYPE rss [ <!ENTITY site "RT"> ]>`): the subset is skipped whole. Entities it declares are
# never expanded here; the feed parsers keep them safe (bot.ingest.parsers.feeds).
_DOCTYPE = rb"<!DOCTYPE[^>\[]*(?:\[.*?\]\s*)?>"
_COMMENTS_DOCTYPE = re.compile(rb"^\s*(?:<!--.*?-->\s*|" + _DOCTYPE + rb"\s*|<\?xml-stylesheet[^>]*\?>\s*)*", re.DOTALL)
_FEED_ROOT = re.compile(rb"^<(?:[a-zA-Z0-9_]+:)?(?:rss|feed|RDF)[\s>]")
_HTML_START = re.compile(rb"^<(?:!doctype\s+html|html|head|body)[\s>]", re.IGNORECASE)


def decode_text(data: bytes) -> str:
    """UTF-8 (with or without BOM) text, or SourceError for binary content."""
    if b"\x00" in data[:8192]:
        raise SourceError("binary content (NUL bytes), not a news source")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SourceError(f"not UTF-8 text (undecodable byte at offset {exc.start})") from None


def detect(data: bytes) -> SourceType:
    """The type of a source from its first bytes; SourceError when empty, binary or unknown."""
    if not data.strip():
        raise SourceError("empty source")
    if b"\x00" in data[:8192]:
        raise SourceError("binary content (NUL bytes), not a news source")
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head[:1] in (b"{", b"["):
        return SourceType.SEED_JSON
    if head[:1] == b"<":
        # a DOCTYPE's internal subset may run past the first 4 KB
        body = _XML_DECL.sub(b"", data[:65536].lstrip(b"\xef\xbb\xbf \t\r\n"), count=1)
        body = _COMMENTS_DOCTYPE.sub(b"", body, count=1) if not _HTML_START.match(body.lstrip()) else body
        body = body.lstrip()
        if _FEED_ROOT.match(body):
            return SourceType.FEED
        if _HTML_START.match(body) or re.search(rb"<(?:html|body)[\s>]", head, re.IGNORECASE):
            return SourceType.HTML
        if body.startswith(b"<DOC>"):
            return SourceType.ANT
    text = decode_text(data)
    if looks_like_ant(text):
        return SourceType.ANT
    if looks_like_seed_page(text):
        return SourceType.SEED_PAGE
    raise SourceError("unknown content: not RSS/Atom, an HTML page, a seed file or a seed page")
