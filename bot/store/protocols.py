"""What the rest of the bot may ask of a store: one Protocol per repository and one for the whole.

As aiogram's BaseStorage is to its backends, these are the seam between the bot and a storage
engine. Services, handlers, delivery and ingestion type against them; the SQLite classes in this
package implement them (mypy checks it where `Store` builds its repositories), and a second engine
(PostgreSQL) implements the same methods with the same behaviour, which the contract suite in
`tests/store/` checks by adding one store factory.

Only models from `bot.models` and builtins cross this seam: no driver types, no SQL. Failures are
the store's own errors (`bot.store.errors`), never a driver's exceptions.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from bot.models import (
    Article,
    ArticleKind,
    ArticleSummary,
    Broadcast,
    ChatCount,
    ChatKind,
    DigestReader,
    Feed,
    FullTextJob,
    ItemReach,
    JobOutcome,
    MessageJob,
    NewsChat,
    PageText,
    ParsedItem,
    PendingDelivery,
    Reader,
    ReaderSettings,
    ReaderStatus,
    ReaderWord,
    SentMessage,
    StoredText,
    StoreStats,
    Topic,
    TopicChange,
    TopicSpec,
    TopicStatus,
    UpsertOutcome,
    Withdrawal,
    WordAdded,
    WordKind,
)


class TopicStore(Protocol):
    """The site's stories and sections, each with its article count and the rules that file items
    under it. Every change moves `version()`, whichever process makes it."""

    async def upsert(self, spec: TopicSpec) -> Topic:
        """A topic a source defines: created, or when the slug exists its name and kind set and its
        keywords, aliases and exclusions added to those it has."""
        ...

    async def add(self, spec: TopicSpec, file_articles: Sequence[int] = ()) -> Topic:
        """Create a topic and file these stored articles under it (never pushed), in one
        transaction; StoreRejected when the slug exists (slugs are never reused)."""
        ...

    async def change(self, topic_id: int, spec: TopicSpec, file_articles: Sequence[int] = ()) -> Topic:
        """Set name, keywords, aliases, exclusions and pin (slug and kind stay) and file these stored
        articles under it (never pushed), in one transaction."""
        ...

    async def set_state(self, topic_id: int, state: TopicStatus) -> Topic:
        """Archive or restore (a merged topic stays merged)."""
        ...

    async def merge(self, from_id: int, into_id: int) -> Topic:
        """Items, subscriptions (one per reader) and feeds move into `into_id`, in one transaction;
        the merged topic stays as a row whose slug leads there. The move is counted in the day's
        subscription changes: lost on the merged topic, gained on `into_id` for readers who did not
        follow it already. Returns the topic merged into."""
        ...

    async def all(self) -> list[Topic]:
        """Every topic in every state: pinned first, then stories, then sections, each in the
        order they were created."""
        ...

    async def version(self) -> int:
        """A counter that moves whenever anything topic matching reads changes."""
        ...

    async def subscriber_counts(self) -> dict[int, int]:
        """Topic id → readers following it."""
        ...

    async def stored_since(self, since: int) -> list[StoredText]:
        """What matching reads of each article stored at or after `since` (UNIX seconds), newest first."""
        ...

    async def by_slug(self, slug: str) -> Topic | None: ...

    async def by_id(self, topic_id: int) -> Topic | None: ...

    async def count(self) -> int: ...


class ArticleStore(Protocol):
    """Articles with their topics and search index, changed together or not at all."""

    async def upsert_many(self, batch: Sequence[tuple[ParsedItem, Sequence[int]]]) -> list[UpsertOutcome]:
        """Store a batch in one transaction (a new GUID adds, a known one updates, the same content
        is skipped); every article added enters the fan-out outbox in that same transaction, and
        joins the story of an earlier item it repeats (bot.store.records.StoryMatcher)."""
        ...

    async def get(self, article_id: int) -> Article | None: ...

    async def by_guid(self, guid: str) -> Article | None: ...

    async def latest(
        self, limit: int, offset: int = 0, *, topic_id: int | None = None, kind: ArticleKind | None = None
    ) -> list[ArticleSummary]:
        """Newest first: by publication; an item without a date where it was stored (beside the item
        stored just before it, never on top); optionally within a topic or of a kind; a story told
        by several articles once (its first; on a topic's page, a later one filed there when the
        first is not)."""
        ...

    async def count(self, *, topic_id: int | None = None, kind: ArticleKind | None = None) -> int: ...

    async def page(
        self, size: int, page: int, *, topic_id: int | None = None, kind: ArticleKind | None = None
    ) -> tuple[int, int, list[ArticleSummary]]:
        """A page of `latest` as readers turn it: (`count`, `page` moved within the pages there are,
        counting from 0, its `size` headlines), remembered as one answer."""
        ...

    async def search(self, query: str, limit: int = 10, offset: int = 0) -> list[ArticleSummary]:
        """Best matches first over folded text; every word must match, else any word may."""
        ...

    async def search_count(self, query: str) -> int: ...

    async def max_id(self) -> int:
        """The highest article id (0 when empty)."""
        ...

    async def record_miss(self, query: str) -> None:
        """A search that found nothing: its folded words counted for the day, never who searched."""
        ...

    async def misses_since(self, since: int, limit: int) -> list[tuple[str, int]]:
        """The searches that found nothing from `since`'s (UTC) day on, most frequent first."""
        ...


