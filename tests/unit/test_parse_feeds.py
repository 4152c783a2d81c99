from datetime import UTC, datetime

import pytest

from bot.ingest.parsers.feeds import compare_parsers, parse_feed, read_feed
from bot.ingest.result import SourceError
from tests.conftest import DATA as ARABIC_NEWS

DATA = ARABIC_NEWS / "feeds"
FEEDS = {
    "rt-arabic.xml": ("RT Arabic", 10),
    "sky-news-arabia.xml": ("Sky News Arabia", 15),
    "al-jazeera.xml": ("Al Jazeera", 10),
}
NOW = datetime(2026, 6, 1, tzinfo=UTC)


def _rss(items: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
        f"<title>Test Outlet - Article Feed</title>{items}</channel></rss>"
    ).encode()


@pytest.mark.parametrize("name", sorted(FEEDS))
def test_real_feeds_parse_completely(name: str) -> None:
    outlet, count = FEEDS[name]
    result = parse_feed((DATA / name).read_bytes(), origin=name, now=NOW)
    assert result.parser == "fastfeedparser"
    assert not result.rejections and not result.warnings
    assert len(result.items) == count
    for item in result.items:
        assert item.outlet == outlet
        assert item.headline and item.lead and item.url
        assert item.guid == item.url  # the GUIDs repeat the links
        assert item.published_at is not None and item.published_at.tzinfo is not None
    assert len({i.guid for i in result.items}) == count


@pytest.mark.parametrize("name", sorted(FEEDS))
def test_fast_parser_agrees_with_feedparser_on_real_feeds(name: str) -> None:
    assert compare_parsers((DATA / name).read_bytes(), "fastfeedparser") == []


def test_rt_feed_fields() -> None:
    items = parse_feed((DATA / "rt-arabic.xml").read_bytes(), now=NOW).items
    first = items[0]
    assert first.headline == "6 قتلى و29 مصابا في غارات إسرائيلية على مناطق في صور وصيدا جنوب لبنان"
    assert first.published_at == datetime(2026, 3, 24, 23, 31, 31, tzinfo=UTC)
    assert first.image_url == "https://mf.b37mrtl.ru/media/pics/2026.03/original/69c31d324c59b7684a68c189.jpg"
    assert any(i.headline.startswith('"وول ستريت جورنال"') for i in items)


def test_al_jazeera_breaking_item_and_no_enclosures() -> None:
    items = parse_feed((DATA / "al-jazeera.xml").read_bytes(), now=NOW).items
    assert all(i.image_url is None for i in items)
    breaking = [i for i in items if i.headline.startswith("عاجل |")]
    assert len(breaking) == 1 and breaking[0].lead == "التفاصيل بعد قليل.."


def test_script_markup_in_title_is_kept_as_text_and_description_is_stripped() -> None:
    data = _rss(
        "<item><title>&lt;script&gt;alert(1)&lt;/script&gt; خبر &amp;amp; &quot;عاجل&quot;</title>"
        "<link>https://example.org/1</link>"
        "<description><![CDATA[<p>فقرة &amp; <b>عريض</b></p><script>steal()</script>]]></description>"
        "<pubDate>Tue, 24 Mar 2026 23:31:31 +0000</pubDate></item>"
    )
    (item,) = parse_feed(data, now=NOW).items
    assert item.headline == '<script>alert(1)</script> خبر &amp; "عاجل"'
    assert item.lead == "فقرة & عريض"
    assert item.outlet == "Test Outlet"


def test_item_without_title_is_rejected_and_others_kept() -> None:
    data = _rss(
        "<item><link>https://example.org/a</link><description>بلا عنوان</description></item>"
        "<item><title>خبر</title><link>https://example.org/b</link></item>"
    )
    result = parse_feed(data, now=NOW)
    assert [i.guid for i in result.items] == ["https://example.org/b"]
    assert [(r.item, r.reason) for r in result.rejections] == [("https://example.org/a", "no title")]


def test_unparseable_date_is_a_warning_and_item_stored_undated() -> None:
    data = _rss("<item><title>خبر</title><link>https://example.org/a</link><pubDate>أمس مساء</pubDate></item>")
    result = parse_feed(data, now=NOW)
    assert result.parser == "feedparser"  # the fast parser drops the text, feedparser keeps it
    assert result.items[0].published_at is None
    assert "unparseable date" in result.warnings[0].reason and "أمس مساء" in result.warnings[0].reason


def test_future_date_is_rejected() -> None:
    data = _rss(
        "<item><title>من المستقبل</title><link>https://example.org/f</link>"
        "<pubDate>Tue, 24 Mar 2099 23:31:31 +0000</pubDate></item>"
        "<item><title>الآن</title><link>https://example.org/n</link>"
        "<pubDate>Mon, 01 Jun 2026 00:10:00 +0000</pubDate></item>"
    )
    result = parse_feed(data, now=NOW)
    assert [i.guid for i in result.items] == ["https://example.org/n"]  # within the clock skew
    assert result.rejections[0].reason.startswith("date in the future")


def test_atom_feed() -> None:
    data = (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>أطلس</title>'
        '<entry><title>خبر أول</title><id>urn:1</id><link href="https://example.org/1"/>'
        '<updated>2026-03-24T10:00:00+03:00</updated><summary type="html">&lt;p&gt;ملخص&lt;/p&gt;</summary>'
        '<category term="Sport"/><link rel="enclosure" type="image/png" href="https://example.org/i.png"/></entry>'
        "</feed>"
    ).encode()
    (item,) = parse_feed(data, now=NOW).items
    assert item.guid == "urn:1" and item.url == "https://example.org/1"
    assert item.published_at == datetime(2026, 3, 24, 7, 0, tzinfo=UTC)
    assert item.lead == "ملخص" and item.categories == ("Sport",)
    assert item.image_url == "https://example.org/i.png"


def test_truncated_feed_recovers_items_with_a_warning() -> None:
    data = (DATA / "rt-arabic.xml").read_bytes()[:5000]
    result = parse_feed(data, now=NOW)
    assert len(result.items) >= 2
    assert result.warnings and result.warnings[0].reason.startswith("malformed XML")


def test_malformed_xml_without_items_is_a_source_error() -> None:
    with pytest.raises(SourceError, match="malformed XML"):
        read_feed(b'<rss version="2.0"><<<>>></rss')


def test_mismatched_tags_recover_the_titled_item() -> None:
    doc = read_feed(b"<rss><channel><title>x</title><item><title>a</title><link>https://e.org/a</link></channel>")
    assert doc.malformed and [e.title for e in doc.entries] == ["a"]


def test_fallback_to_feedparser_keeps_every_item() -> None:
    data = _rss(
        "<item><title>خبر</title><link>https://example.org/z</link><pubDate>garbage</pubDate></item>"
        "<item><title>آخر</title><link>https://example.org/y</link>"
        "<pubDate>Tue, 24 Mar 2026 23:31:31 +0000</pubDate></item>"
    )
    doc = read_feed(data)
    assert doc.parser == "feedparser"
    assert [e.title for e in doc.entries] == ["خبر", "آخر"]


def test_relative_words_are_not_read_as_dates() -> None:
    # regression: fastfeedparser's fuzzy date parser turned «yesterday» into a real date
    data = _rss("<item><title>خبر</title><link>https://example.org/a</link><pubDate>yesterday</pubDate></item>")
    result = parse_feed(data, now=NOW)
    assert result.items[0].published_at is None
    assert "yesterday" in result.warnings[0].reason
