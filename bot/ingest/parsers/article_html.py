"""Article pages (HTML): main text and metadata extracted with trafilatura, then cleaned.

trafilatura finds the main text; this module keeps only the article's own paragraphs (comment
policies, «اقرأ أيضًا» boxes, share prompts and newsletter pleas are dropped), takes the lead the
page marks as its description when trafilatura left it out, and reads the dates from the page's
metadata itself (JSON-LD, `<meta>`, `<time>`, else the date in the page's address) with their time
zone: a date given without a time is kept as a date only (`ParsedItem.date_only`), never given an
invented time, and a copyright year is never taken for a publication date.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from typing import Any

import trafilatura
from lxml import etree

from bot.ingest.result import ParseResult, Rejection
from bot.models import ParsedItem

PARSER = "trafilatura"
MIN_TEXT_CHARS = 200  # less main text than this is a navigation or index page, not an article
MIN_ARABIC_SHARE = 0.5  # of the letters in the text; less is a page in another language
_BAD_AUTHOR = re.compile(r"https?|logo|\.png|\.jpg|;", re.IGNORECASE)
_SPACES = re.compile(r"\s+")
_ARABIC_LETTER = re.compile(r"[\u0621-\u064A\u0671-\u06D3\u06FA-\u06FF]")
_LETTER = re.compile(r"[^\W\d_]")

# Paragraphs that are the site's, not the article's. Each is matched against a whole paragraph.
_BOILERPLATE = tuple(
    re.compile(pattern, re.IGNORECASE)
    for pattern in (
        # comment policies («ترحب شبكة CNN بالنقاش الحيوي…», «الآراء الواردة أدناه لا تعبر…»)
        r"ترحب .{0,40}بالنقاش",
        r"(التعليقات|تعليقات|مشاركاتك).{0,200}(إرشادات|ارشادات|سياسة الخصوصية|شروط الاستخدام)",
        r"الآراء الواردة.{0,80}(لا تعبر|لا تعكس)",
        r"^(أضف|اكتب|اترك) (تعليقك|تعليقا|تعليقًا)",
        # «read also» boxes
        r"^\W*(اقرأ|إقرأ|اقرا|طالع) (أيضا|أيضًا|ايضا|المزيد|كذلك)\b",
        r"^\W*(read (also|more)|see also|related)\b",
        r"^\W*(ذات صلة|مواضيع ذات صلة|أخبار ذات صلة|قد يهمك)\W*$",
        # share prompts and follow pleas
        r"^\W*(شارك|شاركوا|انشر) (هذا|الخبر|المقال|على)",
        r"^\W*(share (this|on)|follow us|click here)\b",
        r"^\W*(تابعونا|تابعوا|تابعنا) (على|عبر)",
        r"^\W*(لمتابعة|للمزيد من) (آخر )?(الأخبار|أخبار)",
        # newsletter pleas
        r"(اشترك|اشتركوا|سجّل|سجل) (في|ب|معنا في )?(النشرة|نشرتنا|القائمة البريدية)",
        r"النشرة (البريدية|الإخبارية)",
        r"\b(subscribe to|sign up for) (our )?newsletter",
        # a copyright or rights line
        r"^\W*(©|جميع الحقوق محفوظة|all rights reserved)",
    )
)


@dataclass(frozen=True, slots=True)
class PageDate:
    at: datetime  # aware, UTC
    date_only: bool  # the page gave a day, not a time


def _clean_title(title: str, sitename: str | None) -> str:
    title = _SPACES.sub(" ", title).strip()
    if sitename:
        for sep in (" - ", " | ", " – "):
            suffix = f"{sep}{sitename.strip()}"
            if title.endswith(suffix):
                return title[: -len(suffix)].strip()
    return title


# -- dates ---------------------------------------------------------------------------------------

_ISO = re.compile(
    r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})"
    r"(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?\s*(Z|[+-]\d{2}:?\d{2}|GMT|UTC)?)?\s*$",
    re.IGNORECASE,
)
_PUBLISHED_META = (
    "article:published_time",
    "og:published_time",
    "datepublished",
    "pubdate",
    "publishdate",
    "publish-date",
    "publish_date",
    "dc.date.issued",
    "dcterms.issued",
    "dc.date",
    "sailthru.date",
    "parsely-pub-date",
)
_MODIFIED_META = ("article:modified_time", "og:updated_time", "datemodified", "lastmod", "dcterms.modified")
# /2013/middle_east/8/3/ (CNN), /story/2020/8/24/ (Youm7), /2020/08/24/, /2020-08-24
_URL_DATE = re.compile(r"/((?:19|20)\d{2})/(?:[A-Za-z_-]+/)?(\d{1,2})/(\d{1,2})/|/((?:19|20)\d{2})-(\d{2})-(\d{2})\b")


def parse_page_date(value: str | None, tz: tzinfo = UTC) -> PageDate | None:
    """An ISO 8601 date from a page's metadata: its own offset when it has one, else `tz` (the
    site's zone); a bare day is a date only."""
    if not value:
        return None
    m = _ISO.match(value)
    if m is None:
        return None
    year, month, day = int(m.group(1)), int(m.group(2)), int(m.group(3))
    try:
        if m.group(4) is None:
            return PageDate(datetime(year, month, day, tzinfo=UTC), True)
        hour, minute, second = int(m.group(4)), int(m.group(5)), int(m.group(6) or 0)
        zone = m.group(7)
        if zone is None:
            aware = datetime(year, month, day, hour, minute, second, tzinfo=tz)
        elif zone.upper() in ("Z", "GMT", "UTC"):
            aware = datetime(year, month, day, hour, minute, second, tzinfo=UTC)
        else:
            sign = -1 if zone[0] == "-" else 1
            offset = timedelta(hours=int(zone[1:3]), minutes=int(zone[-2:]))
            aware = datetime(year, month, day, hour, minute, second, tzinfo=timezone(sign * offset))
    except ValueError:
        return None
    if not 1990 <= aware.year <= 2100:
        return None
    return PageDate(aware.astimezone(UTC), False)


