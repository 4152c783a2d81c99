"""What editors (NEWSBOT_ADMINS) do from Telegram: the store's numbers, breaking-news broadcasts,
ingesting a feed or page now, and topics and feeds (bot/services/newsroom.py). New items and broadcasts
are pushed by delivery, woken at once.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, tzinfo
from typing import TYPE_CHECKING

from bot.config import Settings
from bot.models import Article, ReadingReport, StoreStats, Topic, TopicStatus
from bot.services.newsroom import Newsroom
from bot.store.protocols import NewsStore
from bot.store.records import reading_report

REPORT_DAYS = (1, 366)  # the reading report's period, in days: the least and the most

if TYPE_CHECKING:
    from bot.ingest.service import IngestReport


BROADCAST_LIMIT = 3500  # characters of a broadcast's text; «عاجل» and the markup fit in 4096 with it
NOTE_LIMIT = 300  # characters of the line above an item sent as breaking news (its caption holds 1,024)
# Telegram's price of a message sent with allow_paid_broadcast: "Pass True to allow up to 1000 messages
# per second, ignoring broadcasting limits for a fee of 0.1 Telegram Stars per message" (Bot API,
# sendMessage, https://core.telegram.org/bots/api#sendmessage; the Bots FAQ, "How can I message all of
# my bot's subscribers at once?", charges it for the messages beyond the free 30 a second). The
# estimate counts every message (the strictest reading): the bill is at most this.
STARS_PER_PAID_MESSAGE = 0.1
_CLOCK_TIME = re.compile(r"^(\d{1,2}):(\d{2})$")


class BroadcastRefused(ValueError):
    """A broadcast that cannot go: `code` says why (empty, too_long, unknown_item, unknown_topic,
    ended_topic, bad_time, past, nobody), `subject` what it concerns (the id, slug or time given)."""

    def __init__(self, code: str, subject: str = "") -> None:
        super().__init__(f"{code}: {subject}" if subject else code)
        self.code = code
        self.subject = subject


@dataclass(frozen=True, slots=True)
class BroadcastRequest:
    """What an editor asked for (`newsbot broadcast`, /broadcast), not yet checked."""

    text: str = ""
    item_id: int | None = None
    topics: tuple[str, ...] = ()
    at: str | None = None


@dataclass(frozen=True, slots=True)
class BroadcastPlan:
    """A checked broadcast and what it will do: shown for confirmation before anything is stored."""

    text: str
    article: Article | None
    topics: tuple[Topic, ...]
    send_at: datetime | None  # None: now
    readers: int  # reached if it went now
    paid_rate: float  # messages a second with allow_paid_broadcast; 0 when paid broadcasts are off
    stars: int  # estimated cost in Telegram Stars (0 when not paid), rounded up
    seconds: float  # estimated time to reach every reader at the pace it will go


@dataclass(frozen=True, slots=True)
class UrgentMark:
    """An item an editor marked urgent: its queued deliveries moved to the breaking-news lane."""

    article: Article
    moved: int
    stars: int


def estimated_stars(messages: int, paid_rate: float) -> int:
    """The most a broadcast of `messages` costs in Stars when paid broadcasts are on (0 when off)."""
    return math.ceil(round(messages * STARS_PER_PAID_MESSAGE, 6)) if paid_rate > 0 else 0


def parse_send_time(text: str, now: datetime, tz: tzinfo) -> datetime:
    """An editor's time: HH:MM (today, in the site's time zone), or a date and time
    (YYYY-MM-DD HH:MM, or ISO 8601 with T and an offset). BroadcastRefused 'bad_time' or 'past'."""
    raw = text.strip()
    clock = _CLOCK_TIME.match(raw)
    try:
        if clock:
            local_day: date = now.astimezone(tz).date()
            when = datetime.combine(local_day, time(int(clock[1]), int(clock[2])), tzinfo=tz)
        else:
            when = datetime.fromisoformat(raw)
            if when.tzinfo is None:
                when = when.replace(tzinfo=tz)
    except ValueError:
        raise BroadcastRefused("bad_time", raw) from None
    if when <= now:
        raise BroadcastRefused("past", raw)
    return when.astimezone(UTC)


class Editors:
    """The editors' service; ``kick`` runs a delivery round now instead of at the next interval."""

    def __init__(
        self,
        store: NewsStore,
        settings: Settings,
        kick: Callable[[], None],
        on_ingested: Callable[[int, int], None] | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.store = store
        self.settings = settings
        self.kick = kick
        self.clock = clock
        self.on_ingested = on_ingested  # (added, updated): the metrics' count of items ingested
        self.newsroom = Newsroom(store)  # topics and feeds (/topic, /feeds), as `newsbot topics|feeds`

    async def stats(self) -> StoreStats:
        return await self.store.stats()

    async def reading(self, days: int, now: int) -> ReadingReport | None:
        """What readers did over the last `days` days (`now` in UNIX seconds): pushes sent and
        opened per item, subscriptions gained and lost per topic, searches with no results. None
        for a period out of range."""
        if not REPORT_DAYS[0] <= days <= REPORT_DAYS[1]:
            return None
        return await reading_report(self.store, days, now)

    async def active_readers(self) -> int:
        """How many readers a broadcast would reach."""
        return (await self.store.readers.count_by_status())["active"]

    async def broadcast(self, text: str, editor_id: int) -> tuple[int, int]:
        """Record the text and one delivery per active reader; returns (broadcast id, deliveries)."""
        recorded = await self.store.deliveries.create_broadcast(text, editor_id)
        self.kick()
        return recorded

    async def plan_broadcast(self, request: BroadcastRequest) -> BroadcastPlan:
        """Check a broadcast and say what it will do (readers reached, cost, time); nothing is stored.
        BroadcastRefused names the first problem: an empty or too long text, an unknown item or
        topic, a time not understood or past, nobody to reach."""
        text = request.text.strip()
        article = None
        if request.item_id is not None:
            article = await self.store.articles.get(request.item_id)
            if article is None:
                raise BroadcastRefused("unknown_item", str(request.item_id))
            if len(text) > NOTE_LIMIT:
                raise BroadcastRefused("too_long", str(NOTE_LIMIT))
        elif not text:
            raise BroadcastRefused("empty")
        elif len(text) > BROADCAST_LIMIT:
            raise BroadcastRefused("too_long", str(BROADCAST_LIMIT))
        topics = await self._topics(request.topics)
        send_at = parse_send_time(request.at, self.clock(), self.settings.timezone) if request.at else None
        readers = await self.store.deliveries.audience([t.id for t in topics])
        if readers == 0:
            raise BroadcastRefused("nobody", " ".join(t.slug for t in topics))
        paid = self.settings.paid_broadcast_rate
        pace = paid if paid > 0 else self.settings.rate
        return BroadcastPlan(
            text=text, article=article, topics=topics, send_at=send_at, readers=readers, paid_rate=paid,
            stars=estimated_stars(readers, paid), seconds=readers / pace,
        )  # fmt: skip

    async def _topics(self, slugs: Sequence[str]) -> tuple[Topic, ...]:
        found: dict[int, Topic] = {}
        for slug in slugs:
            topic = await self.store.topics.by_slug(slug.strip())
            if topic is not None and topic.state is TopicStatus.MERGED and topic.merged_into is not None:
                topic = await self.store.topics.by_id(topic.merged_into)  # its slug leads there
            if topic is None:
                raise BroadcastRefused("unknown_topic", slug)
            if topic.state is not TopicStatus.ACTIVE:
                raise BroadcastRefused("ended_topic", slug)
            found.setdefault(topic.id, topic)
        return tuple(found.values())

    async def send_broadcast(self, plan: BroadcastPlan, editor_id: int | None) -> tuple[int, int]:
        """Store a confirmed plan: recorded for its readers now, or kept until its time (the leader's
        round records it then). Returns (broadcast id, deliveries recorded now)."""
        send_at = int(plan.send_at.timestamp()) if plan.send_at is not None else None
        recorded = await self.store.deliveries.create_broadcast(
            plan.text,
            editor_id,
            article_id=plan.article.id if plan.article is not None else None,
            topic_ids=[t.id for t in plan.topics],
            send_at=send_at,
        )
        self.kick()
        return recorded

    async def plan_urgent(self, article_id: int) -> BroadcastPlan:
        """What marking an item urgent would do, for the confirmation: the subscribers of its topics
        (those its pushes reach), the cost when paid. BroadcastRefused 'unknown_item'."""
        article = await self.store.articles.get(article_id)
        if article is None:
            raise BroadcastRefused("unknown_item", str(article_id))
        readers = await self.store.deliveries.audience([t.id for t in article.topics]) if article.topics else 0
        paid = self.settings.paid_broadcast_rate
        return BroadcastPlan(
            text="", article=article, topics=article.topics, send_at=None, readers=readers, paid_rate=paid,
            stars=estimated_stars(readers, paid), seconds=readers / (paid if paid > 0 else self.settings.rate),
        )  # fmt: skip

    async def mark_urgent(self, article_id: int, editor_id: int | None) -> UrgentMark:
        """Send a stored item as breaking news to its subscribers: BroadcastRefused 'unknown_item'."""
        moved = await self.store.deliveries.mark_urgent(article_id, editor_id)
        article = await self.store.articles.get(article_id)
        if moved is None or article is None:
            raise BroadcastRefused("unknown_item", str(article_id))
        self.kick()
        return UrgentMark(article, moved, estimated_stars(moved, self.settings.paid_broadcast_rate))

    async def ingest(self, source: str) -> IngestReport:
        """Store the items of one feed or article page now (the conditional request of feed polling)."""
        from bot.ingest.service import ingest_sources  # parsers and the HTTP client load on first use

        settings = self.settings
        report = await ingest_sources(
            self.store,
            [source],
            max_bytes=settings.fetch_max_bytes,
            timeout=settings.fetch_timeout,
            allow_private=settings.fetch_allow_private,
        )
        if self.on_ingested is not None:
            self.on_ingested(report.added, report.updated)
        if report.added:
            self.kick()
        return report
