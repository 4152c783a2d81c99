"""What both engines share beyond row conversion (bot.store.rows), engine-neutral: what
`upsert_many` decides for a batch (which item adds, updates, takes over a legacy row or is
unchanged), which items wait for their page's text, how a topic's rules combine, a digest reader
from its row, the meta keys. Each engine only reads what this needs and writes what it decides."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from bot.models import (
    LEGACY_ORIGIN,
    ArticleKind,
    DigestReader,
    ParsedItem,
    StoreStats,
    Topic,
    TopicSpec,
    UpsertOutcome,
    item_origin,
    origin_site,
    site_of,
)
from bot.store import rows
from bot.store.hashing import content_hash

if TYPE_CHECKING:
    from bot.store.protocols import NewsStore

# In meta once a fan-out round has run (SQLite migration 0007): the first round only empties the outbox.
FANOUT_STARTED = "fanout_started"

# Sent messages (migration 0012): the kinds that list several items (rewritten, not deleted, when one
# of them is withdrawn), and the reasons recorded on jobs and deliveries.
LISTING_KINDS = ("backlog", "digest")
TOO_OLD = "too old: past Telegram's 48-hour window"
WITHDRAWN = "withdrawn"


@dataclass(frozen=True, slots=True)
class Stored:
    """What upsert_many needs of a stored row: to compare, to take over, to reindex."""

    id: int
    guid: str
    url: str | None
    content_hash: str
    headline: str
    lead: str
    body: str
    filled: bool = False  # the body came from the item's page (bot.runtime.fulltext), not from its source
    image_url: str | None = None
    withdrawn: bool = False  # an editor withdrew it: a feed bringing it again changes nothing

    def corrected_by(self, item: ParsedItem) -> bool:
        """Does the item, stored over this row, change what its pushes show (headline, lead, picture)?"""
        return (self.headline, self.lead, self.image_url) != (item.headline, item.lead, item.image_url)

    def claimable_by(self, origin: str, digest: str) -> bool:
        """May a legacy row (origin '') become `origin`'s? When that origin's site is the row's
        (its URL's, else its GUID's), or it brings the very same content."""
        if digest == self.content_hash:
            return True
        return origin_site(origin) == (site_of(self.url) or site_of(self.guid))


def needs_page(item: ParsedItem) -> bool:
    """An article stored with a web address and no body: its page is read for the text (bot.runtime.fulltext)."""
    return not item.body and item.kind is ArticleKind.ARTICLE and site_of(item.url) is not None


# -- upsert_many: the decision ------------------------------------------------------------------

Key = tuple[str, str]  # an item's identity: (origin, GUID)


@dataclass(frozen=True, slots=True)
class Write:
    """One article row to insert (`found` None) or update (`found` the row it replaces)."""

    article_id: int
    origin: str
    guid: str
    item: ParsedItem
    body: str
    digest: str
    found: Stored | None = None

    def values(self) -> tuple[object, ...]:
        """The article's columns after (id, origin, guid), in the order both engines' SQL takes:
        url, headline, lead, body, published_at, source, author, outlet, image_url, kind, related,
        content_hash, date_only, modified_at, labels."""
        item = self.item
        return (
            item.url,
            item.headline,
            item.lead,
            self.body,
            rows.ts(item.published_at),
            item.source,
            item.author,
            item.outlet,
            item.image_url,
            item.kind.value,
            rows.related_json(item.related),
            self.digest,
            item.date_only,
            rows.ts(item.modified_at),
            "\n".join(label for label in item.categories if "\n" not in label),
        )


@dataclass(slots=True)
class UpsertPlan:
    """What a batch does, decided before any write: rows to insert and update, legacy rows taken
    over (origin, id), topic links (article id, topic id), items whose page is to be read, and
    each identity's outcome."""

    keys: list[Key]
    inserts: list[Write] = field(default_factory=list)
    updates: list[Write] = field(default_factory=list)
    claims: list[tuple[str, int]] = field(default_factory=list)
    links: list[tuple[int, int]] = field(default_factory=list)
    to_read: list[int] = field(default_factory=list)
    corrected: list[int] = field(default_factory=list)  # updated items whose pushes show something else now
    outcomes: dict[Key, UpsertOutcome] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return bool(self.inserts or self.updates)

    def answers(self) -> list[UpsertOutcome]:
        """One outcome per item of the batch, in its order; a later copy of an identity is "duplicate"."""
        answers: list[UpsertOutcome] = []
        answered: set[Key] = set()
        for key in self.keys:
            outcome = self.outcomes[key]
            if key in answered:
                outcome = UpsertOutcome(outcome.guid, outcome.article_id, "duplicate", outcome.origin)
            answered.add(key)
            answers.append(outcome)
        return answers


def first_of_batch(
    batch: Sequence[tuple[ParsedItem, Sequence[int]]],
) -> tuple[list[Key], dict[Key, tuple[ParsedItem, Sequence[int]]]]:
    """Each item's identity, and the first entry of each identity (a feed lists its newest version first)."""
    keys = [(item_origin(item), item.guid) for item, _ in batch]
    first: dict[Key, tuple[ParsedItem, Sequence[int]]] = {}
    for key, entry in zip(keys, batch, strict=True):
        first.setdefault(key, entry)
    return keys, first