class ReaderStore(Protocol):
    """Telegram chats the bot serves, with their status and settings."""

    async def get_or_create(
        self, reader_id: int, first_name: str | None = None, username: str | None = None
    ) -> tuple[Reader, bool]:
        """The reader, created on first contact (its names kept up to date). True when new."""
        ...

    async def get(self, reader_id: int) -> Reader | None: ...

    async def set_status(self, reader_id: int, status: ReaderStatus) -> bool:
        """True when the status changed. Leaving 'active' cancels the reader's pending pushes."""
        ...

    async def update_settings(self, reader_id: int, settings: ReaderSettings) -> Reader | None: ...

    async def change_settings(self, reader_id: int, **changes: object) -> Reader | None:
        """Change some settings fields by name (push_mode, digest_hours, quiet_start, …)."""
        ...

    async def count_by_status(self) -> dict[str, int]: ...


class ChatStore(Protocol):
    """Groups, supergroups and channels (issue 15). Each is also a row of the readers with the same
    id, so its subscriptions and deliveries go through the same tables and the same durable queue;
    readers' counts leave them out."""

    async def save(
        self, chat_id: int, kind: ChatKind, title: str | None, username: str | None, *, linked_by: int | None = None
    ) -> NewsChat:
        """Stored (its reader row created, active) or its title, @username and kind refreshed;
        `linked_by` replaces who linked it when given. Its status is left as it is."""
        ...

    async def get(self, chat_id: int) -> NewsChat | None: ...

    async def by_username(self, username: str) -> NewsChat | None:
        """By @username (without the @, any case)."""
        ...

    async def all(self) -> list[NewsChat]:
        """Every chat with the slugs of its topics, channels first, then by id."""
        ...

    async def pause(self, chat_id: int, reason: str) -> bool:
        """Stop posting there (status BLOCKED, its pending deliveries cancelled; subscriptions kept)
        and say why. True when it was posting until now."""
        ...

    async def resume(self, chat_id: int) -> bool:
        """Post there again, new items only (a paused chat becomes ACTIVE). True when it was paused."""
        ...

    async def unlink(self, chat_id: int) -> bool:
        """No more posts there: its subscriptions removed, pending deliveries cancelled (STOPPED).
        True when it was linked."""
        ...

    async def migrate(self, old_id: int, new_id: int) -> NewsChat | None:
        """A group became a supergroup: the new id gets its subscriptions (with their marks), its
        queued deliveries, who linked it and its state; the old one is GONE. None when `old_id` is
        unknown; the new chat as it is when it was moved already."""
        ...

    async def set_members(self, chat_id: int, members: int) -> None: ...

    async def counts(self) -> list[ChatCount]:
        """Per kind: chats posted to, paused, and the members of those posted to (unlinked and
        migrated ones left out)."""
        ...


