"""What both engines share beyond row conversion (bot.store.rows), engine-neutral: what
`upsert_many` decides for a batch (which item adds, updates, takes over a legacy row or is
unchanged, and which story a new item belongs to: the same story from several outlets is pushed
and listed once), which items wait for their page's text, how a topic's rules combine, a digest
reader from its row, the meta keys. Each engine only reads what this needs and writes what it decides."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from bot.models import (
    LEGACY_ORIGIN,
    ArticleKind,
    DigestReader,
    ParsedItem,
    ReadingReport,
    StoreStats,
    Topic,
    TopicSpec,
    UpsertOutcome,
    item_origin,
    offered_zone,
    origin_site,
    site_of,
)
from bot.store import rows
from bot.store.errors import StoreRejected
from bot.store.hashing import content_hash
from bot.store.rows import Row
from bot.store.search_terms import query_words
from bot.text.headlines import MIN_SHARED, headline_words, same_story, similarity

if TYPE_CHECKING:
    from bot.store.protocols import NewsStore

# In meta once a fan-out round has run (SQLite migration 0007): the first round only empties the outbox.
FANOUT_STARTED = "fanout_started"

# Sent messages (migration 0012): the kinds that list several items (rewritten, not deleted, when one
# of them is withdrawn), and the reasons recorded on jobs and deliveries.
LISTING_KINDS = ("backlog", "digest")
TOO_OLD = "too old: past Telegram's 48-hour window"
WITHDRAWN = "withdrawn"


def topic_ids_text(topic_ids: Sequence[int]) -> str:
    """A broadcast's targeted topics as its row stores them: sorted ids, comma-separated ('' = everyone)."""
    return ",".join(str(t) for t in sorted(set(topic_ids)))


def topic_ids_of(text: str | None) -> tuple[int, ...]:
    return tuple(int(t) for t in (text or "").split(",") if t.strip())


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


DAY = 86400
MISS_CHARS = 100  # a search that found nothing is kept (folded) up to this many characters


def day_of(ts: int) -> int:
    """The UTC day a UNIX time falls in: the bucket subscription changes and search misses count in."""
    return ts // DAY


def miss_key(query: str) -> str:
    """A search that found nothing, as it is counted: its folded words, at most MISS_CHARS."""
    return " ".join(query_words(query))[:MISS_CHARS].strip()


def checked_zone(name: str | None) -> str | None:
    """A reader's time zone as stored: one offered (bot.models.READER_ZONES) or None (the site's);
    any other name is refused, nothing changed."""
    if not offered_zone(name):
        raise StoreRejected(f"time zone {name!r} is not one readers may choose")
    return name


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


# -- subscriptions gained and lost --------------------------------------------------------------


def subscriptions_counted(column: str, topic: str, day: str, n: str) -> str:
    """SQL for both engines: add `n` to a topic's subscriptions gained or lost (`column`) on a day,
    the placeholders given in the engine's style (a reader's subscribe or leave, and a merge)."""
    if column not in ("gained", "lost"):
        raise ValueError(f"not a subscription count: {column}")
    return (
        f"INSERT INTO subscription_days (topic_id, day, {column}) VALUES ({topic}, {day}, {n}) "
        f"ON CONFLICT (topic_id, day) DO UPDATE SET {column} = subscription_days.{column} + excluded.{column}"
    )


# -- fan-out: what a round may push -------------------------------------------------------------

NO_CUTOFF = -(2**62)  # `fresh_after` not given: every item is fresh enough


def unpushed_story(reader: str) -> str:
    """SQL for both engines' fan-out: the article `a` is its story's first item, or the reader (the
    SQL expression `reader`) has no delivery yet of any item of its story (a story once per reader)."""
    return (
        "(a.duplicate_of IS NULL OR NOT EXISTS (SELECT 1 FROM articles o JOIN deliveries d "
        f"ON d.article_id = o.id AND d.reader_id = {reader} "
        "WHERE o.id = a.duplicate_of OR o.duplicate_of = a.duplicate_of))"
    )


# -- digests ------------------------------------------------------------------------------------


class Columns(Protocol):
    """A result row read by position (sqlite3.Row, asyncpg.Record)."""

    def __getitem__(self, index: int, /) -> Any: ...


def digest_reader(row: Columns) -> DigestReader:
    """A row of (id, digest_hours, last_digest_at, oldest queued, arabic_digits, quiet_start, quiet_end,
    timezone)."""
    return DigestReader(
        reader_id=int(row[0]),
        digest_hours=tuple(sorted({int(h) for h in str(row[1]).split(",") if h.strip().isdigit()})),
        last_digest_at=row[2],
        oldest_queued_at=int(row[3]),
        arabic_digits=bool(row[4]),
        quiet_start=row[5],
        quiet_end=row[6],
        timezone=row[7],
    )


REPORT_ITEMS = 15  # items listed in the reading report
REPORT_MISSES = 10  # searches with no results listed


