"""Ingestion: read each source, detect its type, parse, assign topics, store in batches, report."""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
from tqdm import tqdm

from bot.ingest.fetch import MAX_BYTES, TIMEOUT_SECONDS, Fetched, fetch_client, fetch_url, is_url, read_path
from bot.ingest.parsers.antcorpus import parse_ant
from bot.ingest.parsers.article_html import PARSER as ARTICLE_PARSER
from bot.ingest.parsers.article_html import parse_article_html
from bot.ingest.parsers.detect import SourceType, decode_text, detect
from bot.ingest.parsers.feeds import parse_feed
from bot.ingest.parsers.seedfile import parse_seed_json
from bot.ingest.parsers.seedpage import parse_seed_page
from bot.ingest.result import ParseResult, SourceError
from bot.ingest.text import clean_item
from bot.ingest.topics import TopicMatcher, fold_label, matcher_for
from bot.models import ParsedItem, TopicSpec, item_origin, site_of
from bot.store.protocols import NewsStore

log = logging.getLogger(__name__)

BATCH_SIZE = 1000  # items per transaction
PROGRESS_MIN_ITEMS = 2000  # below this a progress bar is noise


@dataclass(frozen=True, slots=True)
class ItemProblem:
    source: str
    item: str
    reason: str


@dataclass(slots=True)
class IngestReport:
    sources: int = 0
    items: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[ItemProblem] = field(default_factory=list)
    warnings: list[ItemProblem] = field(default_factory=list)
    failed_sources: list[tuple[str, str]] = field(default_factory=list)  # (source, reason)
    not_modified: list[str] = field(default_factory=list)
    topics: int = 0  # topics created or updated from the sources

    def merge(self, other: IngestReport) -> None:
        self.sources += other.sources
        self.items += other.items
        self.added += other.added
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.rejected.extend(other.rejected)
        self.warnings.extend(other.warnings)
        self.failed_sources.extend(other.failed_sources)
        self.not_modified.extend(other.not_modified)
        self.topics += other.topics


def parse_source(
    data: bytes, *, origin: str, url: str | None = None, known_slugs: frozenset[str] = frozenset()
) -> ParseResult:
    """Detect the content's type and parse it; SourceError when it is not a source at all."""
    kind = detect(data)
    if kind is SourceType.FEED:
        return parse_feed(data, origin=origin)
    if kind is SourceType.HTML:
        return parse_article_html(data, origin=origin, url=url)
    if kind is SourceType.SEED_JSON:
        return parse_seed_json(data, origin=origin, known_slugs=known_slugs)
    if kind is SourceType.ANT:
        return parse_ant(decode_text(data), origin=origin)
    return parse_seed_page(decode_text(data), origin=origin)


def source_origin(source: str, parsed: ParseResult) -> str | None:
    """The origin of the items read from `source` (bot.models.item_origin): a fetched feed's or
    file's URL as given, a fetched article page's site; None for a local file (each item's site)."""
    if not is_url(source):
        return None
    if parsed.parser == ARTICLE_PARSER:
        return site_of(source) or source
    return source


def _prepared(items: Sequence[ParsedItem], origin: str | None, source: str, report: IngestReport) -> list[ParsedItem]:
    """The items to store: text cleaned (bot.ingest.text.clean_item), their origin set, and each
    identity once — a later item repeating one is reported and dropped, the first kept (a feed
    lists its newest version of an item first, and the first is what its readers saw first)."""
    kept: list[ParsedItem] = []
    seen: dict[tuple[str, str], int] = {}
    for position, item in enumerate(items, start=1):
        clean_item(item)
        if not item.headline:
            report.rejected.append(ItemProblem(source, item.guid, "no title (only invisible or control characters)"))
            continue
        item.origin = origin
        key = (item_origin(item), item.guid)
        first = seen.setdefault(key, position)
        if first != position:
            report.rejected.append(
                ItemProblem(
                    source,
                    item.guid,
                    f"duplicate: item {position} repeats the GUID of item {first} in this source; the first is kept",
                )
            )
            continue
        kept.append(item)
    return kept


