"""The project's own seed format (JSON): topics and items, each item validated on its own.

{"topics": [{"slug", "name", "kind", "pin", "aliases": [...], "keywords": [...], "excludes": [...]}, ...],
 "items": [{"guid", "url", "headline", "lead", "body": [...], "published_at", "source", "author",
            "outlet", "kind", "topics": [slugs], "related": [{"headline", "url"} | "headline"]}, ...]}
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from bot.ingest.result import ParseResult, Rejection, SourceError
from bot.ingest.topics import is_valid_slug
from bot.models import ArticleKind, ParsedItem, RelatedLink, TopicKind, TopicSpec


class _Invalid(ValueError):
    pass


def _opt_str(obj: dict[str, Any], key: str) -> str | None:
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise _Invalid(f"{key!r} must be a string")
    return value.strip() or None


def _str_list(obj: dict[str, Any], key: str) -> tuple[str, ...]:
    value = obj.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _Invalid(f"{key!r} must be a list of strings")
    return tuple(v.strip() for v in value if v.strip())


def _date(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise _Invalid(f"published_at {value!r} is not an ISO 8601 date") from None
    if parsed.tzinfo is None:
        raise _Invalid(f"published_at {value!r} has no time zone")
    return parsed.astimezone(UTC)


def _related(value: object) -> tuple[RelatedLink, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise _Invalid("'related' must be a list")
    links: list[RelatedLink] = []
    for entry in value:
        if isinstance(entry, str) and entry.strip():
            links.append(RelatedLink(entry.strip()))
        elif isinstance(entry, dict) and isinstance(entry.get("headline"), str) and entry["headline"].strip():
            url = entry.get("url")
            links.append(RelatedLink(entry["headline"].strip(), url if isinstance(url, str) and url else None))
        else:
            raise _Invalid("each related entry needs a headline")
    return tuple(links)


def _topic(raw: object) -> TopicSpec:
    if not isinstance(raw, dict):
        raise _Invalid("a topic must be an object")
    slug, name = _opt_str(raw, "slug"), _opt_str(raw, "name")
    if not slug or not is_valid_slug(slug):
        raise _Invalid(f"slug {slug!r} must be 1-40 characters of a-z, 0-9 and '-'")
    if not name:
        raise _Invalid("no name")
    try:
        kind = TopicKind(raw.get("kind", TopicKind.SECTION))
    except ValueError:
        raise _Invalid(f"unknown kind {raw.get('kind')!r}") from None
    pin = raw.get("pin")
    if pin is not None and (not isinstance(pin, int) or isinstance(pin, bool) or not 1 <= pin <= 1000):
        raise _Invalid(f"pin {pin!r} must be a whole number from 1 to 1000")
    return TopicSpec(
        slug, name, kind, _str_list(raw, "keywords"), _str_list(raw, "aliases"), _str_list(raw, "excludes"), pin
    )


def _item(raw: object, known_slugs: set[str], now: datetime) -> ParsedItem:
    if not isinstance(raw, dict):
        raise _Invalid("an item must be an object")
    headline = _opt_str(raw, "headline")
    if not headline:
        raise _Invalid("no headline")
    url = _opt_str(raw, "url")
    guid = _opt_str(raw, "guid") or url
    if not guid:
        raise _Invalid("no guid and no url")
    if url is not None and not url.startswith(("http://", "https://")):
        raise _Invalid(f"url {url!r} is not http(s)")
    published = _date(_opt_str(raw, "published_at"))
    if published is not None and published > now:
        raise _Invalid(f"date in the future ({published.isoformat()})")
    try:
        kind = ArticleKind(raw.get("kind") or ArticleKind.ARTICLE)
    except ValueError:
        raise _Invalid(f"unknown kind {raw.get('kind')!r}") from None
    topics = _str_list(raw, "topics")
    unknown = [t for t in topics if t not in known_slugs]
    if unknown:
        raise _Invalid(f"unknown topic slug(s) {', '.join(unknown)}")
    return ParsedItem(
        guid=guid,
        headline=headline,
        url=url,
        lead=_opt_str(raw, "lead") or "",
        body=_str_list(raw, "body"),
        published_at=published,
        source=_opt_str(raw, "source"),
        author=_opt_str(raw, "author"),
        outlet=_opt_str(raw, "outlet"),
        image_url=_opt_str(raw, "image_url"),
        kind=kind,
        categories=_str_list(raw, "categories"),
        topic_slugs=topics,
        related=_related(raw.get("related")),
    )


def parse_seed_json(
    data: bytes | str, *, origin: str = "seed file", known_slugs: frozenset[str] = frozenset()
) -> ParseResult:
    """Topics and items of a seed file; a bad item is rejected with its reason, the rest kept.

    `known_slugs`: topics that exist already (in the store), so items may name them.
    """
    try:
        doc = json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise SourceError(f"not valid JSON: {exc}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("items", []), list):
        raise SourceError("a seed file is an object with 'topics' and 'items' lists")
    result = ParseResult(parser="seedfile")
    now = datetime.now(tz=UTC)
    for position, raw in enumerate(doc.get("topics") or [], start=1):
        try:
            result.topics.append(_topic(raw))
        except _Invalid as exc:
            result.rejections.append(Rejection(f"topic {position}", str(exc)))
    slugs = set(known_slugs) | {t.slug for t in result.topics}
    for position, raw in enumerate(doc.get("items") or [], start=1):
        try:
            result.items.append(_item(raw, slugs, now))
        except _Invalid as exc:
            ident = (raw.get("guid") or raw.get("url")) if isinstance(raw, dict) else None
            result.rejections.append(Rejection(str(ident or f"item {position}"), str(exc)))
    return result


def item_to_json(item: ParsedItem) -> dict[str, Any]:
    """The seed-file form of an item (used by the seed builder)."""
    out: dict[str, Any] = {"guid": item.guid, "url": item.url, "headline": item.headline, "lead": item.lead}
    if item.body:
        out["body"] = list(item.body)
    if item.published_at is not None:
        out["published_at"] = item.published_at.isoformat()
    for key in ("source", "author", "outlet", "image_url"):
        value = getattr(item, key)
        if value:
            out[key] = value
    out["kind"] = str(item.kind)
    if item.categories:
        out["categories"] = list(item.categories)
    out["topics"] = list(item.topic_slugs)
    if item.related:
        out["related"] = [{"headline": r.headline, "url": r.url} if r.url else r.headline for r in item.related]
    return out


def topic_to_json(spec: TopicSpec) -> dict[str, Any]:
    out: dict[str, Any] = {"slug": spec.slug, "name": spec.name, "kind": str(spec.kind)}
    if spec.pin is not None:
        out["pin"] = spec.pin
    out["aliases"] = list(spec.aliases)
    out["keywords"] = list(spec.keywords)
    if spec.excludes:
        out["excludes"] = list(spec.excludes)
    return out