async def reading_report(store: NewsStore, days: int, now: int) -> ReadingReport:
    """`newsbot stats --days N` and /stats: what readers did with pushes, topics and searches over
    the last `days` days (`now` in UNIX seconds). Counts only: no reader, no reader's words."""
    since = now - days * DAY
    return ReadingReport(
        days=days,
        items=await store.deliveries.reach_since(since, REPORT_ITEMS),
        topics=await store.subscriptions.changes_since(since),
        misses=await store.articles.misses_since(since, REPORT_MISSES),
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
        chats=await store.chats.counts(),
    )


# -- stories: the same story from several outlets (or twice from one), decided at ingest ---------

STORY_WINDOW = 36 * 3600  # two items are compared only when their times are this close (seconds)
# The stories told within a time range (inclusive, two parameters), each by its first item, as
# candidates (an index of first items by time in each engine); each engine writes its placeholders.
# A later copy is near its story's first item by construction, so comparing with the first items
# is enough, and a batch of copies (a feed read again from another address) costs a story each.
STORY_CANDIDATES = (
    "SELECT id, id AS story, story_key, headline, url, kind, coalesce(published_at, stored_at) AS at "
    "FROM articles WHERE coalesce(published_at, stored_at) BETWEEN {} AND {} AND duplicate_of IS NULL"
)


def story_key(headline: str, *, folded: bool = False) -> str:
    """What the store keeps of a headline to compare it later (`bot.text.headlines`)."""
    return " ".join(sorted(headline_words(headline, folded=folded)))


# Query parameters that say how a reader came, not which item it is: dropped when addresses compare.
_TRACKING = ("utm_", "traffic_source", "fbclid", "gclid", "ocid", "cmpid", "at_", "ref", "rss")


def story_url(url: str | None) -> str | None:
    """An item's address as two copies of it compare: host without «www.», path in lower case
    (percent escapes too: RT writes them upper, Al Jazeera lower) without its fragment, final slash
    and tracking parameters («?traffic_source=rss», «utm_…»); other parameters stay (a site may
    number its items in the query). Plain string work: this runs for every item stored."""
    if not url:
        return None
    scheme, sep, rest = url.strip().partition("://")
    if not sep or scheme.lower() not in ("http", "https"):
        return None
    rest, _, query = rest.split("#", 1)[0].lower().partition("?")
    host, _, path = rest.partition("/")
    host = host.rpartition("@")[2].removeprefix("www.")
    if not host:
        return None
    kept = "&".join(sorted(p for p in query.split("&") if p and not p.startswith(_TRACKING)))
    return host + "/" + path.rstrip("/") + ("?" + kept if kept else "")


def story_windows(times: Iterable[int]) -> list[tuple[int, int]]:
    """The time ranges (inclusive) whose stored items a batch's new items may be the same story as:
    each item's time ± STORY_WINDOW, overlapping ranges merged, so one query covers each."""
    merged: list[tuple[int, int]] = []
    for at in sorted(set(times)):
        low, high = at - STORY_WINDOW, at + STORY_WINDOW
        if merged and low <= merged[-1][1]:
            merged[-1] = (merged[-1][0], high)
        else:
            merged.append((low, high))
    return merged


@dataclass(frozen=True, slots=True)
class StoryCandidate:
    """A stored item a new one may repeat: its story (the story's first item), headline words, address."""

    id: int
    story: int
    words: frozenset[str]
    url: str | None
    at: int
    kind: str


def story_candidate(row: Row) -> StoryCandidate:
    """A stored item as a candidate: a row of id, story, story_key, headline, url, kind, at."""
    words = row["story_key"] or story_key(row["headline"])  # '' for rows older than the stories migration
    url = story_url(row["url"])
    return StoryCandidate(row["id"], row["story"], frozenset(words.split()), url, row["at"], row["kind"])


