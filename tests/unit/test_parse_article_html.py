"""Article extraction on the real pages in tests/data/arabic-news/articles.

Quality is measured per page against an oracle that does not come from the extractor: for CNN the
text newspaper's own tests expect (the saved expected-text file); for Sputnik and Youm7 the text of
the page's own article elements (its lead and body containers, found by their class or id, minus
the related-story boxes injected into the body). `recovered` is the share of the oracle's words the
extraction has, `extra` the share of the extraction's words the oracle has not (word multisets).
Threshold for every page: recovered ≥ 0.95 and extra ≤ 0.03. The figures (printed with -s):

    CNN        recovered 1.000  extra 0.000
    Sputnik    recovered 1.000  extra 0.000
    Youm7      recovered 1.000  extra 0.000
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import lxml.html
import pytest

from bot.ingest.parsers.article_html import is_boilerplate, page_dates, parse_article_html, parse_page_date, url_date
from tests.conftest import DATA as ARABIC_NEWS

DATA = ARABIC_NEWS / "articles"
RECOVERED_AT_LEAST = 0.95
EXTRA_AT_MOST = 0.03
CNN = "arabic.cnn.com_arabic_article.html"
SPUTNIK = "arabic.sputniknews.com_1550981615.html"
YOUM7 = "youm7.com_1691196862.html"


def _words(text: str) -> Counter[str]:
    return Counter(w.strip(".,،؛:\"'()«»-–—") for w in text.split() if w.strip(".,،؛:\"'()«»-–—"))


def _oracle(name: str) -> str:
    if name == CNN:
        return (DATA / "arabic.cnn.com_arabic_article.expected-text.txt").read_text(encoding="utf-8")
    tree = lxml.html.fromstring((DATA / name).read_bytes().decode("utf-8"))
    if name == SPUTNIK:
        for box in tree.xpath("//div[contains(@class, 'b-inject')]"):
            box.drop_tree()
        parts = tree.xpath("//div[contains(@class, 'b-article__lead')] | //div[contains(@class, 'b-article__text')]")
    else:
        parts = tree.xpath("//div[@id='articleBody']")
    return "\n".join(p.text_content() for p in parts)


def quality(name: str) -> tuple[float, float]:
    (item,) = parse_article_html((DATA / name).read_bytes()).items
    got = _words("\n".join((item.lead, *item.body)))
    expected = _words(_oracle(name))
    common = sum((got & expected).values())
    return common / sum(expected.values()), 1 - common / sum(got.values())


@pytest.mark.parametrize("name", [CNN, SPUTNIK, YOUM7])
def test_extraction_recovers_the_article_and_little_else(name: str) -> None:
    recovered, extra = quality(name)
    print(f"{name}: recovered {recovered:.3f}, extra {extra:.3f}")  # noqa: T201 - the figures, with -s
    assert recovered >= RECOVERED_AT_LEAST
    assert extra <= EXTRA_AT_MOST


def test_cnn_article_without_its_comment_policy_dated_from_its_address() -> None:
    (item,) = parse_article_html((DATA / CNN).read_bytes()).items
    assert item.headline == "معارضون يسيطرون على مخازن للصواريخ بريف دمشق"
    assert item.url == "http://arabic.cnn.com/2013/middle_east/8/3/syria.clashes/index.html"
    assert item.guid == item.url
    assert item.lead.startswith("دمشق، سوريا (CNN)")
    text = "\n".join(item.body)
    assert "ترحب شبكة CNN بالنقاش الحيوي" not in text
    assert "الآراء الواردة أدناه" not in text
    assert item.body[-1].startswith("وشدد الائتلاف")
    # the page has no date in its metadata; its address says /2013/middle_east/8/3/: a day, no time
    assert item.published_at == datetime(2013, 8, 3, tzinfo=UTC)
    assert item.date_only
    assert item.outlet == "CNNArabic"


def test_youm7_article_dated_from_its_metadata_with_the_time() -> None:
    (item,) = parse_article_html((DATA / YOUM7).read_bytes()).items
    assert item.headline == "وزير الرى يشهد توقيع عقد دراسة تحديد السحب الآمن للخزانات الجوفية مع جامعة القاهرة"
    assert item.published_at == datetime(2020, 8, 24, 9, 23, 13, tzinfo=UTC)  # article:published_time, Z
    assert not item.date_only
    assert item.outlet == "اليوم السابع"
    assert item.image_url == "https://img.youm7.com/large/202007190254595459.jpg"
    assert item.url is not None and item.url.startswith("https://www.youm7.com/story/2020/8/24/")


def test_sputnik_article_keeps_its_marked_lead_and_drops_logo_author() -> None:
    (item,) = parse_article_html((DATA / SPUTNIK).read_bytes()).items
    assert item.headline == "مصر تسجل 30 إصابة جديدة وحالتي وفاة بفيروس كورونا"
    assert item.lead.startswith("أعلنت وزارة الصحة والسكان المصرية")
    assert item.published_at == datetime(2020, 3, 17, 17, 27, 41, tzinfo=UTC)
    assert item.modified_at == datetime(2020, 3, 17, 17, 49, 9, tzinfo=UTC)
    assert item.author is None
    assert len(item.body) >= 3


def test_page_without_article_is_rejected() -> None:
    page = b"<html><head><title>Index</title></head><body><nav><a href='/'>home</a></nav></body></html>"
    result = parse_article_html(page, origin="index.html")
    assert result.items == []
    assert result.rejections[0].item == "index.html"
    assert result.rejections[0].reason.startswith("no article found")


def test_page_in_another_language_is_rejected() -> None:
    paragraph = "The ministry announced thirty new cases on Tuesday, bringing the total to 196. " * 4
    page = (
        "<html><head><title>News</title></head><body><article><h1>News</h1>"
        f"<p>{paragraph}</p><p>{paragraph}</p></article></body></html>"
    )
    result = parse_article_html(page.encode(), origin="en.html")
    assert result.items == []
    assert result.rejections[0].reason == "the page is not in Arabic"


def test_dates_keep_their_zone_and_a_bare_day_stays_a_day() -> None:
    cairo = datetime(2026, 3, 24, 21, 31, tzinfo=UTC)
    found = parse_page_date("2026-03-24T23:31:00+02:00")
    assert found is not None and found.at == cairo and not found.date_only
    bare = parse_page_date("2026-03-24")
    assert bare is not None and bare.date_only and bare.at == datetime(2026, 3, 24, tzinfo=UTC)
    assert parse_page_date("© 2013") is None
    assert url_date("https://example.com/2020/08/24/story") is not None
    assert url_date("https://example.com/about") is None
    tree = lxml.html.fromstring(
        '<html><head><script type="application/ld+json">{"@graph": [{"@type": "NewsArticle",'
        '"datePublished": "2024-05-01T10:00:00+03:00", "dateModified": "2024-05-01T12:00:00+03:00"}]}</script>'
        "</head><body><p>x</p></body></html>"
    )
    published, modified = page_dates(tree, None)
    assert published is not None and published.at == datetime(2024, 5, 1, 7, tzinfo=UTC)
    assert modified is not None and modified.at == datetime(2024, 5, 1, 9, tzinfo=UTC)


@pytest.mark.parametrize(
    "paragraph",
    [
        "ترحب شبكة CNN بالنقاش الحيوي والمفيد، وكي لا نضطر في موقع CNN بالعربية إلى مراجعة التعليقات قبل نشرها.",
        "اقرأ أيضا: الجيش يعلن السيطرة على المدينة",
        "شارك هذا الخبر على فيسبوك",
        "اشترك في النشرة البريدية لتصلك آخر الأخبار",
        "تابعونا على تويتر",
    ],
)
def test_site_paragraphs_are_boilerplate(paragraph: str) -> None:
    assert is_boilerplate(paragraph)


def test_article_paragraphs_are_not_boilerplate() -> None:
    (item,) = parse_article_html((DATA / YOUM7).read_bytes()).items
    assert not any(is_boilerplate(p) for p in (item.lead, *item.body))


def test_metadata_from_json_ld_when_the_page_has_no_open_graph_tags() -> None:
    paragraphs = "".join(
        f"<p>قال وزير الخارجية في مؤتمر صحفي اليوم إن الجولة رقم {n} من المحادثات ستستأنف الأسبوع المقبل.</p>"
        for n in range(1, 6)
    )
    ld = (
        '{"@context": "https://schema.org", "@type": "NewsArticle", "headline": "المحادثات تستأنف",'
        ' "author": [{"@type": "Person", "name": "ياسين المصري"}], "publisher": {"name": "شبكة الأخبار"},'
        ' "image": {"url": "https://news.example/a.jpg"}, "articleSection": "سياسة",'
        ' "datePublished": "2026-03-24T10:15:00+03:00"}'
    )
    page = (
        f'<html><head><title>المحادثات تستأنف | شبكة الأخبار</title><script type="application/ld+json">{ld}</script>'
        f"</head><body><article><h1>المحادثات تستأنف</h1>{paragraphs}</article></body></html>"
    )
    (item,) = parse_article_html(page.encode(), url="https://news.example/talks").items
    assert item.headline == "المحادثات تستأنف" and item.outlet == "شبكة الأخبار"
    assert item.author == "ياسين المصري" and item.image_url == "https://news.example/a.jpg"
    assert item.categories == ("سياسة",) and item.url == "https://news.example/talks"
    assert item.published_at == datetime(2026, 3, 24, 7, 15, tzinfo=UTC) and not item.date_only