@dataclass(frozen=True, slots=True)
class PageTags:
    """What the metadata readers look at, gathered from the tree in one pass: every `<meta>`'s content
    under each of its property/name/itemprop keys (lower case, in page order) and every JSON-LD object.

    Looking each name up with its own XPath walked the whole tree 14 times a page (a fifth of the
    extraction's CPU on the saved pages), and each JSON-LD script was decoded once per field."""

    metas: dict[tuple[str, str], list[str]]
    json_ld: tuple[dict[str, Any], ...]

    @classmethod
    def of(cls, tree: Any) -> PageTags:
        metas: dict[tuple[str, str], list[str]] = {}
        for meta in tree.iter("meta"):
            content = meta.get("content")
            if not content:
                continue
            for attr in _META_KEYS:
                key = meta.get(attr)
                if key:
                    metas.setdefault((attr, key.translate(_ASCII_LOWER)), []).append(content)
        return cls(metas, tuple(_json_ld(tree)))

    def meta_values(self, names: tuple[str, ...]) -> Iterator[str]:
        """The contents of the `<meta>` tags with one of `names`: by name, then property, name, itemprop."""
        for name in names:
            for attr in _META_KEYS:
                yield from self.metas.get((attr, name), ())


_META_KEYS = ("property", "name", "itemprop")
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")  # as XPath's translate()


def _json_ld(tree: Any) -> Iterator[dict[str, Any]]:
    for script in tree.xpath("//script[@type='application/ld+json']"):
        try:
            data = json.loads(script.text or "")
        except ValueError:
            continue
        stack = [data]
        while stack:
            node = stack.pop()
            if isinstance(node, list):
                stack.extend(node)
            elif isinstance(node, dict):
                yield node
                stack.extend(v for v in node.values() if isinstance(v, (dict, list)))


