"""Plain data shared across the bot: what the store returns and what parsers produce."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

LOCAL_ORIGIN = "local"  # an operator's file item without a web address (a seed page)
LEGACY_ORIGIN = ""  # rows stored before migration 0006 recorded where items came from


def site_of(url: str | None) -> str | None:
    """The site of an http(s) URL: its host in lower case, with the port when one is given
    («arabic.rt.com», «localhost:8080»); None for anything else."""
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname
        port = parts.port
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not host:
        return None
    return f"{host}:{port}" if port else host


class TopicKind(StrEnum):
    STORY = "story"  # a running story from the site's strip («كأس أمم إفريقيا 2025»)
    SECTION = "section"  # a standing section (world, sport, economy, …)


class TopicStatus(StrEnum):
    ACTIVE = "active"  # listed in /topics, receives new items
    ARCHIVED = "archived"  # an ended story: out of /topics, no new items, «انتهت» in /mysubs
    MERGED = "merged"  # merged into another topic (merged_into): its slug still leads there


class ArticleKind(StrEnum):
    ARTICLE = "article"
    VIDEO = "video"
    LIVE = "live"


class ReaderStatus(StrEnum):
    ACTIVE = "active"
    STOPPED = "stopped"  # the reader sent /stop: no pushes until /start
    BLOCKED = "blocked"  # Telegram answered 403: no pushes until /start or unblock
    GONE = "gone"  # Telegram answered "chat not found": retired


class ChatKind(StrEnum):
    """What kind of Telegram chat a reader row is: a person's private chat, or a chat many read."""

    PRIVATE = "private"
    GROUP = "group"
    SUPERGROUP = "supergroup"
    CHANNEL = "channel"

    @property
    def is_group(self) -> bool:
        return self in (ChatKind.GROUP, ChatKind.SUPERGROUP)


class PushMode(StrEnum):
    INSTANT = "instant"
    DIGEST = "digest"


class WordKind(StrEnum):
    """A reader's own word: followed (matching items are pushed) or muted (kept out of pushes and digests)."""

    FOLLOW = "follow"
    MUTE = "mute"


class WordAdded(StrEnum):
    """What adding a reader's word did."""

    ADDED = "added"
    EXISTS = "exists"  # already there: nothing stored twice
    LIMIT = "limit"  # the reader has the most words of that kind allowed


@dataclass(frozen=True, slots=True)
class ReaderWord:
    """A word or phrase a reader follows or mutes, as they wrote it."""

    id: int
    kind: WordKind
    text: str


