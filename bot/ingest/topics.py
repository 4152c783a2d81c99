"""Topic matching: which topics an item is filed under, in one pass, from rules kept in the store.

No topic, alias or keyword is defined here: the starting set is the seed file `seeds/00_topics.json`
and editors change it while the bot runs (`newsbot topics …`, `/topic …`). An item lands in:

- the topics its source names explicitly (seed files) and its feed's configured topic;
- every topic whose name or alias equals (after folding) one of the item's category labels, or a
  section of its URL's path (`/middle_east/…`, `/arabic/sports-4310…`);
- every topic with a keyword in its folded headline or lead, as whole words (behind the
  proclitics و ف ب ل ك and their pairs: «بغزة», «وغزة», «لأوكرانيا», «وبالرقة», «للرقة»).

A topic with an exclusion word in the headline or lead gets neither label nor keyword matches.

The cost of matching does not grow with the number of topics: names and aliases are one dict, and
keywords and exclusions are one automaton over words — a dict from a rule's first word to the rules
starting with it — walked once per item. One matcher is built per store version
(:func:`matcher_for`), and every process rebuilds its own when the store's `topic_version` moves.
"""

from __future__ import annotations

import functools
import hashlib
import re
import weakref
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from bot.models import ParsedItem, TopicSpec, TopicStatus
from bot.store.protocols import NewsStore
from bot.text.arabic import fold

_SLUG_OK = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$")
# Arabic letters and digits, Latin letters and digits: the characters of a word.
_WORD = re.compile(r"[0-9a-z\u0621-\u064a\u0660-\u0669\u066e-\u06d3]+")
_PROCLITICS = ("وب", "ول", "وك", "فب", "فل", "و", "ف", "ب", "ل", "ك")
_URL_SEGMENT_ID = re.compile(r"-\d+$")

# Function words: a keyword made only of these would file nearly every item (folded forms).
_STOP_WORDS_TEXT = (
    "في من على إلى الى عن مع ثم أو او أم إن ان أن لا لم لن ما ماذا هل قد لقد كل بعض غير بين عند "
    "هذا هذه ذلك تلك هؤلاء الذي التي الذين اللذان اللتان هو هي هم هن أنا انا نحن أنت انت كان كانت "
    "يكون تكون منذ حتى بعد قبل حول خلال ضد نحو لدى لكن بل إذا اذا كما أي اي ايضا أيضا فقط وقد وفي "
    "the a an of in on at to for and or is are was were be by with from as"
)
STOP_WORDS = frozenset(fold(w) for w in _STOP_WORDS_TEXT.split())


def is_valid_slug(slug: str) -> bool:
    """1-40 characters of a-z, 0-9 and '-', not starting or ending with '-'."""
    return bool(_SLUG_OK.match(slug))


# The characters of a word before folding: the above, upper-case Latin, tashkeel, tatweel and
# extended digits, which fold() maps onto them or drops.
_RAW_WORD = re.compile(
    "[0-9A-Za-z\u0610-\u061a\u0621-\u065f\u0660-\u0669\u066e-\u06dc\u06df-\u06e8\u06ea-\u06ed\u06f0-\u06f9]+"
)


@functools.lru_cache(maxsize=65_536)
def _fold_word(raw: str) -> str:
    """One word as written, folded (its parts joined by a space if folding splits it)."""
    return " ".join(_WORD.findall(fold(raw)))


def folded_words(text: str) -> list[str]:
    """The words of a text after folding (bot.text.arabic.fold), as `_WORD.findall(fold(text))`.

    Folded a word at a time through a cache: a news vocabulary repeats from item to item, and
    folding whole texts was most of the cost of matching."""
    return " ".join(filter(None, map(_fold_word, _RAW_WORD.findall(text)))).split()


@functools.lru_cache(maxsize=65_536)
def _word_forms(raw: str) -> tuple[str, frozenset[str]]:
    """One word as written: folded, and the set of forms a rule's first word may take in it —
    itself, and itself without a one- or two-letter proclitic («وبغزة»: وبغزة, بغزة, غزة), or
    without ل/ول/فل before a dropped alef («للرقة»: الرقة)."""
    folded = _fold_word(raw)
    forms: set[str] = set()
    for word in folded.split():
        forms.add(word)
        if len(word) >= 3 and word[0] in "وفبلك":
            forms.add(word[1:])
            if len(word) >= 4 and word[:2] in _TWO:
                forms.add(word[2:])
        for lam in _LAM:
            if word.startswith(lam + "ل") and len(word) > len(lam) + 1:
                forms.add("ا" + word[len(lam) :])
    return folded, frozenset(forms)


