"""Row ↔ model conversion shared by the repositories, engine-neutral.

A row is anything that answers `row["column"]` (sqlite3.Row; asyncpg's Record alike), so an engine
whose tables use the same column names reuses these converters.
"""

from __future__ import annotations

import dataclasses
import functools
import json
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, Protocol
from urllib.parse import urlsplit

from bot.models import (
    Article,
    ArticleKind,
    ArticleSummary,
    ChatCount,
    ChatKind,
    Feed,
    NewsChat,
    PushMode,
    Reader,
    ReaderSettings,
    ReaderStatus,
    RelatedLink,
    Topic,
    TopicKind,
    TopicStatus,
)


class Row(Protocol):
    """A result row read by column name."""

    def __getitem__(self, key: str, /) -> Any: ...


def ts(dt: datetime | None) -> int | None:
    return None if dt is None else int(dt.timestamp())


def dt(value: int | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value, UTC)


def dt_required(value: int) -> datetime:
    return datetime.fromtimestamp(value, UTC)


def lines(text: str | None) -> tuple[str, ...]:
    """A newline-separated list column (keywords, aliases, excludes, labels)."""
    return tuple(k for k in (text or "").split("\n") if k)


def topic(row: Row, article_count: int = 0) -> Topic:
    return _topic(
        row["id"],
        row["slug"],
        row["name"],
        row["kind"],
        row["keywords"],
        row["aliases"],
        row["excludes"],
        row["pin"],
        row["state"],
        row["merged_into"],
        article_count,
    )


# The same few topic rows are read on every /topics page and subscribe tap; building each Topic
# (its enums, its keyword lists) was 7 % of a subscribe tap's CPU samples. Topics are frozen: one
# object serves every row with the same values.
@functools.lru_cache(maxsize=4096)
def _topic(
    topic_id: int,
    slug: str,
    name: str,
    kind: str,
    keywords: str | None,
    aliases: str | None,
    excludes: str | None,
    pin: int | None,
    state: str,
    merged_into: int | None,
    article_count: int,
) -> Topic:
    return Topic(
        id=topic_id,
        slug=slug,
        name=name,
        kind=TopicKind(kind),
        keywords=lines(keywords),
        article_count=article_count,
        aliases=lines(aliases),
        excludes=lines(excludes),
        pin=pin,
        state=TopicStatus(state),
        merged_into=merged_into,
    )


def related_json(related: tuple[RelatedLink, ...]) -> str:
    return json.dumps([{"headline": r.headline, "url": r.url} for r in related], ensure_ascii=False)


def related_from_json(text: str) -> tuple[RelatedLink, ...]:
    return tuple(RelatedLink(headline=r["headline"], url=r.get("url")) for r in json.loads(text or "[]"))


def body_text(paragraphs: tuple[str, ...]) -> str:
    return "\n\n".join(p for p in paragraphs if p)


def body_paragraphs(text: str) -> tuple[str, ...]:
    return tuple(p for p in text.split("\n\n") if p)


def article(row: Row, topics: tuple[Topic, ...]) -> Article:
    return Article(
        id=row["id"],
        guid=row["guid"],
        url=row["url"],
        headline=row["headline"],
        lead=row["lead"],
        body=body_paragraphs(row["body"]),
        published_at=dt(row["published_at"]),
        stored_at=dt_required(row["stored_at"]),
        updated_at=dt_required(row["updated_at"]),
        source=row["source"],
        author=row["author"],
        outlet=row["outlet"],
        image_url=row["image_url"],
        kind=ArticleKind(row["kind"]),
        topics=topics,
        related=related_from_json(row["related"]),
        origin=row["origin"],
        date_only=bool(row["date_only"]),
        modified_at=dt(row["modified_at"]),
        fulltext=row["fulltext_state"],
    )