class SubscriptionStore(Protocol):
    """Which reader follows which topic. A subscription follows only what is stored after it."""

    async def subscribe(self, reader_id: int, topic_id: int) -> bool:
        """True when the subscription is new."""
        ...

    async def unsubscribe(self, reader_id: int, topic_id: int) -> bool:
        """True when there was a subscription to remove."""
        ...

    async def toggle(self, reader_id: int, topic_id: int) -> bool | None:
        """Subscribe or unsubscribe atomically; True when subscribed afterwards, None when there is
        no such topic (nothing changed)."""
        ...

    async def topic_ids(self, reader_id: int) -> set[int]: ...

    async def every_topic(self, reader_id: int) -> list[tuple[Topic, bool]]:
        """Every topic (as `TopicStore.all` orders them), each with whether the reader follows it."""
        ...

    async def topics(self, reader_id: int) -> list[Topic]: ...

    async def count(self) -> int: ...

    async def count_by_topic(self) -> list[tuple[str, int]]: ...

    async def changes_since(self, since: int) -> list[TopicChange]:
        """Per topic with any: subscriptions readers made (gained) and left (lost) from `since`'s
        (UTC) day on, busiest first. Subscribing, unsubscribing and toggling count them."""
        ...


class WordStore(Protocol):
    """Words and phrases each reader follows or mutes (bot.store.words). A followed word, like a
    subscription, covers what is stored after it; the fan-out matches every item against all of
    them (`DeliveryStore.fan_out`)."""

    async def add(self, reader_id: int, kind: WordKind, text: str, key: str, limit: int) -> WordAdded:
        """Keep `text` (folded as `key`, bot.store.words.phrase_key) as the reader's word of `kind`,
        in one transaction: EXISTS when they have it already, LIMIT when they have `limit` of that kind."""
        ...

    async def remove(self, reader_id: int, word_id: int) -> ReaderWord | None:
        """The reader's word removed, or None when they have no such word."""
        ...

    async def of_reader(self, reader_id: int) -> list[ReaderWord]:
        """The reader's words, followed and muted, in the order they were added."""
        ...

    async def count(self) -> dict[str, int]:
        """Words kept, by kind (follow, mute)."""
        ...


class DeliveryStore(Protocol):
    """Deliveries: one per (reader, item), recorded before sending, marked when Telegram confirms."""

    async def fan_out(self, *, fresh_after: int | None = None) -> int:
        """Record one delivery per active subscriber of each article in the outbox, and per active
        reader following a word it matches (once per reader and article, whatever matched), none
        for a reader muting a word it matches, and empty the outbox of what was recorded, in one
        transaction. The first round on a store only empties it (what a new store was seeded with
        is not pushed). An article dated (else stored) before `fresh_after`, UNIX seconds, is not
        pushed; a story told by several articles reaches each reader once. Returns the deliveries
        recorded."""
        ...

    async def create_broadcast(
        self,
        text: str,
        created_by: int | None,
        *,
        article_id: int | None = None,
        topic_ids: Sequence[int] = (),
        send_at: int | None = None,
    ) -> tuple[int, int]:
        """Store breaking news (a text, or a stored item with an optional line above it) for every
        active reader, or for the active subscribers of any of `topic_ids` (each once). Without
        `send_at` its deliveries are recorded in the same transaction (an item's routine pushes
        still queued for those readers are cancelled); with it, the broadcast is kept 'scheduled'
        and nothing is recorded until `record_due_broadcasts` reaches that time. Returns
        (broadcast id, deliveries recorded)."""
        ...

    async def record_due_broadcasts(self, now: int) -> int:
        """Record the deliveries of every scheduled broadcast whose `send_at` is at or before `now`,
        to the readers it reaches at this moment; returns how many deliveries were recorded."""
        ...

    async def audience(self, topic_ids: Sequence[int] = ()) -> int:
        """How many readers a broadcast to `topic_ids` (none: everyone) would reach now."""
        ...

    async def broadcast(self, broadcast_id: int) -> Broadcast | None: ...

    async def broadcast_text(self, broadcast_id: int) -> str | None: ...

    async def mark_urgent(self, article_id: int, marked_by: int | None = None) -> int | None:
        """An editor marks a stored item urgent: its deliveries still queued (instant or digest)
        move to the breaking-news lane (mode 'broadcast'), and a fan-out to come records it there.
        None when there is no such item, else how many queued deliveries moved."""
        ...

    async def claim(self, limit: int, *, now: int | None = None, urgent_only: bool = False) -> list[PendingDelivery]:
        """Take up to `limit` due deliveries, marking them in flight: breaking news first, then
        routine instant pushes, each oldest first; with `urgent_only`, breaking news only."""
        ...

    async def backlog_sizes(self, reader_ids: Sequence[int]) -> dict[int, int]:
        """For each of these readers with any: how many routine instant deliveries are still queued."""
        ...

    async def claim_backlog(self, reader_id: int, limit: int, *, now: int | None = None) -> list[PendingDelivery]:
        """Take one reader's due routine instant deliveries, oldest first, marking them in flight."""
        ...

    async def mark_sent(
        self,
        sent: Sequence[tuple[int, int | None]],
        kinds: Sequence[str] | None = None,
        photos: Sequence[str | None] | None = None,
    ) -> None:
        """(delivery id, Telegram message id) pairs confirmed by Telegram; each message is recorded
        (`MessageStore`) with its kind from `kinds` (text, photo, backlog; text when not given) and
        a photo's picture from `photos`, in the same transaction."""
        ...

    async def release(self, delivery_ids: Sequence[int]) -> None:
        """Put deliveries taken but not sent back in the queue, keeping their attempts."""
        ...

    async def retry_later(self, delivery_id: int, not_before: int, error: str) -> None: ...

    async def mark_failed(self, delivery_id: int, error: str, attempts: int | None = None) -> None: ...

    async def requeue_in_flight(self) -> int:
        """After a crash: what was in flight goes again. Returns how many."""
        ...

    async def digest_readers(self) -> list[DigestReader]: ...

    async def claim_digest(self, reader_id: int, limit: int) -> list[PendingDelivery]: ...

    async def mark_digest_sent(self, reader_id: int, delivery_ids: Sequence[int], message_id: int, at: int) -> None:
        """A digest message confirmed: its items are sent and the reader's last digest time moves on."""
        ...

    async def mark_opened(self, reader_id: int, article_id: int) -> bool:
        """The reader opened the whole article from its push's button: True the first time only."""
        ...

    async def reach_since(self, since: int, limit: int) -> list[ItemReach]:
        """Items stored since `since` (UNIX seconds) and pushed, newest first: pushes sent, and
        readers who opened the whole article from one."""
        ...

    async def count_by_state(self) -> dict[str, int]: ...

    async def count_unsent_by_state(self) -> dict[str, int]:
        """Deliveries in every state but 'sent' (cheap enough for each /metrics scrape)."""
        ...

    async def for_reader(self, reader_id: int) -> list[tuple[int | None, int | None, str, str | None]]:
        """(article id, broadcast id, state, error) of a reader's deliveries, oldest first."""
        ...


