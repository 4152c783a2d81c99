"""The newsroom's topics and feeds, managed while the bot runs: `newsbot topics …` / `newsbot feeds …`
on the command line and `/topic …` / `/feeds` for admins in Telegram both call this service.

Every change is checked first and then made in one store transaction, or refused with a
:class:`Refused` naming the problem (nothing changed). Changes reach every process through the
store's topic version (bot.ingest.topics.matcher_for): the next item ingested anywhere is matched
with them, no restart.

Re-filing: a new topic, alias or keyword files the matching items stored in the last `days` days
under the topic at once (so /topics counts and its pages are right), but never pushes them: only
items stored after a subscription are pushed, through the outbox, which re-filing never touches.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

from lxml import etree

from bot.ingest.topics import (
    TopicMatcher,
    fold_label,
    folded_words,
    is_valid_slug,
    keyword_problem,
    slug_for,
)
from bot.models import Feed, Topic, TopicKind, TopicSpec, TopicStatus
from bot.store.errors import StoreRejected
from bot.store.protocols import NewsStore
from bot.text.arabic import clean_text

NAME_LIMIT = 120  # characters of a topic's name (a button's text stays readable)
ALIAS_LIMIT = 120
KEYWORD_LIMIT = 80
PIN_LIMIT = 1000
DAYS_LIMIT = 3650
EVERY_LIMIT = (30, 86_400)  # seconds between polls of one feed
EXAMPLES = 3  # items a dry run shows
UNMATCHED_LIMIT = 30


class Refused(ValueError):
    """An editor's change that cannot be made; nothing changed.

    ``str()`` is the one English line for the command line; ``code`` and ``subject`` choose and
    fill the Arabic sentence admins see in Telegram (templates/admin_topics.html.j2).
    """

    def __init__(self, code: str, subject: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.subject = subject


@dataclass(frozen=True, slots=True)
class TopicLine:
    topic: Topic
    subscribers: int


@dataclass(frozen=True, slots=True)
class TopicChange:
    """What an add or edit did (or, with dry_run, would do): the topic as it is (would be) and the
    stored items it files under it, with a few of their headlines."""

    topic: Topic | TopicSpec
    filed: int
    examples: tuple[str, ...]
    dry_run: bool


@dataclass(frozen=True, slots=True)
class UnmatchedLabel:
    label: str  # as items wrote it most often
    items: int


@dataclass(frozen=True, slots=True)
class FeedsImport:
    added: int
    updated: int
    refused: tuple[tuple[str, str], ...]  # (url or outline, reason)


def _text(value: str) -> str:
    """An editor's name, alias or keyword as stored: clean text (no bidi overrides or zero-width
    characters, bot.text.arabic.clean_text) on one line. Markup stays literal text: templates escape it."""
    return " ".join(clean_text(value).split())


def _names(topic: Topic | TopicSpec) -> list[str]:
    return [topic.name, *topic.aliases]


class Newsroom:
    """Topics and feeds as data the newsroom changes while the bot runs."""

    def __init__(self, store: NewsStore) -> None:
        self.store = store

    # -- reading ---------------------------------------------------------------------------------

    async def topics(self) -> list[TopicLine]:
        """Every topic that is not merged away, in the readers' order, with its subscribers."""
        counts = await self.store.topics.subscriber_counts()
        return [
            TopicLine(t, counts.get(t.id, 0))
            for t in await self.store.topics.all()
            if t.state is not TopicStatus.MERGED
        ]

    async def topic(self, slug: str) -> Topic:
        """The topic a slug names (unknown, or merged away: refused)."""
        slug = slug.strip()
        found = await self.store.topics.by_slug(slug)
        if found is None:
            raise Refused("unknown_topic", slug, f"no topic has the slug {slug!r} (see `newsbot topics list`)")
        if found.state is TopicStatus.MERGED:
            into = await self.store.topics.by_id(found.merged_into) if found.merged_into is not None else None
            where = into.slug if into else "another topic"
            raise Refused("merged", slug, f"the topic {slug!r} was merged into {where!r}: change that one")
        return found

    # -- changing topics -------------------------------------------------------------------------

    async def add_topic(
        self,
        name: str,
        *,
        slug: str | None = None,
        section: bool = False,
        aliases: Sequence[str] = (),
        keywords: Sequence[str] = (),
        excludes: Sequence[str] = (),
        pin: int | None = None,
        days: int = 7,
        dry_run: bool = False,
    ) -> TopicChange:
        """A new story (or section) with its aliases and keywords; the matching items stored in
        the last `days` days are filed under it (never pushed)."""
        _check_days(days)
        everything = await self.store.topics.all()
        clean_name = self._name(name, everything, None)
        if slug is None:
            slug = slug_for(clean_name)
        slug = slug.strip()
        if not is_valid_slug(slug):
            raise Refused(
                "bad_slug", slug, f"the slug {slug!r} must be 1-40 characters of a-z, 0-9 and '-' (not at either end)"
            )
        if any(t.slug == slug for t in everything):
            raise Refused("slug_taken", slug, f"the slug {slug!r} is taken (slugs are never reused)")
        spec = TopicSpec(
            slug,
            clean_name,
            TopicKind.SECTION if section else TopicKind.STORY,
            self._rules(keywords, "keyword"),
            self._aliases(aliases, everything, None, clean_name),
            self._rules(excludes, "exclusion word"),
            _check_pin(pin),
        )
        ids, examples = await self._refile(spec, frozenset(), days)
        if dry_run:
            return TopicChange(spec, len(ids), examples, True)
        try:
            topic = await self.store.topics.add(spec, ids)
        except StoreRejected as exc:  # another editor took the slug meanwhile
            raise Refused("slug_taken", slug, f"the slug {slug!r} is taken: {exc}") from None
        return TopicChange(topic, len(ids), examples, False)

    async def edit_topic(
        self,
        slug: str,
        *,
        name: str | None = None,
        add_aliases: Sequence[str] = (),
        remove_aliases: Sequence[str] = (),
        add_keywords: Sequence[str] = (),
        remove_keywords: Sequence[str] = (),
        add_excludes: Sequence[str] = (),
        remove_excludes: Sequence[str] = (),
        pin: int | None = None,
        days: int = 7,
        dry_run: bool = False,
    ) -> TopicChange:
        """Rename, add or remove aliases, keywords and exclusion words, pin (0: unpin). Items stored
        in the last `days` days that the topic's rules now match are filed under it (never pushed)."""
        _check_days(days)
        topic = await self.topic(slug)
        everything = await self.store.topics.all()
        new_name = self._name(name, everything, topic) if name is not None else topic.name
        aliases = _without(topic.aliases, remove_aliases, "alias", topic.slug)
        aliases += tuple(a for a in self._aliases(add_aliases, everything, topic, new_name) if a not in aliases)
        keywords = _without(topic.keywords, remove_keywords, "keyword", topic.slug)
        keywords += tuple(k for k in self._rules(add_keywords, "keyword") if k not in keywords)
        excludes = _without(topic.excludes, remove_excludes, "exclusion word", topic.slug)
        excludes += tuple(k for k in self._rules(add_excludes, "exclusion word") if k not in excludes)
        new_pin = topic.pin if pin is None else (None if pin == 0 else _check_pin(pin))
        spec = replace(topic.spec(), name=new_name, aliases=aliases, keywords=keywords, excludes=excludes, pin=new_pin)
        if topic.state is TopicStatus.ACTIVE:
            ids, examples = await self._refile(spec, frozenset({topic.id}), days)
        else:  # an ended topic takes no items, old or new
            ids, examples = [], ()
        if dry_run:
            return TopicChange(spec, len(ids), examples, True)
        return TopicChange(await self.store.topics.change(topic.id, spec, ids), len(ids), examples, False)

    async def archive(self, slug: str) -> Topic:
        """An ended story: out of /topics, no new items, its readers see it ended in /mysubs."""
        return await self.store.topics.set_state((await self.topic(slug)).id, TopicStatus.ARCHIVED)

    async def restore(self, slug: str) -> Topic:
        return await self.store.topics.set_state((await self.topic(slug)).id, TopicStatus.ACTIVE)

    async def merge(self, from_slug: str, into_slug: str) -> Topic:
        """Items, subscriptions (a reader who had both keeps one) and feeds of one topic move into
        another; the merged topic's name and aliases become aliases there, its slug leads there."""
        source, target = await self.topic(from_slug), await self.topic(into_slug)
        if source.id == target.id:
            raise Refused("same_topic", source.slug, f"the topic {source.slug!r} cannot be merged into itself")
        return await self.store.topics.merge(source.id, target.id)

    async def unmatched(self, days: int = 7, limit: int = UNMATCHED_LIMIT) -> list[UnmatchedLabel]:
        """The category labels of items stored in the last `days` days that no topic's name or alias
        matches, most frequent first: each one `edit --add-alias` away from a topic."""
        _check_days(days)
        known = TopicMatcher([t.spec() for t in await self.store.topics.all()])
        counts: Counter[str] = Counter()
        spellings: dict[str, Counter[str]] = {}
        for item in await self.store.topics.stored_since(_since(days)):
            for label in dict.fromkeys(item.labels):
                folded = fold_label(label)
                if folded and not known.knows_label(label):
                    counts[folded] += 1
                    spellings.setdefault(folded, Counter())[" ".join(label.split())] += 1
        return [UnmatchedLabel(spellings[f].most_common(1)[0][0], n) for f, n in counts.most_common(limit)]

    # -- feeds -----------------------------------------------------------------------------------

    async def feeds(self) -> list[Feed]:
        return await self.store.feeds.all()

    async def add_feed(self, url: str, topic: str | None = None, every: int | None = None) -> tuple[Feed, bool]:
        """Poll a feed (every `every` seconds, else NEWSBOT_FEED_INTERVAL), its items filed under
        `topic` besides what they match. True when it is new."""
        url = _feed_url(url)
        slug = (await self.topic(topic)).slug if topic else None
        if every is not None and not EVERY_LIMIT[0] <= every <= EVERY_LIMIT[1]:
            raise Refused(
                "bad_every", str(every), f"--every {every}: seconds between polls, {EVERY_LIMIT[0]} to {EVERY_LIMIT[1]}"
            )
        return await self.store.feeds.add(url, slug, every)

    async def remove_feed(self, url: str) -> None:
        if not await self.store.feeds.remove(url.strip()):
            raise Refused("unknown_feed", url, f"no feed is listed at {url.strip()!r} (see `newsbot feeds list`)")

    async def import_opml(self, data: bytes) -> FeedsImport:
        """Every feed outline of an OPML file (`xmlUrl`; `category` a topic slug), each added or
        updated; an outline that cannot be used is listed with its reason, the rest imported."""
        outlines = parse_opml(data)
        slugs = {t.slug for t in await self.store.topics.all() if t.state is TopicStatus.ACTIVE}
        added = updated = 0
        refused: list[tuple[str, str]] = []
        for url, category, every in outlines:
            topic = category if category in slugs else None
            try:
                _, new = await self.add_feed(url, topic, every)
            except Refused as exc:
                refused.append((url, str(exc)))
                continue
            added += new
            updated += not new
        return FeedsImport(added, updated, tuple(refused))

    async def export_opml(self) -> str:
        return opml(await self.store.feeds.all())

    # -- checks ----------------------------------------------------------------------------------

    @staticmethod
    def _name(raw: str, everything: Sequence[Topic], own: Topic | None) -> str:
        name = _text(raw)
        if not name or not folded_words(name):
            raise Refused("empty_name", raw, "a topic's name needs letters or digits")
        if len(name) > NAME_LIMIT:
            raise Refused(
                "long_name",
                name[:40],
                f"the name is {len(name)} characters long; a topic's name has at most {NAME_LIMIT}",
            )
        taken = _owner(fold_label(name), everything, own)
        if taken is not None:
            raise Refused("name_taken", name, f"the name {name!r} is already the topic {taken.slug!r} ({taken.name})")
        return name

    @staticmethod
    def _aliases(raw: Sequence[str], everything: Sequence[Topic], own: Topic | None, name: str) -> tuple[str, ...]:
        out: list[str] = []
        for value in raw:
            alias = _text(value)
            if not alias or not folded_words(alias):
                raise Refused("empty_alias", value, f"the alias {value!r} has no letters or digits")
            if len(alias) > ALIAS_LIMIT:
                raise Refused("long_alias", alias[:40], f"an alias has at most {ALIAS_LIMIT} characters")
            taken = _owner(fold_label(alias), everything, own)
            if taken is not None:
                raise Refused("alias_taken", alias, f"{alias!r} already names the topic {taken.slug!r} ({taken.name})")
            if fold_label(alias) != fold_label(name) and alias not in out:
                out.append(alias)
        return tuple(out)

    @staticmethod
    def _rules(raw: Sequence[str], what: str) -> tuple[str, ...]:
        out: list[str] = []
        for value in raw:
            rule = _text(value)
            if len(rule) > KEYWORD_LIMIT:
                raise Refused("long_keyword", rule[:40], f"a {what} has at most {KEYWORD_LIMIT} characters")
            problem = keyword_problem(rule)
            if problem is not None:
                raise Refused("bad_keyword", value, problem.replace("the keyword", f"the {what}"))
            if rule not in out:
                out.append(rule)
        return tuple(out)

    async def _refile(self, spec: TopicSpec, own: frozenset[int], days: int) -> tuple[list[int], tuple[str, ...]]:
        """The stored items (last `days` days) the topic's rules match and that are not filed under it."""
        matcher = TopicMatcher([spec])
        ids: list[int] = []
        examples: list[str] = []
        for item in await self.store.topics.stored_since(_since(days)):
            if own & item.topic_ids:
                continue
            if matcher.matched(item.headline, item.lead, item.labels, item.url):
                ids.append(item.id)
                if len(examples) < EXAMPLES:
                    examples.append(item.headline)
        return ids, tuple(examples)