def fold_label(label: str) -> str:
    """A name, alias or category label as compared: folded, lower case, single spaces.
    Remembered: a feed's labels repeat from item to item."""
    if label.isascii():
        return " ".join(label.lower().split())
    return " ".join(fold(label).split())


def slug_for(name: str) -> str:
    """A new topic's slug when none is given: `t-` and 8 hex of its folded name (stable, ASCII)."""
    digest = hashlib.sha1(fold_label(name).encode(), usedforsecurity=False).hexdigest()
    return f"t-{digest[:8]}"


_SEGMENT_LIMIT = 64  # characters of a path segment as written: longer ones are an article's own slug


def url_sections(url: str | None) -> list[str]:
    """The first three path segments of an article URL as labels (`/middle_east/…` → middle_east,
    `/arabic/sports-4310…` → sports), for matching against names and aliases. A long segment is an
    article's own slug, never a section: it is not decoded."""
    if not url:
        return []
    try:
        path = urlsplit(url).path
    except ValueError:
        return []
    found: list[str] = []
    for segment in [s for s in path.split("/") if s][:3]:
        if len(segment) > _SEGMENT_LIMIT:
            continue
        label = _segment_label(segment)
        if label and label not in found:
            found.append(label)
    return found


@functools.lru_cache(maxsize=16_384)
def _segment_label(segment: str) -> str:
    if "%" in segment:
        segment = unquote(segment)
    return fold_label(_URL_SEGMENT_ID.sub("", segment.lower()))


def keyword_problem(keyword: str) -> str | None:
    """Why a keyword (or exclusion word) cannot be a rule, or None when it can."""
    words = folded_words(keyword)
    if not words:
        return f"the keyword {keyword!r} has no letters or digits"
    if sum(len(w) for w in words) < 2:
        return f"the keyword {keyword!r} is a single letter"
    if all(w in STOP_WORDS for w in words):
        return f"the keyword {keyword!r} is made only of stop words"
    return None


_LAM = ("ل", "ول", "فل")  # before a word starting «ال», its alef drops: «للرقة» is ل + الرقة
_TWO = frozenset(p for p in _PROCLITICS if len(p) == 2)


def _written_as(token: str, word: str) -> bool:
    """Is `token` the rule word `word`, bare or behind a proclitic?"""
    if token == word:
        return True
    if token.endswith(word) and token[: len(token) - len(word)] in _PROCLITICS:
        return True
    return word.startswith("ال") and token.endswith(word[1:]) and token[: len(token) - len(word) + 1] in _LAM


@dataclass(frozen=True, slots=True)
class _Rule:
    rest: tuple[str, ...]  # the rule's words after its first
    slugs: tuple[str, ...]
    exclude: bool


