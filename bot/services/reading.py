"""What readers do in Telegram, as plain data: pages of headlines, topics with their state, articles,
search, inline results and settings changes. Handlers turn these into one template each.

Nothing here knows about Telegram objects; the reader is identified by id.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import IntEnum
from typing import Protocol

from bot.models import (
    READER_ZONES,
    Article,
    ArticleKind,
    ArticleSummary,
    PushMode,
    Reader,
    ReaderSettings,
    ReaderStatus,
    Topic,
    WordKind,
    offered_zone,
)
from bot.store.cache import clamp_page, page_count
from bot.store.protocols import NewsStore
from bot.text.arabic import clean_text

PAGE_SIZE = 10  # headlines a page
TOPICS_PAGE_SIZE = 8  # topics a page of /topics (two buttons each: well under 100 buttons)
INLINE_PAGE_SIZE = 20  # inline results per answer (Telegram allows 50)
MAX_QUERY_CHARS = 256  # a search query longer than this is refused with a clear answer
INLINE_QUERY_CHARS = 256  # Telegram's own cap on inline queries; longer ones are cut
DIGEST_HOURS = (6, 8, 12, 16, 20, 22)  # hours offered as buttons
QUIET_PRESETS: tuple[tuple[int, int] | None, ...] = (None, (22, 7), (23, 6), (0, 8))
_WORD = re.compile(r"\w", re.UNICODE)
_ARTICLE_REF = re.compile(r"#?(\d{1,12})")


class Setting(IntEnum):
    """Settings a button can change; the value's meaning depends on the field."""

    PUSH_MODE = 0  # 0 instant, 1 digest
    DIGEST_HOUR = 1  # the hour to add or remove
    QUIET = 2  # index into QUIET_PRESETS
    DIGITS = 3  # 0 western, 1 Arabic-Indic
    PREVIEWS = 4  # 0 off, 1 on
    ZONE = 5  # index into bot.models.READER_ZONES
    ZONES = 6  # 1 shows the cities to choose a time zone from, 0 the settings again (nothing changes)


# What a settings button may answer besides a change: the last digest hour cannot be removed.
LAST_DIGEST_HOUR = "last_hour"


class Paging:
    """Paging buttons for a result with ``page`` (from 0) out of ``pages``."""

    __slots__ = ()
    page: int
    pages: int

    @property
    def has_prev(self) -> bool:
        return self.page > 0

    @property
    def has_next(self) -> bool:
        return self.page + 1 < self.pages


@dataclass(frozen=True, slots=True)
class Page(Paging):
    """One page of headlines. ``page`` counts from 0; ``pages`` is at least 1."""

    items: list[ArticleSummary]
    page: int
    pages: int
    total: int
    size: int = PAGE_SIZE

    @property
    def start(self) -> int:
        """The number shown beside the first headline (1-based)."""
        return self.page * self.size + 1


@dataclass(frozen=True, slots=True)
class TopicState:
    topic: Topic
    subscribed: bool


@dataclass(frozen=True, slots=True)
class TopicsPage(Paging):
    topics: list[TopicState]
    page: int
    pages: int
    total: int


@dataclass(frozen=True, slots=True)
class Toggled:
    """A subscription tapped on the topics list: the state after, the topic (None if it went
    meanwhile) and the list's page as it now stands."""

    subscribed: bool
    topic: Topic | None
    view: TopicsPage


@dataclass(frozen=True, slots=True)
class TopicPage:
    topic: Topic
    subscribed: bool
    headlines: Page


@dataclass(frozen=True, slots=True)
class SearchOutcome:
    """``status``: ok (headlines found or not), empty (no query), too_long, no_words (nothing searchable)."""

    query: str
    status: str
    page: Page | None = None


@dataclass(frozen=True, slots=True)
class InlineBatch:
    items: list[ArticleSummary]
    next_offset: str


def _topics_page(everything: list[tuple[Topic, bool]], page: int) -> TopicsPage:
    pages = page_count(len(everything), TOPICS_PAGE_SIZE)
    page = clamp_page(page, pages)
    chunk = everything[page * TOPICS_PAGE_SIZE : (page + 1) * TOPICS_PAGE_SIZE]
    return TopicsPage([TopicState(t, mine) for t, mine in chunk], page, pages, len(everything))


def parse_article_id(raw: str | None) -> int | None:
    """An article id from a reader's text («123», «#123», «١٢٣»), or None."""
    if raw is None:
        return None
    text = raw.strip().translate({0x0660 + d: str(d) for d in range(10)})
    match = _ARTICLE_REF.fullmatch(text)
    return int(match.group(1)) if match else None


