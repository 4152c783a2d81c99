"""The site's page in plain-text form (seed/000_*.txt): story strip, one article, related headlines.

Layout read from the page: navigation lines, a story count («49 خبر»), bullet lines «• name» for the
story strip, then the article: headline, paragraphs (the first is the lead), «المصدر: …», the
author, «التعليقات», and the related headlines.
"""

from __future__ import annotations

import hashlib
import re

from bot.ingest.result import ParseResult, Rejection
from bot.ingest.topics import slug_for
from bot.models import ParsedItem, RelatedLink, TopicKind, TopicSpec

_BULLET = re.compile(r"^\s*[•·▪●*-]\s+(?P<name>\S.*?)\s*$")
_COUNT = re.compile(r"^\s*(?P<n>[0-9٠-٩]+)\s+(?:خبر|خبرا|خبرًا|أخبار)\s*$")
_SOURCE = re.compile(r"^\s*المصدر\s*[:：]\s*(?P<source>\S.*?)\s*$")
_COMMENTS = "التعليقات"


def looks_like_seed_page(text: str) -> bool:
    """True for the page's plain-text form: a source line and either a story strip or comments."""
    lines = text.splitlines()
    has_source = any(_SOURCE.match(line) for line in lines)
    has_strip = any(_BULLET.match(line) for line in lines) or any(line.strip() == _COMMENTS for line in lines)
    return has_source and has_strip


def seed_page_guid(headline: str) -> str:
    digest = hashlib.sha1(" ".join(headline.split()).encode(), usedforsecurity=False).hexdigest()
    return f"seedpage:{digest}"


def parse_seed_page(text: str, *, origin: str = "seed page") -> ParseResult:
    result = ParseResult(parser="seedpage")
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").split("\n")]

    names: list[str] = []
    last_strip_line = -1
    for index, line in enumerate(lines):
        bullet = _BULLET.match(line)
        if bullet:
            names.append(" ".join(bullet["name"].split()))
            last_strip_line = index
        elif line[:1].isspace() and line.strip() and names:
            last_strip_line = index  # the indented repeat of a bullet's name
    seen: set[str] = set()
    for name in names:
        if name in seen:
            continue
        seen.add(name)
        # A strip name the store knows (by name or alias) is that topic: ingestion resolves it.
        result.topics.append(TopicSpec(slug_for(name), name, TopicKind.STORY))

    source_index = next((i for i, line in enumerate(lines) if _SOURCE.match(line)), None)
    if source_index is None:
        result.rejections.append(Rejection(origin, "no article: the page has no «المصدر:» line"))
        return result
    body_lines = [
        line.strip() for line in lines[last_strip_line + 1 : source_index] if line.strip() and not _COUNT.match(line)
    ]
    if not body_lines:
        result.rejections.append(Rejection(origin, "no article: no headline before «المصدر:»"))
        return result
    headline, paragraphs = body_lines[0], body_lines[1:]
    source_match = _SOURCE.match(lines[source_index])
    source = source_match["source"] if source_match else None

    tail = [line.strip() for line in lines[source_index + 1 :] if line.strip()]
    author: str | None = None
    if tail and tail[0] != _COMMENTS:
        author = tail.pop(0)
    if tail and tail[0] == _COMMENTS:
        tail.pop(0)
    related = tuple(RelatedLink(headline=line) for line in tail)

    result.items.append(
        ParsedItem(
            guid=seed_page_guid(headline),
            headline=headline,
            lead=paragraphs[0] if paragraphs else "",
            body=tuple(paragraphs[1:]),
            source=source,
            author=author,
            related=related,
        )
    )
    return result


def story_count(text: str) -> int | None:
    """The count shown on the story strip («49 خبر»), if the page has one."""
    for line in text.splitlines():
        match = _COUNT.match(line)
        if match:
            return int(match["n"].translate(str.maketrans("٠١٢٣٤٥٦٧٨٩", "0123456789")))
    return None


__all__ = ["TopicSpec", "looks_like_seed_page", "parse_seed_page", "seed_page_guid", "story_count"]