class TopicMatcher:
    """Files items under the active topics it was built from (see the module's docstring)."""

    def __init__(self, topics: Sequence[TopicSpec], ids: dict[str, int] | None = None) -> None:
        self.ids: dict[str, int] = dict(ids) if ids is not None else {}
        self._slugs = {t.slug for t in topics} | set(self.ids)
        self._labels: dict[str, list[str]] = {}
        owners: dict[tuple[tuple[str, ...], bool], list[str]] = {}
        for spec in topics:
            for label in (spec.name, *spec.aliases):
                folded = fold_label(label)
                if folded:
                    slugs = self._labels.setdefault(folded, [])
                    if spec.slug not in slugs:
                        slugs.append(spec.slug)
            rules = [(tuple(folded_words(k)), False) for k in spec.keywords]
            rules += [(tuple(folded_words(k)), True) for k in spec.excludes]
            for words, exclude in rules:
                if words:
                    slugs = owners.setdefault((words, exclude), [])
                    if spec.slug not in slugs:
                        slugs.append(spec.slug)
        self._first: dict[str, list[_Rule]] = {}
        for (rule_words, excluding), owner_slugs in owners.items():
            self._first.setdefault(rule_words[0], []).append(_Rule(rule_words[1:], tuple(owner_slugs), excluding))
        self._keys = frozenset(self._first)

    @property
    def slugs(self) -> frozenset[str]:
        return frozenset(self._slugs)

    def scan(self, text: str) -> tuple[list[str], set[str]]:
        """(topics whose keywords the text has, by first appearance; topics it excludes).

        The text's words, and each without a proclitic, form one set; its intersection with the
        rules' first words (a C-level set operation) is all that is looked at further: the cost is
        the text's length, not the number of topics or rules."""
        found: dict[str, None] = {}
        excluded: set[str] = set()
        if not self._first:
            return [], excluded
        forms = list(map(_word_forms, _RAW_WORD.findall(text)))
        hits = self._keys.intersection(frozenset().union(*[f for _, f in forms]))
        if not hits:
            return [], excluded
        joined = " ".join([w for w, _ in forms])
        for word in sorted(hits, key=joined.find) if len(hits) > 1 else hits:
            for rule in self._first[word]:
                if rule.rest and not self._phrase(joined, word, rule.rest):
                    continue
                if rule.exclude:
                    excluded.update(rule.slugs)
                else:
                    found.update(dict.fromkeys(rule.slugs))
        return list(found), excluded

    @staticmethod
    def _phrase(joined: str, word: str, rest: tuple[str, ...]) -> bool:
        """Does a rule of several words occur: `word` (bare or behind a proclitic), then `rest`?"""
        tail = " " + " ".join(rest)
        start = joined.find(tail)
        while start != -1:
            end = start + len(tail)
            if end == len(joined) or joined[end] == " ":
                token = joined[joined.rfind(" ", 0, start) + 1 : start]
                if _written_as(token, word):
                    return True
            start = joined.find(tail, start + 1)
        return False

    def keyword_slugs(self, text: str) -> list[str]:
        """Topics whose keywords the text has (exclusions applied)."""
        found, excluded = self.scan(text)
        return [s for s in found if s not in excluded]

    def label_slugs(self, labels: Iterable[str]) -> list[str]:
        """Topics named (by name or alias) by any of these labels."""
        found: list[str] = []
        for label in labels:
            for slug in self._labels.get(fold_label(label), ()):
                if slug not in found:
                    found.append(slug)
        return found

    def knows_label(self, label: str) -> bool:
        return fold_label(label) in self._labels

    def matched(self, headline: str, lead: str, labels: Iterable[str], url: str | None) -> list[str]:
        """The topics an item's category labels, URL sections and text file it under."""
        found, excluded = self.scan(f"{headline}\n{lead}")
        by_label = self.label_slugs([*labels, *url_sections(url)])
        return [s for s in dict.fromkeys([*by_label, *found]) if s not in excluded]

    def assign(self, item: ParsedItem, feed_topic: str | None = None) -> tuple[str, ...]:
        """The item's topics: those its source names, its feed's, then what its labels and text match."""
        found: list[str] = list(item.topic_slugs)
        if feed_topic:
            found.append(feed_topic)
        found.extend(self.matched(item.headline, item.lead, item.categories, item.url))
        return tuple(dict.fromkeys(s for s in found if s in self._slugs or s in item.topic_slugs))

    def topic_ids(self, item: ParsedItem, feed_topic: str | None = None) -> list[int]:
        """The store ids of the item's topics (only active ones: an ended topic takes no new items)."""
        ids = self.ids
        return [ids[s] for s in self.assign(item, feed_topic) if s in ids]


# One matcher per store object, rebuilt when the store's topic version moves.
_MATCHERS: weakref.WeakKeyDictionary[NewsStore, tuple[int, TopicMatcher]] = weakref.WeakKeyDictionary()


async def matcher_for(store: NewsStore) -> TopicMatcher:
    """The matcher for the store's topics now: the one built before while `topics.version()` is
    unchanged (one indexed read), else a new one — whichever process changed the topics."""
    version = await store.topics.version()
    cached = _MATCHERS.get(store)
    if cached is not None and cached[0] == version:
        return cached[1]
    topics = await store.topics.all()
    active = [t for t in topics if t.state is TopicStatus.ACTIVE]
    ids = {t.slug: t.id for t in active}
    by_id = {t.id: t for t in topics}
    for t in topics:  # a merged topic's slug (a feed's, a seed item's) files under the topic it went into
        target = by_id.get(t.merged_into) if t.merged_into is not None else None
        if t.state is TopicStatus.MERGED and target is not None and target.state is TopicStatus.ACTIVE:
            ids[t.slug] = target.id
    matcher = TopicMatcher([t.spec() for t in active], ids)
    _MATCHERS[store] = (version, matcher)
    return matcher