def page_dates(
    tree: Any, url: str | None, tz: tzinfo = UTC, tags: PageTags | None = None
) -> tuple[PageDate | None, PageDate | None]:
    """(published, modified) from the page's metadata; published falls back to the address."""
    found = tags or PageTags.of(tree)

    def first(values: Iterator[str]) -> PageDate | None:
        for value in values:
            found = parse_page_date(value, tz)
            if found is not None:
                return found
        return None

    def ld(key: str) -> Iterator[str]:
        for node in found.json_ld:
            value = node.get(key)
            if isinstance(value, str):
                yield value

    def time_elements(prop: str) -> Iterator[str]:
        for element in tree.xpath(f"//time[@itemprop='{prop}'][@datetime]"):
            yield element.get("datetime")

    published = (
        first(ld("datePublished"))
        or first(found.meta_values(_PUBLISHED_META))
        or first(time_elements("datePublished"))
        or first(ld("dateCreated"))
    )
    modified = (
        first(ld("dateModified")) or first(found.meta_values(_MODIFIED_META)) or first(time_elements("dateModified"))
    )
    if published is None and url:
        published = url_date(url)
    return published, modified


def url_date(url: str) -> PageDate | None:
    """The day an address carries («/2013/middle_east/8/3/» is 3 August 2013), as a date only."""
    m = _URL_DATE.search(url)
    if m is None:
        return None
    parts = [g for g in m.groups() if g is not None]
    try:
        return PageDate(datetime(int(parts[0]), int(parts[1]), int(parts[2]), tzinfo=UTC), True)
    except ValueError:
        return None


# -- the rest of the metadata --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PageMeta:
    title: str | None
    sitename: str | None
    url: str | None
    author: str | None
    image: str | None
    categories: tuple[str, ...]


def _ld_text(value: Any) -> str | None:
    """A JSON-LD value as text: a string, or the `name` (or `url`) of an object or the first of a list."""
    if isinstance(value, list):
        value = next((v for v in value if v), None)
    if isinstance(value, dict):
        value = value.get("name") or value.get("url")
    return value.strip() if isinstance(value, str) and value.strip() else None


def page_meta(tree: Any, url: str | None, tags: PageTags | None = None) -> PageMeta:
    """Title, outlet, address, author, picture and sections from the page's own metadata (Open
    Graph, Twitter cards, `<meta>`, JSON-LD, `<link rel=canonical>`, `<title>`), as the dates are.

    trafilatura's own metadata pass reads the same tags and then searches the whole page for a byline
    and the date (htmldate): on the saved pages it was about 60 % of the extraction's CPU time, for
    no more than these tags give (tests/unit/test_parse_article_html.py)."""
    found = tags or PageTags.of(tree)

    def first(*values: Iterator[str] | str | None) -> str | None:
        for value in values:
            for text in [value] if isinstance(value, str) or value is None else value:
                if text and text.strip():
                    return _SPACES.sub(" ", text).strip()
        return None

    def ld(*keys: str) -> Iterator[str]:
        for node in found.json_ld:
            for key in keys:
                text = _ld_text(node.get(key))
                if text:
                    yield text

    def publisher() -> Iterator[str]:
        for node in found.json_ld:
            text = _ld_text(node.get("publisher"))
            if text and not text.startswith("http"):
                yield text

    sitename = first(found.meta_values(("og:site_name",)), publisher(), found.meta_values(("application-name",)))
    if sitename is None:
        handle = first(found.meta_values(("twitter:site",)))
        if handle:
            handle = handle.lstrip("@")
            sitename = handle.title() if "." not in handle and not handle[0].isupper() else handle
    author = first(found.meta_values(("author", "article:author", "dc.creator")), ld("author", "creator"))
    if author and (" " not in author or _BAD_AUTHOR.search(author)):
        author = None  # one word is a handle or a site's name; a link or a logo is not a name
    return PageMeta(
        title=first(
            found.meta_values(("og:title", "twitter:title")),
            ld("headline"),
            tree.findtext(".//title"),
            (h.text_content() for h in tree.xpath("//h1")),
        ),
        sitename=sitename,
        url=first(
            (link.get("href") for link in tree.xpath("//link[@rel='canonical'][@href]")),
            found.meta_values(("og:url",)),
            url,
        ),
        author=author,
        image=first(
            found.meta_values(("og:image", "og:image:url", "twitter:image", "twitter:image:src")),
            ld("image", "thumbnailUrl"),
        ),
        categories=tuple(dict.fromkeys(found.meta_values(("article:section",))))
        or tuple(dict.fromkeys(ld("articleSection"))),
    )


