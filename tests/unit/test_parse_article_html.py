from datetime import UTC, datetime
from difflib import SequenceMatcher

from bot.ingest.parsers.article_html import parse_article_html
from tests.conftest import DATA as ARABIC_NEWS

DATA = ARABIC_NEWS / "articles"


def test_cnn_article_matches_expected_text() -> None:
    result = parse_article_html((DATA / "arabic.cnn.com_arabic_article.html").read_bytes())
    (item,) = result.items
    assert item.headline == "معارضون يسيطرون على مخازن للصواريخ بريف دمشق"
    assert item.url == "http://arabic.cnn.com/2013/middle_east/8/3/syria.clashes/index.html"
    assert item.guid == item.url
    expected = (DATA / "arabic.cnn.com_arabic_article.expected-text.txt").read_text(encoding="utf-8").split()
    got = " ".join((item.lead, *item.body)).split()
    assert SequenceMatcher(None, got, expected).ratio() > 0.85
    assert item.lead.startswith("دمشق، سوريا (CNN)")


def test_youm7_article() -> None:
    (item,) = parse_article_html((DATA / "youm7.com_1691196862.html").read_bytes()).items
    assert item.headline == "وزير الرى يشهد توقيع عقد دراسة تحديد السحب الآمن للخزانات الجوفية مع جامعة القاهرة"
    assert item.published_at == datetime(2020, 8, 24, tzinfo=UTC)
    assert item.outlet == "اليوم السابع"
    assert item.url is not None and item.url.startswith("https://www.youm7.com/story/2020/8/24/")


def test_sputnik_article_drops_logo_author() -> None:
    (item,) = parse_article_html((DATA / "arabic.sputniknews.com_1550981615.html").read_bytes()).items
    assert item.headline == "مصر تسجل 30 إصابة جديدة وحالتي وفاة بفيروس كورونا"
    assert item.published_at == datetime(2020, 3, 17, tzinfo=UTC)
    assert item.author is None
    assert len(item.body) >= 3


def test_page_without_article_is_rejected() -> None:
    page = b"<html><head><title>Index</title></head><body><nav><a href='/'>home</a></nav></body></html>"
    result = parse_article_html(page, origin="index.html")
    assert result.items == []
    assert result.rejections[0].item == "index.html"
    assert result.rejections[0].reason.startswith("no article found")