class StoryMatcher:
    """Places each new item of a batch: the story of an earlier item it repeats (its URL, or a
    headline `same_story` as that item's, within STORY_WINDOW and of the same kind): a stored
    story's first item (STORY_CANDIDATES) or an item placed earlier in the batch; else a story of
    its own. Items placed join the candidates, so copies within one batch find each other.

    Candidates are found through the words they share (an inverted index), so a batch compares each
    item with the few stored headlines that share a word with it, not with every one in the window.
    """

    def __init__(self, candidates: Iterable[StoryCandidate] = ()) -> None:
        self._by_word: dict[str, list[StoryCandidate]] = {}
        self._by_url: dict[str, list[StoryCandidate]] = {}
        self._known: set[tuple[int, frozenset[str], str]] = set()
        self.highest = 0  # the highest id placed
        for candidate in candidates:
            self._add(candidate)

    def add(self, candidate: StoryCandidate) -> None:
        """A stored item (the first of its story) to compare new items with."""
        self._add(candidate)

    def _add(self, candidate: StoryCandidate) -> None:
        if candidate.url is not None:
            self._by_url.setdefault(candidate.url, []).append(candidate)
        same = (candidate.story, candidate.words, candidate.kind)
        if same in self._known:  # the story again in the same words: nothing new to match by words
            return
        self._known.add(same)
        for word in candidate.words:
            self._by_word.setdefault(word, []).append(candidate)

    def place(self, article_id: int, item: ParsedItem, at: int, key: str) -> int | None:
        """The story id the new item joins (the id of that story's first item), or None when it
        starts one; either way it becomes a candidate for the rest of the batch."""
        words = frozenset(key.split())
        url = story_url(item.url)
        kind = item.kind.value

        def near(c: StoryCandidate) -> bool:
            return c.kind == kind and abs(c.at - at) <= STORY_WINDOW

        found: StoryCandidate | None = None
        if url is not None:
            found = next((c for c in self._by_url.get(url, ()) if near(c)), None)
        if found is None and len(words) >= MIN_SHARED:
            shared: dict[int, int] = {}
            seen: dict[int, StoryCandidate] = {}
            for word in words:
                for c in self._by_word.get(word, ()):
                    shared[c.id] = shared.get(c.id, 0) + 1
                    seen[c.id] = c
            best = 0.0
            for cid, n in shared.items():
                if n < MIN_SHARED:
                    continue
                c = seen[cid]
                if near(c) and same_story(words, c.words):
                    score = similarity(words, c.words)
                    if score > best or (score == best and found is not None and c.story < found.story):
                        best, found = score, c
        story = found.story if found is not None else article_id
        self.highest = max(self.highest, article_id)
        self._add(StoryCandidate(article_id, story, words, url, at, kind))
        return None if found is None else story


StoryLoad = Callable[[int, int, int], Awaitable[Iterable[Row]]]


class StoryCache:
    """The story candidates one repository keeps between its batches, so a batch reads only the
    stories stored since the last one (by any process), not every story of its time window again:
    a feed polled every few minutes, or a large ingest in batches, costs what it adds.

    It covers one range of times [low, high] completely up to `seen` (the highest article id when
    it last read); a batch outside that range widens it (reading only the new part), and a range
    wider than MAX_SPAN starts again from the batch's own windows. The store calls `matcher` inside
    its write transaction (batches are serialized: ids grow in commit order), within `batch`.
    """

    MAX_SPAN = 4 * 86_400

    def __init__(self) -> None:
        self._matcher: StoryMatcher | None = None
        self._low = self._high = 0
        self._seen = 0
        self._busy = 0  # batches of this repository between their start and their end

    @contextlib.asynccontextmanager
    async def batch(self) -> AsyncIterator[None]:
        """Around a batch's transaction (entered before it, so left after its commit): a batch
        that failed leaves nothing of itself behind (its items were placed, never stored)."""
        self._busy += 1
        try:
            yield
        except BaseException:
            self._matcher = None
            raise
        else:
            if self._matcher is not None:
                self._seen = max(self._seen, self._matcher.highest)
        finally:
            self._busy -= 1

    async def matcher(self, times: list[int], newest_id: int, load: StoryLoad) -> StoryMatcher:
        """Candidates for a batch at these times. `newest_id`: the highest article id now (read
        in the transaction); `load(low, high, after_id)`: the first items of stories stored in
        [low, high] with an id above after_id (STORY_CANDIDATES plus `AND id > after_id`)."""
        windows = story_windows(times)
        if not windows:
            return StoryMatcher()  # nothing new in the batch: nothing to place
        low, high = windows[0][0], windows[-1][1]
        if self._busy > 1:  # another batch of this process is not over: it may still fail
            self._matcher = None
        matcher = self._matcher
        if matcher is not None and max(high, self._high) - min(low, self._low) <= self.MAX_SPAN:
            fresh = list(await load(self._low, self._high, self._seen))  # stored since, by anyone
            if low < self._low:
                fresh += await load(low, self._low - 1, 0)
            if high > self._high:
                fresh += await load(self._high + 1, high, 0)
            for row in fresh:
                matcher.add(story_candidate(row))
            self._low, self._high = min(low, self._low), max(high, self._high)
        elif high - low <= self.MAX_SPAN and self._busy <= 1:
            matcher = self._matcher = StoryMatcher(story_candidate(r) for r in await load(low, high, 0))
            self._low, self._high = low, high
        else:  # a batch spread over years (an archive), or beside another: its own windows, nothing kept
            self._matcher = None
            rows: list[Row] = []
            for w_low, w_high in windows:
                rows += await load(w_low, w_high, 0)
            return StoryMatcher(story_candidate(r) for r in rows)
        self._seen = newest_id
        return matcher


def place_stories(plan: UpsertPlan, stories: StoryMatcher, now: int) -> tuple[list[tuple[str, int | None]], list[str]]:
    """The story columns of a planned batch: (story key, duplicate_of) for each insert, in the plan's
    order (each placed after the ones before it, so copies within the batch find each other), and
    the story key of each update (an update keeps its story; only the key it compares by moves)."""
    placed: list[tuple[str, int | None]] = []
    for write in plan.inserts:
        key = story_key(write.item.headline)
        at = rows.ts(write.item.published_at) or now
        placed.append((key, stories.place(write.article_id, write.item, at, key)))
    return placed, [story_key(write.item.headline) for write in plan.updates]