class MessageStore(Protocol):
    """The Telegram messages pushes produced, and the durable jobs that edit them (corrections) or
    delete them (withdrawals), within Telegram's window."""

    async def plan_corrections(self, *, now: int, window: int) -> list[int]:
        """Turn the corrections outbox (items whose headline, lead or picture changed, written by
        `ArticleStore.upsert_many`) into one queued edit per live message sent within `window`
        seconds (older ones recorded as skipped, too old), and empty it, in one transaction.
        Returns the items corrected."""
        ...

    async def withdraw(self, article_id: int, *, now: int, window: int) -> Withdrawal | None:
        """In one transaction: the item is no longer listed, searched or pushed, its queued
        deliveries are cancelled, and each of its live messages sent within `window` seconds gets a
        job (a deletion; a backlog or digest listing is rewritten without it), older ones recorded
        as skipped. None when there is no such item."""
        ...

    async def claim(self, limit: int, *, article_id: int | None = None) -> list[MessageJob]:
        """Take up to `limit` queued jobs (only those on one item's messages with `article_id`), oldest first."""
        ...

    async def listing(self, chat_id: int, message_id: int) -> list[int]:
        """The items a backlog or digest message lists, in the order taken, withdrawn ones left out."""
        ...

    async def finish(
        self,
        outcomes: Sequence[JobOutcome],
        deleted: Sequence[tuple[int, int]] = (),
        pictures: Sequence[tuple[int, int, str]] = (),
    ) -> None:
        """Record what became of jobs taken, which messages (chat id, message id) are deleted, and the
        picture (chat id, message id, picture) a photo message shows after its media was edited."""
        ...

    async def release(self, job_ids: Sequence[int]) -> None:
        """Put jobs taken but not done back in the queue (superseded when a newer one waits)."""
        ...

    async def requeue_in_flight(self) -> int:
        """After a crash: jobs in flight go again. Returns how many."""
        ...

    async def count_by_state(self) -> dict[str, int]: ...

    async def sent_for_article(self, article_id: int) -> list[SentMessage]: ...

    async def jobs_for_article(self, article_id: int) -> list[tuple[str, str, str | None]]:
        """(action, state, reason) of the jobs on an item's messages, oldest first."""
        ...


