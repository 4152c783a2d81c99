"""ANT corpus samples: concatenated TREC/CLEF-style <DOC> records (no single root element).

Fields: DOCNO, URL, SRC, CAT, TITLE, TIME (RFC 822 or ISO 8601), AUTHOR (optional), ABSTRACT, TEXT.
The records hold raw text (unescaped «&» and quotes), so they are split with a regex, not XML.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import quote

from bot.ingest.result import ParseResult, Rejection
from bot.models import ParsedItem

_DOC = re.compile(r"<DOC>(.*?)</DOC>", re.DOTALL)
_FIELD = re.compile(r"<(?P<tag>[A-Z]+)>(?P<value>.*?)</(?P=tag)>", re.DOTALL)
_SPACES = re.compile(r"[ \t\u00a0]+")

OUTLETS = {"bbc": "BBC Arabic", "alarabia": "Al Arabiya", "jawhara fm": "Jawhara FM"}


def looks_like_ant(text: str) -> bool:
    head = text.lstrip()[:2000]
    return head.startswith("<DOC>") and "<DOCNO>" in head


def _date(value: str) -> datetime | None:
    value = value.strip()
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        try:
            parsed = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _paragraphs(text: str) -> list[str]:
    return [p for p in (_SPACES.sub(" ", line).strip() for line in text.splitlines()) if p]


def _safe_url(url: str) -> str:
    """Raw Arabic in URLs (Jawhara FM) percent-encoded, trailing spaces dropped."""
    return quote(url.strip(), safe=":/?#[]@!$&'()*+,;=%-._~")


def parse_ant(text: str, *, origin: str = "ANT corpus") -> ParseResult:
    result = ParseResult(parser="antcorpus")
    for position, match in enumerate(_DOC.finditer(text), start=1):
        fields = {m["tag"]: m["value"] for m in _FIELD.finditer(match.group(1))}
        ident = (fields.get("DOCNO") or "").strip() or f"doc {position}"
        title = _SPACES.sub(" ", fields.get("TITLE", "")).strip()
        if not title:
            result.rejections.append(Rejection(ident, "no title"))
            continue
        url = _safe_url(fields["URL"]) if fields.get("URL", "").strip() else None
        abstract = _paragraphs(fields.get("ABSTRACT", ""))
        body = _paragraphs(fields.get("TEXT", ""))
        lead = " ".join(abstract) if abstract else (body[0] if body else "")
        published = _date(fields.get("TIME", ""))
        if published is None and fields.get("TIME", "").strip():
            result.warnings.append(Rejection(ident, f"unparseable date {fields['TIME'].strip()!r}"))
        src = fields.get("SRC", "").strip()
        category = fields.get("CAT", "").strip()
        result.items.append(
            ParsedItem(
                guid=url or f"ant:{ident}",
                headline=title,
                url=url,
                lead=lead,
                body=tuple(body),
                published_at=published,
                author=(fields.get("AUTHOR") or "").strip() or None,
                outlet=OUTLETS.get(src.lower(), src or None),
                categories=(category,) if category else (),
            )
        )
    return result
