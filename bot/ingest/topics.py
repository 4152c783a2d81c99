"""Topic assignment: stable ASCII slugs, known stories and sections, category and keyword rules.

An item lands in: the topics its source names explicitly (seed files, the feed's configured
topic), the sections its category labels map to, and every topic whose Arabic keyword appears in
its folded headline or lead as whole words.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from urllib.parse import urlsplit

from bot.models import ParsedItem, TopicKind, TopicSpec
from bot.text.arabic import fold

_SLUG_OK = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$")

# Known topics of the site: the story strip of the seed page and the standing sections.
# Slugs are chosen by hand (readable, no transliteration rules); unknown names get `t-<8 hex>`.
KNOWN_TOPICS: tuple[TopicSpec, ...] = (
    TopicSpec(
        "afcon-2025",
        "كأس أمم إفريقيا 2025",
        TopicKind.STORY,
        ("كأس أمم إفريقيا", "كأس أمم أفريقيا", "أمم إفريقيا", "أمم أفريقيا"),
    ),
    TopicSpec(
        "northeast-syria",
        "التطورات الميدانية شمال شرق سوريا",
        TopicKind.STORY,
        ("قسد", "الرقة", "الحسكة", "شمال شرق سوريا", "سد الفرات", "سد تشرين", "الجزيرة السورية"),
    ),
    TopicSpec("90-minutes", "90 دقيقة", TopicKind.STORY, ("90 دقيقة",)),
    TopicSpec(
        "trump-gaza-plan",
        "خطة ترامب لإنهاء الحرب في غزة",
        TopicKind.STORY,
        ("غزة", "قطاع غزة", "خطة ترامب", "حماس", "صهر ترامب"),
    ),
    TopicSpec(
        "trump-nato-greenland",
        "ترامب والناتو وامتحان غرينلاند",
        TopicKind.STORY,
        ("غرينلاند", "الناتو", "حلف شمال الأطلسي"),
    ),
    TopicSpec(
        "russia-ukraine",
        "العملية العسكرية الروسية في أوكرانيا",
        TopicKind.STORY,
        ("أوكرانيا", "الأوكرانية", "الأوكراني", "كييف", "زيلينسكي", "دونباس"),
    ),
    TopicSpec("videos", "فيديوهات", TopicKind.SECTION, ("فيديو", "فيديوهات", "بالفيديو")),
    TopicSpec("world", "عربي ودولي", TopicKind.SECTION),
    TopicSpec(
        "middle-east",
        "الشرق الأوسط",
        TopicKind.SECTION,
        ("إيران", "طهران", "لبنان", "بيروت", "إسرائيل", "الخليج", "مضيق هرمز", "اليمن", "الحوثيين"),
    ),
    TopicSpec("economy", "اقتصاد", TopicKind.SECTION, ("الاقتصاد العالمي", "أدنوك", "النفط", "بنك", "التجارة")),
    TopicSpec(
        "sport",
        "رياضة",
        TopicKind.SECTION,
        ("كرة القدم", "كرة السلة", "كرة الطائرة", "ملعب", "ميلان", "برشلونة", "ميدالية", "مصارع"),
    ),
    TopicSpec("culture", "ثقافة وفن", TopicKind.SECTION, ("السينما", "سينمائي", "الفيلم", "مهرجان")),
    TopicSpec(
        "technology",
        "تكنولوجيا",
        TopicKind.SECTION,
        ("آيفون", "فيسبوك", "الذكاء الاصطناعي", "أندرويد", "الأندرويد", "المدن الذكية", "ناسا"),
    ),
    TopicSpec("health", "صحة", TopicKind.SECTION, ("البشرة", "فيروس كورونا", "كورونا")),
    TopicSpec("local", "محليات", TopicKind.SECTION),
)

_KNOWN_BY_NAME = {fold(t.name): t for t in KNOWN_TOPICS}

# Category labels seen in feeds and corpora (Arabic and English), folded/lowercased → section slug.
CATEGORY_SECTIONS: dict[str, str] = {
    **{
        fold(label): slug
        for slug, labels in {
            "world": (
                "عربي ودولي",
                "دولي",
                "العالم",
                "أخبار العالم",
                "world",
                "internationalnews",
                "international",
                "arab-and-world",
            ),
            "middle-east": ("الشرق الأوسط", "middleeast", "middle east", "middle_east", "middle-east", "عربي"),
            "economy": ("اقتصاد", "الاقتصاد", "أسواق", "economy", "business", "aswaq"),
            "sport": ("رياضة", "الرياضة", "sport", "sports", "international-sport", "other-sport"),
            "culture": ("ثقافة وفن", "ثقافة", "فن", "culture", "art-and-culture", "culture-and-art", "arts"),
            "technology": ("تكنولوجيا", "علوم وتكنولوجيا", "تقنية", "technology", "science-and-tech", "tech"),
            "health": ("صحة", "health", "women"),
            "videos": ("فيديوهات", "فيديو", "video", "videos"),
            "local": ("محليات", "localnews", "local", "society", "politic", "diverse"),
        }.items()
        for label in labels
    }
}


_URL_SEGMENT_ID = re.compile(r"-\d+$")


def url_sections(url: str | None) -> list[str]:
    """Sections named by the first path segments of an article URL (`/middle_east/…`, `/arabic/sports-4310…`)."""
    if not url:
        return []
    path = urlsplit(url).path
    found: list[str] = []
    for segment in [s for s in path.split("/") if s][:3]:
        section = CATEGORY_SECTIONS.get(_URL_SEGMENT_ID.sub("", segment.lower()))
        if section is not None and section not in found:
            found.append(section)
    return found


def is_valid_slug(slug: str) -> bool:
    return bool(_SLUG_OK.match(slug))


def slug_for(name: str) -> str:
    """The slug of a topic name: the hand-made one for a known topic, else `t-` + 8 hex of its fold."""
    known = _KNOWN_BY_NAME.get(fold(name.strip()))
    if known is not None:
        return known.slug
    digest = hashlib.sha1(fold(" ".join(name.split())).encode(), usedforsecurity=False).hexdigest()
    return f"t-{digest[:8]}"


def topic_for_name(name: str, kind: TopicKind = TopicKind.STORY) -> TopicSpec:
    """The TopicSpec for a name read from a page: the known one (with its keywords), else a new one."""
    known = _KNOWN_BY_NAME.get(fold(name.strip()))
    if known is not None:
        return known
    return TopicSpec(slug_for(name), " ".join(name.split()), kind)


# Arabic letters and digits count as word characters; a keyword must not be glued to another word,
# except behind the proclitics و ف ب ل ك and their pairs («بغزة», «وغزة», «لأوكرانيا», «وبالرقة»).
_WORD_CHARS = r"0-9a-z\u0621-\u064a\u0660-\u0669\u066e-\u06d3"
_PROCLITICS = "وب|ول|وك|فب|فل|و|ف|ب|ل|ك"
_SPACE_RUN = re.compile(r"\s+")


class TopicAssigner:
    """Assigns topic slugs to items from the known topics and the topics a store or seed defines.

    All keywords of all topics are folded into one alternation (longest first) and searched in one
    pass over the folded text; each matched keyword maps back to its topics.
    """

    def __init__(self, topics: Sequence[TopicSpec] = KNOWN_TOPICS) -> None:
        self._slugs: set[str] = set()
        self._by_keyword: dict[str, list[str]] = {}
        for spec in topics:
            self._slugs.add(spec.slug)
            for keyword in spec.keywords:
                folded = " ".join(fold(keyword).split())
                if folded:
                    owners = self._by_keyword.setdefault(folded, [])
                    if spec.slug not in owners:
                        owners.append(spec.slug)
        self._pattern: re.Pattern[str] | None = None
        if self._by_keyword:
            ordered = sorted(self._by_keyword, key=len, reverse=True)
            alternatives = "|".join(re.escape(k).replace(r"\ ", r"\s+") for k in ordered)
            self._pattern = re.compile(rf"(?<![{_WORD_CHARS}])(?:{_PROCLITICS})?({alternatives})(?![{_WORD_CHARS}])")

    @property
    def slugs(self) -> frozenset[str]:
        return frozenset(self._slugs)

    def keyword_slugs(self, text: str) -> list[str]:
        if self._pattern is None:
            return []
        found: list[str] = []
        for match in self._pattern.finditer(fold(text)):
            for slug in self._by_keyword[_SPACE_RUN.sub(" ", match.group(1))]:
                if slug not in found:
                    found.append(slug)
        return found

    def assign(self, item: ParsedItem, feed_topic: str | None = None) -> tuple[str, ...]:
        found: list[str] = list(item.topic_slugs)
        if feed_topic:
            found.append(feed_topic)
        for label in item.categories:
            section = CATEGORY_SECTIONS.get(fold(label.strip()))
            if section is not None:
                found.append(section)
        found.extend(url_sections(item.url))
        found.extend(self.keyword_slugs(f"{item.headline}\n{item.lead}"))
        return tuple(dict.fromkeys(s for s in found if s in self._slugs or s in item.topic_slugs))