class FeedStore(Protocol):
    """Configured feeds with their conditional-request state."""

    async def upsert(self, url: str, topic_slug: str | None = None) -> Feed:
        """A start-up feed (NEWSBOT_FEEDS): listed, its topic set when one is given."""
        ...

    async def add(self, url: str, topic_slug: str | None = None, every: int | None = None) -> tuple[Feed, bool]:
        """An editor's feed: listed, or its topic and interval replaced. True when new."""
        ...

    async def remove(self, url: str) -> bool:
        """Stop polling it; True when it was listed. Its items stay."""
        ...

    async def count_added(self, url: str, added: int) -> None: ...

    async def get(self, url: str) -> Feed | None: ...

    async def all(self) -> list[Feed]: ...

    async def record_poll(
        self, url: str, *, etag: str | None = None, last_modified: str | None = None, error: str | None = None
    ) -> None:
        """Remember a poll: validators from a good answer are kept for the next conditional request."""
        ...


class FullTextStore(Protocol):
    """Items with a link and no body, waiting for their page to be read (bot.runtime.fulltext). Items
    enter in `ArticleStore.upsert_many`'s transaction."""

    async def claim(self, limit: int, *, lease: int, now: int | None = None) -> list[FullTextJob]:
        """Take up to `limit` due items (never tried first), not handed to anyone else for `lease` seconds."""
        ...

    async def job(self, article_id: int) -> FullTextJob | None:
        """The item's entry while its page is still to be read, else None."""
        ...

    async def fill(self, article_id: int, page: PageText) -> bool:
        """Store the page's text (and the picture, author, date the item lacks) with the search
        entry, in one transaction. False when the item is gone or already filled."""
        ...

    async def fail(self, article_id: int, reason: str, *, retry_at: int | None) -> None:
        """A failed attempt: tried again at `retry_at` (UNIX seconds), or given up when None."""
        ...

    async def postpone(self, article_ids: Sequence[int], until: int) -> None:
        """Due at `until` (UNIX seconds), no attempt counted: items the filler claimed (their lease
        released) whose site is not being asked now (it failed again and again, or asked to wait with
        Retry-After). One transaction."""
        ...

    async def next_due(self) -> int | None:
        """When the earliest pending item is due, None when none is pending."""
        ...

    async def count_by_state(self) -> dict[str, int]:
        """Items per state: pending, retrying, done, failed."""
        ...


class LeaderLock(Protocol):
    """Who, among the instances sharing a store, is the leader (runs fan-out, delivery and feed
    polling, so one pace-maker keeps Telegram's per-bot limit). At most one instance holds it."""

    async def try_acquire(self) -> bool:
        """Take the lock if it is free; True when this instance is the leader now."""
        ...

    async def acquire(self) -> None:
        """Wait until this instance is the leader."""
        ...

    async def lost(self) -> None:
        """Return when the held lock is lost (the connection holding it went away)."""
        ...

    async def release(self) -> None:
        """Give the lock up (a clean stop); another instance takes over."""
        ...


class NewsStore(Protocol):
    """The whole store: its repositories, and what concerns all of them."""

    @property
    def topics(self) -> TopicStore: ...

    @property
    def articles(self) -> ArticleStore: ...

    @property
    def readers(self) -> ReaderStore: ...

    @property
    def subscriptions(self) -> SubscriptionStore: ...

    @property
    def words(self) -> WordStore: ...

    @property
    def deliveries(self) -> DeliveryStore: ...

    @property
    def chats(self) -> ChatStore: ...

    @property
    def feeds(self) -> FeedStore: ...

    @property
    def messages(self) -> MessageStore: ...

    @property
    def fulltext(self) -> FullTextStore: ...

    @property
    def is_new(self) -> bool:
        """True when this open created the store."""
        ...

    async def stats(self) -> StoreStats: ...

    async def ping(self) -> None:
        """A trivial query: raises the store's error when the store cannot answer (health checks)."""
        ...

    async def close(self) -> None: ...

    def leader_lock(self) -> LeaderLock:
        """The lock deciding which instance on this store leads (a new one per caller)."""
        ...