# -- text ----------------------------------------------------------------------------------------


def is_boilerplate(paragraph: str) -> bool:
    """True for a paragraph that is the site's (comment policy, read-also, share, newsletter)."""
    return any(pattern.search(paragraph) for pattern in _BOILERPLATE)


def arabic_share(text: str) -> float:
    letters = len(_LETTER.findall(text))
    return len(_ARABIC_LETTER.findall(text)) / letters if letters else 0.0


def _marked_lead(tree: Any) -> str | None:
    """A lead the page marks as the article's description (`itemprop="description"` on an element,
    not a meta tag): trafilatura often leaves it out of the main text."""
    for element in tree.xpath("//*[@itemprop='description'][not(self::meta)]"):
        text = _SPACES.sub(" ", element.text_content()).strip()
        if len(text) >= 40:
            return text
    return None


def _parse_tree(data: bytes | str) -> Any:
    """The page as trafilatura decodes it (its charset detection), parsed once and shared."""
    try:
        return trafilatura.load_html(data)
    except (etree.ParserError, ValueError):
        return None


def parse_article_html(
    data: bytes | str, *, origin: str = "page", url: str | None = None, tz: tzinfo = UTC
) -> ParseResult:
    """The article on a page, or a rejection naming why there is none.

    `tz` is the zone of a time the page gives without an offset (the site's zone).
    """
    result = ParseResult(parser=PARSER)
    tree = _parse_tree(data)
    if tree is None:
        result.rejections.append(Rejection(origin, "no article found on the page (it is not HTML)"))
        return result
    # fast: without the fallback extractors (readability, jusText), a third less CPU for the same text
    # on the saved pages (tests/unit/test_parse_article_html.py measures it against its oracles); the
    # metadata comes from the page's tags (page_meta, page_dates), not trafilatura's slower pass.
    # trafilatura works on its own copy of a tree it is given (bare_extraction copies it), so the
    # page's tags are read from this one afterwards.
    doc = trafilatura.bare_extraction(
        tree,
        url=url,
        with_metadata=False,
        include_comments=False,
        include_tables=False,
        favor_precision=True,
        fast=True,
    )
    text = getattr(doc, "text", None) or ""
    paragraphs = [p for p in (_SPACES.sub(" ", line).strip() for line in text.split("\n")) if p]
    paragraphs = [p for p in paragraphs if not is_boilerplate(p)]
    lead = _marked_lead(tree)
    if lead and paragraphs and lead[:40] not in " ".join(paragraphs):
        paragraphs.insert(0, lead)
    kept = "\n".join(paragraphs)
    if doc is None or len(kept) < MIN_TEXT_CHARS:
        result.rejections.append(Rejection(origin, f"no article found on the page (main text {len(kept)} chars)"))
        return result
    if arabic_share(kept) < MIN_ARABIC_SHARE:
        result.rejections.append(Rejection(origin, "the page is not in Arabic"))
        return result
    tags = PageTags.of(tree)
    meta = page_meta(tree, url, tags)
    title = _clean_title(meta.title or "", meta.sitename)
    if not title:
        result.rejections.append(Rejection(origin, "no title on the page"))
        return result
    published, modified = page_dates(tree, meta.url or url, tz, tags)
    result.items.append(
        ParsedItem(
            guid=meta.url or f"page:{title}",
            headline=title,
            url=meta.url,
            lead=paragraphs[0],
            body=tuple(paragraphs[1:]),
            published_at=published.at if published else None,
            date_only=published.date_only if published else False,
            modified_at=modified.at if modified else None,
            author=meta.author,
            outlet=meta.sitename,
            image_url=meta.image,
            categories=meta.categories,
        )
    )
    return result