class _Ingestor:
    def __init__(
        self,
        store: NewsStore,
        http: aiohttp.ClientSession | None,
        progress: bool,
        max_bytes: int,
        timeout: float,
        allow_private: bool = False,
    ) -> None:
        self.store = store
        self.http = http
        self.progress = progress
        self.max_bytes = max_bytes
        self.timeout = timeout
        self.allow_private = allow_private
        self.matcher = TopicMatcher(())

    async def load_topics(self) -> None:
        """The matcher for the store's topics as they are now (rebuilt only when they changed,
        whichever process changed them: bot.ingest.topics.matcher_for)."""
        self.matcher = await matcher_for(self.store)

    async def define_topics(self, specs: Sequence[TopicSpec]) -> int:
        """Topics a source defines: a known slug is updated (bot.store.protocols.TopicStore.upsert);
        a new slug whose name is already a topic's name or alias is that topic; the rest are created."""
        known = await self.store.topics.all()
        slugs = {t.slug for t in known}
        names = {fold_label(label) for t in known for label in (t.name, *t.aliases)}
        written = 0
        for spec in specs:
            if spec.slug not in slugs and fold_label(spec.name) in names:
                continue
            await self.store.topics.upsert(spec)
            slugs.add(spec.slug)
            names.update(fold_label(label) for label in (spec.name, *spec.aliases))
            written += 1
        return written

    async def read(self, source: str) -> tuple[Fetched, str | None]:
        if not is_url(source):
            return await asyncio.to_thread(read_path, source, max_bytes=self.max_bytes), None
        feed = await self.store.feeds.get(source)
        etag = feed.etag if feed else None
        last_modified = feed.last_modified if feed else None
        if self.http is None:
            async with fetch_client(allow_private=self.allow_private) as client:
                fetched = await self._fetch(client, source, etag, last_modified)
        else:
            fetched = await self._fetch(self.http, source, etag, last_modified)
        return fetched, feed.topic_slug if feed else None

    async def _fetch(
        self, client: aiohttp.ClientSession, url: str, etag: str | None, last_modified: str | None
    ) -> Fetched:
        return await fetch_url(
            client,
            url,
            etag=etag,
            last_modified=last_modified,
            max_bytes=self.max_bytes,
            deadline_seconds=self.timeout,
            allow_private=self.allow_private,
        )

    async def ingest(self, source: str) -> IngestReport:
        report = IngestReport(sources=1)
        try:
            fetched, feed_topic = await self.read(source)
        except SourceError as exc:
            report.failed_sources.append((source, str(exc)))
            if is_url(source):
                await self.store.feeds.record_poll(source, error=str(exc))
            return report
        if fetched.not_modified:
            report.not_modified.append(source)
            await self.store.feeds.record_poll(source, etag=fetched.etag, last_modified=fetched.last_modified)
            return report
        try:
            parsed = parse_source(
                fetched.data,
                origin=source,
                url=fetched.final_url,
                known_slugs=frozenset(self.matcher.ids),
            )
        except SourceError as exc:
            reason = str(exc) if str(exc).startswith(source) else f"{source}: {exc}"
            report.failed_sources.append((source, reason))
            if is_url(source):
                await self.store.feeds.record_poll(source, error=reason)
            return report
        if is_url(source):
            await self.store.feeds.record_poll(source, etag=fetched.etag, last_modified=fetched.last_modified)
        if parsed.topics:
            report.topics += await self.define_topics(parsed.topics)
        await self.load_topics()  # topics an editor (or this source) changed since the last source
        report.rejected.extend(ItemProblem(source, r.item, r.reason) for r in parsed.rejections)
        report.warnings.extend(ItemProblem(source, r.item, r.reason) for r in parsed.warnings)
        items = _prepared(parsed.items, source_origin(source, parsed), source, report)
        added = report.added
        await self.store_items(items, feed_topic, report)
        if is_url(source):  # a listed feed's count of items added (`newsbot feeds list`)
            await self.store.feeds.count_added(source, report.added - added)
        return report

    async def store_items(self, items: Sequence[ParsedItem], feed_topic: str | None, report: IngestReport) -> None:
        bar = tqdm(
            total=len(items),
            unit="item",
            file=sys.stderr,
            disable=not (self.progress and len(items) >= PROGRESS_MIN_ITEMS),
            desc="ingest",
        )
        with bar:
            for start in range(0, len(items), BATCH_SIZE):
                chunk = items[start : start + BATCH_SIZE]
                matcher = self.matcher
                batch = [(item, matcher.topic_ids(item, feed_topic)) for item in chunk]
                outcomes = await self.store.articles.upsert_many(batch)
                for outcome in outcomes:
                    if outcome.status == "duplicate":
                        continue  # _prepared dropped repeats already; nothing of the store's own
                    report.items += 1
                    if outcome.status == "added":
                        report.added += 1
                    elif outcome.status == "updated":
                        report.updated += 1
                    else:
                        report.unchanged += 1
                bar.update(len(chunk))


async def ingest_sources(
    store: NewsStore,
    sources: Sequence[str],
    *,
    progress: bool = False,
    http: aiohttp.ClientSession | None = None,
    max_bytes: int = MAX_BYTES,
    timeout: float = TIMEOUT_SECONDS,
    allow_private: bool = False,
) -> IngestReport:
    """Ingest every source in order; one unreadable source never stops the others.

    URLs are read from the public web only unless `allow_private` (NEWSBOT_FETCH_ALLOW_PRIVATE);
    see bot.ingest.fetch.
    """
    ingestor = _Ingestor(store, http, progress, max_bytes, timeout, allow_private)
    await ingestor.load_topics()
    report = IngestReport()
    for source in sources:
        report.merge(await ingestor.ingest(source))
    return report


def _seed_files(seeds_dir: Path) -> list[str] | None:
    """The seed files in `seeds_dir` by name, or None when it is not a folder."""
    if not seeds_dir.is_dir():
        return None
    return sorted(str(p) for p in seeds_dir.iterdir() if p.is_file() and not p.name.startswith("."))


async def seed_if_new(store: NewsStore, seeds_dir: Path) -> IngestReport | None:
    """Load every file of `seeds_dir` (sorted by name) into a store that has no articles yet."""
    if await store.articles.count() > 0:
        return None
    files = await asyncio.to_thread(_seed_files, seeds_dir)
    if not files:
        # An empty store answers every reader with nothing: say so, naming the folder.
        why = "does not exist" if files is None else "has no seed files"
        log.warning("seeds folder %s %s: the new store starts without articles", seeds_dir, why)
        return None
    return await ingest_sources(store, files)
