"""Feed text cleaned like every other text, DTD-subset feeds read safely, /ingest reasons in Arabic."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.devtools.harness import BotHarness
from bot.ingest.parsers.detect import SourceType, detect
from bot.ingest.parsers.feeds import parse_feed
from bot.ingest.reasons import arabic_reason
from bot.ingest.service import ingest_sources
from bot.ingest.text import clean_field
from bot.store import Store
from bot.text.arabic import clean_text

RLO, LRO, PDF, LRI, PDI, ZWSP, ZWNJ, BOM, WJ = (
    "\u202e",
    "\u202d",
    "\u202c",
    "\u2066",
    "\u2069",
    "\u200b",
    "\u200c",
    "\ufeff",
    "\u2060",
)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    s = await Store.open(tmp_path / "news.db")
    yield s
    await s.close()


def _feed(title: str, lead: str = "", guid: str = "g1") -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>اختبار</title>'
        f"<item><title>{title}</title><link>https://e.test/{guid}</link><guid>{guid}</guid>"
        f"<description>{lead}</description></item></channel></rss>"
    ).encode()


@pytest.mark.parametrize(
    "raw",
    [
        f"خبر {RLO}txt.exe{PDF} عاجل",
        f"{LRO}غزة{PDF}{ZWSP} اليوم{BOM}",
        f"عنوان{WJ} {LRI}BBC{PDI}\x07 جديد",
        f"می{ZWNJ}خواهم خبرا",
        "خبر\u200e عادي\u200f",
        "عنوان نظيف تمامًا",
    ],
)
def test_a_field_is_cleaned_as_clean_text_would(raw: str) -> None:
    cleaned = clean_field(raw)
    assert cleaned == clean_text(raw)
    assert not any(ch in cleaned for ch in (RLO, LRO, PDF, LRI, PDI, ZWSP, BOM, WJ, "\x07", "\u200e"))


def test_zwnj_is_kept_for_persian_spelling() -> None:
    assert clean_field(f"می{ZWNJ}خواهم") == f"می{ZWNJ}خواهم"


async def test_feed_titles_and_leads_are_stored_clean(store: Store, tmp_path: Path) -> None:
    feed = tmp_path / "bidi.xml"
    feed.write_bytes(_feed(f"عاجل {RLO}gpj.exe{PDF}{ZWSP} من غزة", f"مقدمة{BOM} فيها {LRO}رموز{PDF}"))
    report = await ingest_sources(store, [str(feed)])
    assert report.added == 1
    stored = await store.articles.by_guid("g1")
    assert stored is not None
    assert stored.headline == "عاجل gpj.exe من غزة" and stored.lead == "مقدمة فيها رموز"


async def test_a_title_of_invisible_characters_only_is_rejected_not_stored(store: Store, tmp_path: Path) -> None:
    feed = tmp_path / "ghost.xml"
    feed.write_bytes(_feed(f"{RLO}{ZWSP}{PDF}", guid="ghost"))
    report = await ingest_sources(store, [str(feed)])
    assert report.added == 0 and [(p.item, p.reason) for p in report.rejected] == [
        ("ghost", "no title (only invisible or control characters)")
    ]


async def test_inline_results_show_a_stored_override_cleaned_and_isolated(harness: BotHarness) -> None:
    """A headline stored raw by an older release is cleaned when offered inline."""
    first = await harness.reader(812).inline("")
    assert first.inline_answer is not None
    shown_id = int(first.inline_answer["results"][0]["id"])
    async with harness.news.store.db.write() as conn:
        await conn.execute("UPDATE articles SET headline = ? WHERE id = ?", (f"{RLO}BBC عاجل{ZWSP}", shown_id))
        await conn.execute("UPDATE content_version SET n = n + 1")
    reply = await harness.reader(812).inline("")
    assert reply.inline_answer is not None
    titles = [r["title"] for r in reply.inline_answer["results"]]
    assert "\u2068BBC\u2069 عاجل" in titles
    assert not any(RLO in t or ZWSP in t for t in titles)


SUBSET = b"""<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE rss [
  <!ENTITY site "RT Arabic">
  <!ENTITY nbsp "&#160;">
]>
<rss version="2.0"><channel><title>&site;</title>
<item><title>\xd8\xae\xd8\xa8\xd8\xb1 &site; \xd8\xa7\xd9\x84\xd9\x8a\xd9\x88\xd9\x85</title>
<link>https://e.test/1</link></item></channel></rss>"""

BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE rss [
<!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">
<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
<!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
<!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">
]>
<rss version="2.0"><channel><title>x</title><item><title>bomb &e;</title><link>https://e.test/b</link></item></channel></rss>"""

EXTERNAL = b"""<?xml version="1.0"?>
<!DOCTYPE rss [ <!ENTITY x SYSTEM "file:///etc/passwd"> ]>
<rss version="2.0"><channel><title>x</title><item><title>leak &x; end</title><link>https://e.test/x</link></item></channel></rss>"""


def test_a_feed_with_an_internal_dtd_subset_is_a_feed() -> None:
    assert detect(SUBSET) is SourceType.FEED
    [item] = parse_feed(SUBSET).items
    assert item.headline == "خبر RT Arabic اليوم" and item.outlet == "RT Arabic"


def test_a_long_subset_past_the_first_kilobytes_is_still_a_feed() -> None:
    filler = b"".join(b'  <!ENTITY e%d "x">\n' % n for n in range(400))
    data = SUBSET.replace(b"]>", filler + b"]>", 1)
    assert len(data) > 8000 and detect(data) is SourceType.FEED


def test_entity_expansion_stays_refused() -> None:
    assert detect(BOMB) is SourceType.FEED
    bomb = parse_feed(BOMB)
    assert all(len(i.headline) < 200 for i in bomb.items)
    assert detect(EXTERNAL) is SourceType.FEED
    leak = parse_feed(EXTERNAL)
    assert all("root:" not in i.headline for i in leak.items)


@pytest.mark.parametrize(
    ("reason", "source", "arabic"),
    [
        (
            "http://a.test/f: refused: a.test resolves to 10.0.0.5, an internal address (private)",
            "http://a.test/f",
            "رُفض: الخادم a.test يشير إلى 10.0.0.5، وهو عنوان داخلي (شبكة خاصة)",
        ),
        (
            "http://a.test/f (redirected to http://127.0.0.1/x): refused: 127.0.0.1 resolves to 127.0.0.1, "
            "an internal address (loopback)",
            "http://a.test/f",
            "رُفض: الخادم 127.0.0.1 يشير إلى 127.0.0.1، وهو عنوان داخلي (الجهاز نفسه) (بعد التحويل إلى http://127.0.0.1/x)",
        ),
        ("http://a.test/f: HTTP 404 Not Found", "http://a.test/f", "أجاب الخادم بالخطأ HTTP 404"),
        ("http://a.test/f: malformed XML: Opening and ending tag mismatch", "http://a.test/f", "ملف XML تالف"),
        (
            "http://a.test/f: unknown content: not RSS/Atom, …",
            "http://a.test/f",
            "محتوى غير معروف: ليس خلاصة RSS/Atom ولا صفحة خبر ولا ملف بذور",
        ),
        ("date in the future (2098-01-01T00:00:00+00:00)", None, "تاريخه في المستقبل (2098-01-01T00:00:00+00:00)"),
        ("no title", None, "بلا عنوان"),
        ("something new", None, "خطأ: something new"),
    ],
)
def test_ingest_reasons_in_arabic(reason: str, source: str | None, arabic: str) -> None:
    assert arabic_reason(reason, source) == arabic