def outlet_label(outlet: str | None, url: str | None) -> str | None:
    """The name of the outlet that carried an item: as its source names itself, else its site."""
    if outlet and outlet.strip():
        return outlet.strip()
    host = (urlsplit(url).hostname or "") if url else ""
    return host.removeprefix("www.") or None


def with_story(found: Article, duplicate_of: int | None, others: Iterable[Row]) -> Article:
    """The article with its story: the story's first item, and the outlets of the story's other
    items (rows with `outlet` and `url`, in story order), each once, the article's own left out."""
    own = outlet_label(found.outlet, found.url)
    names: list[str] = []
    for other in others:
        name = outlet_label(other["outlet"], other["url"])
        if name is not None and name != own and name not in names:
            names.append(name)
    return dataclasses.replace(found, duplicate_of=duplicate_of, also_in=tuple(names))


def summary(row: Row) -> ArticleSummary:
    return ArticleSummary(
        id=row["id"],
        headline=row["headline"],
        lead=row["lead"],
        url=row["url"],
        published_at=dt(row["published_at"]),
        stored_at=dt_required(row["stored_at"]),
        kind=ArticleKind(row["kind"]),
        topic_name=row["topic_name"],
        topic_slug=row["topic_slug"],
    )


def reader(row: Row) -> Reader:
    hours = tuple(int(h) for h in row["digest_hours"].split(",") if h.strip())
    return Reader(
        id=row["id"],
        first_name=row["first_name"],
        username=row["username"],
        status=ReaderStatus(row["status"]),
        settings=ReaderSettings(
            push_mode=PushMode(row["push_mode"]),
            digest_hours=hours,
            quiet_start=row["quiet_start"],
            quiet_end=row["quiet_end"],
            arabic_digits=bool(row["arabic_digits"]),
            link_previews=bool(row["link_previews"]),
            timezone=row["timezone"],
        ),
        created_at=dt_required(row["created_at"]),
        last_digest_at=dt(row["last_digest_at"]),
    )


def feed(row: Row) -> Feed:
    return Feed(
        id=row["id"],
        url=row["url"],
        topic_slug=row["topic_slug"],
        etag=row["etag"],
        last_modified=row["last_modified"],
        last_polled_at=dt(row["last_polled_at"]),
        last_error=row["last_error"],
        every=row["every"],
        items_added=row["items_added"],
    )


# The columns a chat is read with (`c` the chats row, `r` its reader row, `topics` its slugs
# joined by commas), the same in both engines.
CHAT_COLUMNS = (
    "c.id, c.kind, c.title, c.username, r.status, c.linked_by, c.members, c.paused, c.migrated_to, "
    "(SELECT {agg} FROM subscriptions s JOIN topics t ON t.id = s.topic_id WHERE s.reader_id = c.id) AS topics"
)


def news_chat(row: Row) -> NewsChat:
    slugs = tuple(sorted(s for s in (row["topics"] or "").split(",") if s))
    return NewsChat(
        id=int(row["id"]),
        kind=ChatKind(row["kind"]),
        title=row["title"],
        username=row["username"],
        status=ReaderStatus(row["status"]),
        linked_by=row["linked_by"],
        members=row["members"],
        paused=row["paused"],
        migrated_to=row["migrated_to"],
        topics=slugs,
    )


def chat_counts(found: list[Any]) -> list[ChatCount]:
    """(kind, status, chats, members) rows → one count per kind of group or channel, channels first."""
    counts: dict[ChatKind, ChatCount] = {
        k: ChatCount(k) for k in (ChatKind.CHANNEL, ChatKind.SUPERGROUP, ChatKind.GROUP)
    }
    for kind, status, n, members in found:
        had = counts[ChatKind(kind)]
        if status == ReaderStatus.ACTIVE.value:
            counts[had.kind] = ChatCount(had.kind, had.active + int(n), had.paused, had.members + int(members or 0))
        elif status == ReaderStatus.BLOCKED.value:
            counts[had.kind] = ChatCount(had.kind, had.active, had.paused + int(n), had.members)
    return list(counts.values())