class DeliveryState(StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class TopicSpec:
    """A topic as a source describes it, before it is stored."""

    slug: str  # ASCII [a-z0-9-], used in deep links (t<SLUG>) and callback data
    name: str  # the Arabic name readers see
    kind: TopicKind = TopicKind.SECTION
    keywords: tuple[str, ...] = ()  # Arabic keywords; an item mentioning one lands in the topic
    aliases: tuple[str, ...] = ()  # other names, and the category labels / URL sections feeds use
    excludes: tuple[str, ...] = ()  # words that keep an item out of the topic's keyword and label matches
    pin: int | None = None  # position among the pinned topics (stories pinned first), None: not pinned


@dataclass(frozen=True, slots=True)
class Topic:
    id: int
    slug: str
    name: str
    kind: TopicKind
    keywords: tuple[str, ...]
    article_count: int = 0
    aliases: tuple[str, ...] = ()
    excludes: tuple[str, ...] = ()
    pin: int | None = None
    state: TopicStatus = TopicStatus.ACTIVE
    merged_into: int | None = None  # the topic id a merged topic now lives in

    @property
    def ended(self) -> bool:
        """An archived (or merged) topic: readers see it marked as ended."""
        return self.state is not TopicStatus.ACTIVE

    def spec(self) -> TopicSpec:
        return TopicSpec(self.slug, self.name, self.kind, self.keywords, self.aliases, self.excludes, self.pin)


@dataclass(frozen=True, slots=True)
class StoredText:
    """What topic matching reads of a stored article (re-filing, unmatched labels)."""

    id: int
    headline: str
    lead: str
    url: str | None
    labels: tuple[str, ...]  # the category labels it came with
    topic_ids: frozenset[int]  # the topics it is filed under


@dataclass(frozen=True, slots=True)
class RelatedLink:
    headline: str
    url: str | None = None


@dataclass(slots=True)
class ParsedItem:
    """One news item as a parser read it from a source, not yet stored.

    `guid` is the identity: the feed's GUID, else the URL. Text fields are plain text (markup in
    sources is kept as literal text and escaped when rendered, never trusted as HTML).
    """

    guid: str
    headline: str
    url: str | None = None
    lead: str = ""
    body: tuple[str, ...] = ()  # paragraphs
    published_at: datetime | None = None  # timezone-aware, UTC
    source: str | None = None  # «وكالات», the agency the site credits
    author: str | None = None
    outlet: str | None = None  # the publishing site («RT Arabic»)
    image_url: str | None = None
    kind: ArticleKind = ArticleKind.ARTICLE
    categories: tuple[str, ...] = ()  # category labels from the source
    topic_slugs: tuple[str, ...] = ()  # topics named explicitly by the source (seed files, feed config)
    related: tuple[RelatedLink, ...] = ()
    origin: str | None = None  # where it came from; set by ingestion, None: an operator's own file
    date_only: bool = False  # the source gave published_at as a day without a time (00:00 UTC that day)
    modified_at: datetime | None = None  # when the page says it was last changed (article pages)


def item_origin(item: ParsedItem) -> str:
    """The source part of an item's identity.

    - a document fetched from a URL (`newsbot ingest URL`, `/ingest`, feed polling): the URL as
      given — a feed's (or a seed file's) own address, whatever it redirects to; for an article
      page, the site of that URL (:func:`site_of`), so the same article reached by another address
      on the site is the same item. Set by the ingest service from the address it fetched, never
      from what the document says about itself.
    - an operator's own file (seed files and pages, a feed saved on disk), `origin` None: the site
      of the item's own URL (else of its GUID when that is a URL), so re-reading a seed file from
      another folder updates its items; an item with no web address at all is :data:`LOCAL_ORIGIN`.
    """
    if item.origin is not None:
        return item.origin
    return site_of(item.url) or site_of(item.guid) or LOCAL_ORIGIN


def origin_site(origin: str) -> str | None:
    """The site an origin belongs to: a URL's site, a site itself, None for local and legacy."""
    if "://" in origin:
        return site_of(origin)
    return None if origin in (LOCAL_ORIGIN, LEGACY_ORIGIN) else origin


@dataclass(frozen=True, slots=True)
class Article:
    id: int
    guid: str
    url: str | None
    headline: str
    lead: str
    body: tuple[str, ...]
    published_at: datetime | None
    stored_at: datetime
    updated_at: datetime
    source: str | None
    author: str | None
    outlet: str | None
    image_url: str | None
    kind: ArticleKind
    topics: tuple[Topic, ...] = ()
    related: tuple[RelatedLink, ...] = ()
    origin: str = LEGACY_ORIGIN  # with guid, the identity (item_origin); "" for rows older than 0006
    date_only: bool = False  # published_at is a day without a time: shown without one
    modified_at: datetime | None = None  # when its page says it last changed
    # Where reading its page stands (bot.runtime.fulltext): None (nothing to read), "pending" (not read
    # yet), "retrying" (failed, tried again later), "done", "failed" (given up).
    fulltext: str | None = None
    # Its story (bot.store.records.StoryMatcher): the story's first item when this one repeats it,
    # and the other outlets that carried it («وأيضًا في: …» on a push), in the order they came.
    duplicate_of: int | None = None
    also_in: tuple[str, ...] = ()

    @property
    def story_id(self) -> int:
        """The story this item tells: its own id, or the id of the story's first item."""
        return self.duplicate_of or self.id

    @property
    def shown_at(self) -> datetime:
        """The time readers see: publication, else when it was stored."""
        return self.published_at or self.stored_at

    @property
    def page_unread(self) -> bool:
        """Its page has not been read yet: the lead is all there is, for now."""
        return self.fulltext == "pending" and not self.body

    @property
    def page_failed(self) -> bool:
        """Its page could not be read (so far): the full text is on the site."""
        return self.fulltext in ("retrying", "failed") and not self.body


@dataclass(frozen=True, slots=True)
class ArticleSummary:
    """A headline row for lists: no body."""

    id: int
    headline: str
    lead: str
    url: str | None
    published_at: datetime | None
    stored_at: datetime
    kind: ArticleKind
    topic_name: str | None = None
    topic_slug: str | None = None

    @property
    def shown_at(self) -> datetime:
        return self.published_at or self.stored_at


# The time zones a reader may choose in /settings (docs/product.md «The reader's clock»): the Arab
# world's, by city, as IANA names with the city's Arabic name. Cairo is the site's default zone.
READER_ZONES: tuple[tuple[str, str], ...] = (
    ("Africa/Cairo", "القاهرة"),
    ("Asia/Riyadh", "الرياض"),
    ("Asia/Dubai", "دبي"),
    ("Asia/Baghdad", "بغداد"),
    ("Asia/Beirut", "بيروت"),
    ("Asia/Damascus", "دمشق"),
    ("Asia/Amman", "عمّان"),
    ("Asia/Jerusalem", "القدس"),
    ("Asia/Kuwait", "الكويت"),
    ("Asia/Qatar", "الدوحة"),
    ("Asia/Bahrain", "المنامة"),
    ("Asia/Muscat", "مسقط"),
    ("Asia/Aden", "صنعاء"),
    ("Africa/Khartoum", "الخرطوم"),
    ("Africa/Tripoli", "طرابلس"),
    ("Africa/Tunis", "تونس"),
    ("Africa/Algiers", "الجزائر"),
    ("Africa/Casablanca", "الدار البيضاء"),
    ("Africa/Nouakchott", "نواكشوط"),
    ("Africa/Mogadishu", "مقديشو"),
    ("Africa/Djibouti", "جيبوتي"),
)
ZONE_CITIES: dict[str, str] = dict(READER_ZONES)


def offered_zone(name: str | None) -> bool:
    """True for a zone a reader may choose (None: the site's own, always allowed)."""
    return name is None or name in ZONE_CITIES


def reader_zone(name: str | None, site: ZoneInfo) -> ZoneInfo:
    """The zone a reader's times are in: their choice, else the site's (NEWSBOT_TIMEZONE)."""
    if name is None or name not in ZONE_CITIES:
        return site
    return ZoneInfo(name)  # zoneinfo keeps one instance per name


@dataclass(frozen=True, slots=True)
class ReaderSettings:
    push_mode: PushMode = PushMode.INSTANT
    digest_hours: tuple[int, ...] = (8, 20)  # local hours of the reader's time zone
    quiet_start: int | None = None  # local hour quiet hours start, inclusive
    quiet_end: int | None = None  # local hour they end, exclusive
    arabic_digits: bool = False  # ٠-٩ instead of 0-9
    link_previews: bool = False
    timezone: str | None = None  # an IANA name from READER_ZONES; None: the site's NEWSBOT_TIMEZONE


@dataclass(frozen=True, slots=True)
class Reader:
    id: int  # Telegram chat id
    first_name: str | None
    username: str | None
    status: ReaderStatus
    settings: ReaderSettings
    created_at: datetime
    last_digest_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Feed:
    id: int
    url: str
    topic_slug: str | None
    etag: str | None
    last_modified: str | None
    last_polled_at: datetime | None
    last_error: str | None
    every: int | None = None  # seconds between polls; None: NEWSBOT_FEED_INTERVAL
    items_added: int = 0  # items this feed has added to the store


@dataclass(frozen=True, slots=True)
class Delivery:
    id: int
    reader_id: int
    article_id: int | None
    broadcast_id: int | None
    state: DeliveryState
    attempts: int
    not_before: datetime
    error: str | None = None


@dataclass(slots=True)
class StoreStats:
    topics: int = 0
    articles: int = 0
    readers: int = 0
    readers_by_status: dict[str, int] = field(default_factory=dict)
    subscriptions: int = 0
    deliveries_by_state: dict[str, int] = field(default_factory=dict)
    subscriptions_by_topic: list[tuple[str, int]] = field(default_factory=list)
    # items whose page is read for the full text, by state (pending, retrying, done, failed)
    fulltext_by_state: dict[str, int] = field(default_factory=dict)
    chats: list[ChatCount] = field(default_factory=list)  # channels and groups, apart from readers


@dataclass(frozen=True, slots=True)
class ItemReach:
    """One item's pushes over a period: sent, and readers who opened the whole article from one."""

    article_id: int
    headline: str
    sent: int
    opened: int


@dataclass(frozen=True, slots=True)
class TopicChange:
    """Subscriptions readers made (gained) and left (lost) in a topic over a period."""

    name: str
    gained: int
    lost: int


@dataclass(slots=True)
class ReadingReport:
    """What editors see of reading over the last `days` days: counts only, no reader."""

    days: int
    items: list[ItemReach] = field(default_factory=list)
    topics: list[TopicChange] = field(default_factory=list)
    misses: list[tuple[str, int]] = field(default_factory=list)  # searches that found nothing (folded), how often


# -- what the store hands back to its callers (bot/store/protocols.py) ---------------------------

UpsertStatus = Literal["added", "updated", "unchanged", "duplicate"]


@dataclass(frozen=True, slots=True)
class UpsertOutcome:
    """What storing one item did: added (a new article), updated (new content), unchanged, or
    duplicate (its identity came earlier in the same batch, which was stored)."""

    guid: str
    article_id: int
    status: UpsertStatus
    origin: str = LEGACY_ORIGIN


@dataclass(frozen=True, slots=True)
class PendingDelivery:
    """A delivery taken for sending, with what the sender needs to know about its reader."""

    id: int
    reader_id: int
    article_id: int | None
    broadcast_id: int | None
    mode: str
    attempts: int
    arabic_digits: bool = False
    quiet_start: int | None = None
    quiet_end: int | None = None
    timezone: str | None = None  # the reader's zone (ReaderSettings.timezone)
    chat_kind: ChatKind = ChatKind.PRIVATE  # a group's or channel's deliveries go as posts there


@dataclass(frozen=True, slots=True)
class NewsChat:
    """A group, supergroup or channel the bot posts to (issue 15). It is also a reader row with the
    same id, so its subscriptions and deliveries are a reader's; `status` is that row's:
    ACTIVE (posting), BLOCKED (paused: `paused` says why), STOPPED (unlinked), GONE (migrated)."""

    id: int  # Telegram chat id (negative)
    kind: ChatKind
    title: str | None
    username: str | None  # a public chat's @username, without the @
    status: ReaderStatus
    linked_by: int | None = None  # the user who linked it (an editor, a group's administrator)
    members: int | None = None  # as getChatMemberCount last said
    paused: str | None = None
    migrated_to: int | None = None
    topics: tuple[str, ...] = ()  # slugs of the topics it follows

    @property
    def label(self) -> str:
        return f"@{self.username}" if self.username else str(self.id)


@dataclass(frozen=True, slots=True)
class ChatCount:
    """/stats: chats of one kind the bot posts to (or paused in) and their members."""

    kind: ChatKind
    active: int = 0
    paused: int = 0
    members: int = 0


@dataclass(frozen=True, slots=True)
class Broadcast:
    """Breaking news an editor sent: a text, or a stored item (article_id) with an optional line above
    it; to every active reader or to the subscribers of `topic_ids`; recorded at once, or 'scheduled'
    until `send_at` (UNIX seconds) when the leader records its deliveries."""

    id: int
    text: str
    article_id: int | None = None
    topic_ids: tuple[int, ...] = ()
    send_at: int | None = None
    state: str = "recorded"  # 'scheduled' until its deliveries are recorded
    recorded: int = 0  # deliveries recorded for it


@dataclass(frozen=True, slots=True)
class DigestReader:
    """A digest reader with queued items: their hours and when the oldest queued item was recorded."""

    reader_id: int
    digest_hours: tuple[int, ...]
    last_digest_at: int | None
    oldest_queued_at: int
    arabic_digits: bool
    quiet_start: int | None
    quiet_end: int | None
    timezone: str | None = None  # the reader's zone (ReaderSettings.timezone)


@dataclass(frozen=True, slots=True)
class FullTextJob:
    """An item whose page is to be read: taken from the queue by the filler (bot.runtime.fulltext)."""

    article_id: int
    url: str
    attempts: int  # failed attempts so far
    lead: str = ""


@dataclass(frozen=True, slots=True)
class PageText:
    """What an item's page gave: its paragraphs and what the item may lack (picture, author, date)."""

    body: tuple[str, ...]
    image_url: str | None = None
    author: str | None = None
    outlet: str | None = None
    published_at: datetime | None = None
    date_only: bool = False
    modified_at: datetime | None = None


# -- corrections and withdrawals of sent messages (issue 12) -------------------------------------

# Telegram lets a bot delete (and, read strictly, edit) its messages for 48 hours after sending.
EDIT_WINDOW = 48 * 3600
SentKind = Literal["text", "photo", "backlog", "digest"]
JobAction = Literal["edit", "delete"]
JobState = Literal["done", "skipped", "failed"]


@dataclass(frozen=True, slots=True)
class SentMessage:
    """A Telegram message a delivered push produced (a backlog or digest: one row per item listed)."""

    id: int
    delivery_id: int
    article_id: int | None
    chat_id: int
    message_id: int
    kind: str
    sent_at: int
    deleted: bool = False
    photo: str | None = None  # a photo message: the picture it shows now


@dataclass(frozen=True, slots=True)
class MessageJob:
    """An edit (a correction) or a deletion (a withdrawal) of a sent message, taken for doing."""

    id: int
    action: str
    attempts: int
    message: SentMessage
    reader_active: bool = True
    arabic_digits: bool = False


@dataclass(frozen=True, slots=True)
class JobOutcome:
    """What became of a job: done, skipped (refused, blocked, too old) or failed, with the reason."""

    job_id: int
    state: JobState
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class Withdrawal:
    """What withdrawing an item recorded: pending deliveries cancelled, messages queued for deletion
    (or for their listing to be rewritten), messages already past Telegram's window (skipped)."""

    article_id: int
    headline: str
    cancelled: int
    queued: int
    too_old: int
    already: bool = False  # it had been withdrawn before