class PageReader(Protocol):
    """Reads an item's page for its full text (bot.runtime.fulltext.FullText)."""

    async def read_now(self, article_id: int) -> bool: ...


class Reading:
    """The reader-facing service over the store.

    `pages` gives the process's page reader (None while NEWSBOT_FULLTEXT is off or not started).
    """

    def __init__(self, store: NewsStore, pages: Callable[[], PageReader | None] = lambda: None) -> None:
        self.store = store
        self._pages = pages

    # -- headlines -------------------------------------------------------------------------------

    async def latest(self, page: int = 0, *, topic_id: int | None = None, kind: ArticleKind | None = None) -> Page:
        total, page, items = await self.store.articles.page(PAGE_SIZE, page, topic_id=topic_id, kind=kind)
        return Page(items, page, page_count(total, PAGE_SIZE), total)

    async def videos(self, page: int = 0) -> Page:
        """Articles of kind video; when there are none, the «فيديوهات» section."""
        found = await self.latest(page, kind=ArticleKind.VIDEO)
        if found.total:
            return found
        section = await self.store.topics.by_slug("videos")
        return await self.latest(page, topic_id=section.id) if section else found

    async def live(self, page: int = 0) -> Page:
        return await self.latest(page, kind=ArticleKind.LIVE)

    # -- topics ----------------------------------------------------------------------------------

    async def topics(self, reader_id: int, page: int = 0) -> TopicsPage:
        return _topics_page(await self.store.subscriptions.every_topic(reader_id), page)

    async def toggle_listed(self, reader_id: int, topic_id: int, page: int) -> Toggled | None:
        """Subscribe or unsubscribe on the topics list's `page`; None for an unknown topic. The
        topic is found among the listed ones (read only when it is not active)."""
        subscribed = await self.store.subscriptions.toggle(reader_id, topic_id)
        if subscribed is None:
            return None
        everything = await self.store.subscriptions.every_topic(reader_id)
        found = next((t for t, _ in everything if t.id == topic_id), None)
        if found is None:
            found = await self.store.topics.by_id(topic_id)
        return Toggled(subscribed, found, _topics_page(everything, page))

    async def topic(self, reader_id: int, topic_id: int, page: int = 0) -> TopicPage | None:
        """A topic's page; a merged topic's buttons and links lead to the topic it went into."""
        found = await self.store.topics.by_id(topic_id)
        if found is not None and found.merged_into is not None:
            found = await self.store.topics.by_id(found.merged_into)
        if found is None:
            return None
        mine = await self.store.subscriptions.topic_ids(reader_id)
        return TopicPage(found, found.id in mine, await self.latest(page, topic_id=found.id))

    async def topic_by_id(self, topic_id: int) -> Topic | None:
        return await self.store.topics.by_id(topic_id)

    async def topic_by_slug(self, reader_id: int, slug: str) -> TopicPage | None:
        found = await self.store.topics.by_slug(slug)
        return await self.topic(reader_id, found.id) if found else None

    async def toggle(self, reader_id: int, topic_id: int) -> bool | None:
        """Subscribe or unsubscribe; True when subscribed afterwards, None for an unknown topic."""
        return await self.store.subscriptions.toggle(reader_id, topic_id)

    async def subscribe(self, reader_id: int, topic_id: int) -> bool:
        return await self.store.subscriptions.subscribe(reader_id, topic_id)

    async def followed_words(self, reader_id: int) -> list[str]:
        """The words and phrases the reader follows (`/follow WORD`), as they typed them, in the
        order they added them: what `/follow` with no word lists."""
        return [w.text for w in await self.store.words.of_reader(reader_id) if w.kind is WordKind.FOLLOW]

    # -- articles and search ---------------------------------------------------------------------

    async def article(self, article_id: int) -> Article | None:
        return await self.store.articles.get(article_id)

    async def article_from_push(self, reader_id: int, article_id: int) -> Article | None:
        """The article a push's button opens; the open is counted once per reader (editors see
        how many readers opened each pushed item in /stats)."""
        found = await self.store.articles.get(article_id)
        if found is not None:
            await self.store.deliveries.mark_opened(reader_id, article_id)
        return found

    def will_complete(self, article: Article) -> bool:
        """True when the article's page has not been read yet and can be read now (:meth:`complete`)."""
        return article.page_unread and self._pages() is not None

    async def complete(self, article: Article) -> Article:
        """The article once its page has been read now (kept for every reader), or as it stands
        when the page could not give its text (it then carries the failure)."""
        pages = self._pages()
        if pages is None or not article.page_unread:
            return article
        await pages.read_now(article.id)
        return await self.store.articles.get(article.id) or article

    async def search(self, raw_query: str, page: int = 0) -> SearchOutcome:
        query = clean_text(raw_query)
        if not query:
            return SearchOutcome("", "empty")
        if len(query) > MAX_QUERY_CHARS:
            return SearchOutcome(query, "too_long")
        if not _WORD.search(query):
            return SearchOutcome(query, "no_words")
        total = await self.store.articles.search_count(query)
        if not total and page == 0:  # counted for editors (/stats): the words, never who searched
            await self.store.articles.record_miss(query)
        pages = page_count(total, PAGE_SIZE)
        page = clamp_page(page, pages)
        items = await self.store.articles.search(query, PAGE_SIZE, page * PAGE_SIZE) if total else []
        return SearchOutcome(query, "ok", Page(items, page, pages, total))

    async def inline(self, raw_query: str, offset: str) -> InlineBatch:
        """Articles for an inline query: the latest for an empty query, «#ID» for one article."""
        start = int(offset) if offset.isascii() and offset.isdigit() and len(offset) < 7 else 0
        query = clean_text(raw_query[: INLINE_QUERY_CHARS * 4])[:INLINE_QUERY_CHARS]
        article_id = parse_article_id(query) if query.startswith("#") else None
        if article_id is not None:
            found = await self.store.articles.get(article_id) if start == 0 else None
            items = [_summary(found)] if found else []
            return InlineBatch(items, "")
        if not query:
            items = await self.store.articles.latest(INLINE_PAGE_SIZE, start)
        elif _WORD.search(query):
            items = await self.store.articles.search(query, INLINE_PAGE_SIZE, start)
        else:
            items = []
        more = len(items) == INLINE_PAGE_SIZE and start + INLINE_PAGE_SIZE < 1000
        return InlineBatch(items, str(start + INLINE_PAGE_SIZE) if more else "")

    # -- settings and status ---------------------------------------------------------------------

    async def change_setting(self, reader: Reader, field: int, value: int) -> Reader | str | None:
        """Apply one settings button. None when the button is not valid; the same reader when nothing
        changes; LAST_DIGEST_HOUR when it would remove the digest's last hour (refused)."""
        new = _changed(reader.settings, field, value)
        if new is None or isinstance(new, str):
            return new
        if new == reader.settings:
            return reader
        return await self.store.readers.update_settings(reader.id, new)

    async def set_timezone(self, reader: Reader, name: str) -> Reader | None:
        """The reader's clock set to `name`, an IANA zone offered in /settings (READER_ZONES); a name
        not offered is refused: None, nothing changed."""
        if not name or not offered_zone(name):
            return None
        if reader.settings.timezone == name:
            return reader
        return await self.store.readers.update_settings(reader.id, replace(reader.settings, timezone=name))

    async def stop(self, reader_id: int) -> bool:
        """Stop every push; True when the reader was receiving them."""
        return await self.store.readers.set_status(reader_id, ReaderStatus.STOPPED)