def _owner(folded: str, everything: Sequence[Topic], own: Topic | None) -> Topic | None:
    """The other topic (not merged away) whose name or an alias folds to `folded`."""
    for t in everything:
        if t.state is TopicStatus.MERGED or (own is not None and t.id == own.id):
            continue
        if any(fold_label(n) == folded for n in _names(t)):
            return t
    return None


def _without(current: tuple[str, ...], removed: Sequence[str], what: str, slug: str) -> tuple[str, ...]:
    kept = list(current)
    for value in removed:
        folded = fold_label(value)
        match = next((c for c in kept if fold_label(c) == folded), None)
        if match is None:
            raise Refused("not_there", value, f"the topic {slug!r} has no {what} {value.strip()!r}")
        kept.remove(match)
    return tuple(kept)


def _check_pin(pin: int | None) -> int | None:
    if pin is not None and not 1 <= pin <= PIN_LIMIT:
        raise Refused("bad_pin", str(pin), f"--pin {pin}: a position from 1 to {PIN_LIMIT}, or 0 to unpin")
    return pin


def _check_days(days: int) -> None:
    if not 0 <= days <= DAYS_LIMIT:
        raise Refused("bad_days", str(days), f"--days {days}: from 0 to {DAYS_LIMIT}")


def _since(days: int) -> int:
    return int(time.time()) - days * 86_400