def stored(row: rows.Row) -> Stored:
    """A row of `SELECT id, origin, guid, url, content_hash, headline, lead, body, image_url,
    <withdrawn>, <filled>`."""
    return Stored(
        int(row["id"]),
        row["guid"],
        row["url"],
        row["content_hash"],
        row["headline"],
        row["lead"],
        row["body"],
        bool(row["filled"]),
        row["image_url"],
        bool(row["withdrawn"]),
    )


def plan_upsert(
    keys: list[Key],
    first: Mapping[Key, tuple[ParsedItem, Sequence[int]]],
    existing: Mapping[Key, Stored],
    new_id: Callable[[], int],
) -> UpsertPlan:
    """Decide a batch (`first_of_batch`) against the stored rows of its GUIDs (`existing`, by identity).

    A new identity adds (its id from `new_id`), a known one with other content updates, the same
    content is unchanged. A row stored before identities had origins (origin '') is taken over by
    the first origin that brings its GUID from the same site or with exactly its content. A summary
    again keeps a body read earlier from the item's page. A withdrawn item is never changed again; an
    update that changes what its pushes show (headline, lead, picture) is `corrected`."""
    plan = UpsertPlan(keys)
    taken: set[int] = set()
    for key, (item, topic_ids) in first.items():
        origin, guid = key
        digest = content_hash(item, topic_ids)
        body = rows.body_text(item.body)
        found = existing.get(key)
        if not body and found is not None and found.filled:
            body = found.body  # a summary again: the page's text read earlier stays
        if found is None and origin != LEGACY_ORIGIN:
            legacy = existing.get((LEGACY_ORIGIN, guid))
            if legacy is not None and legacy.id not in taken and legacy.claimable_by(origin, digest):
                found = legacy
                taken.add(legacy.id)
                plan.claims.append((origin, legacy.id))
        if found is None:
            write = Write(new_id(), origin, guid, item, body, digest)
            plan.inserts.append(write)
            plan.outcomes[key] = UpsertOutcome(guid, write.article_id, "added", origin)
        elif found.content_hash == digest or found.withdrawn:  # a withdrawn item stays withdrawn
            plan.outcomes[key] = UpsertOutcome(guid, found.id, "unchanged", origin)
            continue
        else:
            if found.corrected_by(item):
                plan.corrected.append(found.id)
            write = Write(found.id, origin, guid, item, body, digest, found)
            plan.updates.append(write)
            plan.outcomes[key] = UpsertOutcome(guid, write.article_id, "updated", origin)
        if not body and needs_page(item):
            plan.to_read.append(write.article_id)
        plan.links.extend((write.article_id, t) for t in sorted(set(topic_ids)))
    return plan


# -- topics: how rules combine ------------------------------------------------------------------


def joined(values: Sequence[str]) -> str:
    """A topic's keywords, aliases or exclusions as stored: one a line."""
    return "\n".join(values)


def union(old: Sequence[str], new: Sequence[str]) -> str:
    """Both lists, stored, each value once, the old ones first."""
    return joined(list(dict.fromkeys([*old, *new])))


def topic_insert_values(spec: TopicSpec, created_at: int) -> tuple[object, ...]:
    """(slug, name, kind, keywords, aliases, excludes, pin, created_at) of a new topic."""
    return (
        spec.slug,
        spec.name,
        spec.kind.value,
        joined(spec.keywords),
        joined(spec.aliases),
        joined(spec.excludes),
        spec.pin,
        created_at,
    )


def topic_upsert_values(old: Topic, spec: TopicSpec) -> tuple[str, str, str, str, str]:
    """(name, kind, keywords, aliases, excludes) when a source defines a topic again: its name and
    kind set, its rules added to those editors gave it."""
    return (
        spec.name,
        spec.kind.value,
        union(old.keywords, spec.keywords),
        union(old.aliases, spec.aliases),
        union(old.excludes, spec.excludes),
    )


def merged_rules(target: Topic, source: Topic) -> tuple[str, str]:
    """(keywords, aliases) of `target` once `source` is merged into it: the source's keywords its
    keywords, the source's name and aliases its aliases."""
    return union(target.keywords, source.keywords), union(target.aliases, [source.name, *source.aliases])


# -- digests ------------------------------------------------------------------------------------


class Columns(Protocol):
    """A result row read by position (sqlite3.Row, asyncpg.Record)."""

    def __getitem__(self, index: int, /) -> Any: ...


def digest_reader(row: Columns) -> DigestReader:
    """A row of (id, digest_hours, last_digest_at, oldest queued, arabic_digits, quiet_start, quiet_end)."""
    return DigestReader(
        reader_id=int(row[0]),
        digest_hours=tuple(sorted({int(h) for h in str(row[1]).split(",") if h.strip().isdigit()})),
        last_digest_at=row[2],
        oldest_queued_at=int(row[3]),
        arabic_digits=bool(row[4]),
        quiet_start=row[5],
        quiet_end=row[6],
    )


async def store_stats(store: NewsStore) -> StoreStats:
    """`newsbot stats` and /stats: the counts every engine gives through its repositories."""
    by_status = await store.readers.count_by_status()
    return StoreStats(
        topics=await store.topics.count(),
        articles=await store.articles.count(),
        readers=sum(by_status.values()),
        readers_by_status=by_status,
        subscriptions=await store.subscriptions.count(),
        deliveries_by_state=await store.deliveries.count_by_state(),
        subscriptions_by_topic=await store.subscriptions.count_by_topic(),
        fulltext_by_state=await store.fulltext.count_by_state(),
    )
