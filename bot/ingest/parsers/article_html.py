"""Article pages (HTML): main text and metadata extracted with trafilatura."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import trafilatura

from bot.ingest.result import ParseResult, Rejection
from bot.models import ParsedItem

PARSER = "trafilatura"
MIN_TEXT_CHARS = 200  # less main text than this is a navigation or index page, not an article
_BAD_AUTHOR = re.compile(r"https?|logo|\.png|\.jpg|;", re.IGNORECASE)
_SPACES = re.compile(r"\s+")


def _clean_title(title: str, sitename: str | None) -> str:
    title = _SPACES.sub(" ", title).strip()
    if sitename:
        for sep in (" - ", " | ", " – "):
            suffix = f"{sep}{sitename.strip()}"
            if title.endswith(suffix):
                return title[: -len(suffix)].strip()
    return title


def _date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def parse_article_html(data: bytes | str, *, origin: str = "page", url: str | None = None) -> ParseResult:
    """The article on a page, or a rejection naming why there is none."""
    result = ParseResult(parser=PARSER)
    doc = trafilatura.bare_extraction(
        data, url=url, with_metadata=True, include_comments=False, include_tables=False, favor_precision=True
    )
    text = getattr(doc, "text", None) or ""
    if doc is None or len(text.strip()) < MIN_TEXT_CHARS:
        result.rejections.append(
            Rejection(origin, f"no article found on the page (main text {len(text.strip())} chars)")
        )
        return result
    sitename = getattr(doc, "sitename", None) or None
    title = _clean_title(getattr(doc, "title", None) or "", sitename)
    if not title:
        result.rejections.append(Rejection(origin, "no title on the page"))
        return result
    paragraphs = [p for p in (_SPACES.sub(" ", line).strip() for line in text.split("\n")) if p]
    page_url = getattr(doc, "url", None) or url
    author = getattr(doc, "author", None) or None
    if author and _BAD_AUTHOR.search(author):
        author = None  # a logo or link name that the page marked as the author
    result.items.append(
        ParsedItem(
            guid=page_url or f"page:{title}",
            headline=title,
            url=page_url,
            lead=paragraphs[0],
            body=tuple(paragraphs[1:]),
            published_at=_date(getattr(doc, "date", None)),
            author=author,
            outlet=sitename,
            image_url=getattr(doc, "image", None) or None,
            categories=tuple(c for c in (getattr(doc, "categories", None) or []) if c),
        )
    )
    return result