def _feed_url(url: str) -> str:
    url = url.strip()
    try:
        parts = urlsplit(url)
        ok = parts.scheme.lower() in ("http", "https") and bool(parts.hostname)
    except ValueError:
        ok = False
    if not ok or any(c.isspace() for c in url):
        raise Refused("bad_url", url, f"{url!r} is not an http(s) URL")
    return url


# -- OPML (the outline format feed readers exchange) ---------------------------------------------


def parse_opml(data: bytes) -> list[tuple[str, str | None, int | None]]:
    """(xmlUrl, category, newsbotEvery) of every outline with an xmlUrl, in order. Entities are not
    expanded and nothing is fetched (lxml: resolve_entities off, no_network)."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise Refused("bad_opml", "", f"not an OPML file: {exc}") from None
    if not isinstance(root.tag, str) or root.tag.lower() != "opml":
        raise Refused("bad_opml", "", f"not an OPML file: the document is <{root.tag}>, not <opml>")
    found: list[tuple[str, str | None, int | None]] = []
    for outline in root.iter("outline"):
        url = outline.get("xmlUrl") or outline.get("xmlurl")
        if not url:
            continue
        category = (outline.get("category") or "").strip().strip("/").split(",")[0].strip() or None
        every_raw = outline.get("newsbotEvery")
        every = int(every_raw) if every_raw and every_raw.isdigit() else None
        found.append((url.strip(), category, every))
    return found


def opml(feeds: Sequence[Feed]) -> str:
    """The feeds as OPML 2.0: one outline each, its topic as `category`, its interval as `newsbotEvery`."""
    root = etree.Element("opml", version="2.0")
    head = etree.SubElement(root, "head")
    etree.SubElement(head, "title").text = "newsbot feeds"
    body = etree.SubElement(root, "body")
    for feed in feeds:
        outline = etree.SubElement(body, "outline", type="rss", text=feed.url, xmlUrl=feed.url)
        if feed.topic_slug:
            outline.set("category", feed.topic_slug)
        if feed.every:
            outline.set("newsbotEvery", str(feed.every))
    return etree.tostring(root, encoding="unicode", pretty_print=True)