def _summary(article: Article) -> ArticleSummary:
    first = article.topics[0] if article.topics else None
    return ArticleSummary(
        article.id,
        article.headline,
        article.lead,
        article.url,
        article.published_at,
        article.stored_at,
        article.kind,
        first.name if first else None,
        first.slug if first else None,
    )


def _changed(current: ReaderSettings, field: int, value: int) -> ReaderSettings | str | None:
    try:
        setting = Setting(field)
    except ValueError:
        return None
    if setting is Setting.PUSH_MODE and value in (0, 1):
        return replace(current, push_mode=PushMode.DIGEST if value else PushMode.INSTANT)
    if setting is Setting.DIGEST_HOUR and 0 <= value <= 23:
        hours = set(current.digest_hours) ^ {value}
        if not hours:
            return LAST_DIGEST_HOUR  # a digest needs at least one hour: the last one stays
        return replace(current, digest_hours=tuple(sorted(hours)))
    if setting is Setting.QUIET and 0 <= value < len(QUIET_PRESETS):
        preset = QUIET_PRESETS[value]
        return replace(current, quiet_start=preset[0] if preset else None, quiet_end=preset[1] if preset else None)
    if setting is Setting.DIGITS and value in (0, 1):
        return replace(current, arabic_digits=bool(value))
    if setting is Setting.PREVIEWS and value in (0, 1):
        return replace(current, link_previews=bool(value))
    if setting is Setting.ZONE and 0 <= value < len(READER_ZONES):
        return replace(current, timezone=READER_ZONES[value][0])
    if setting is Setting.ZONES and value in (0, 1):
        return current  # only the view changes (the handler shows the cities or the settings)
    return None
