from hypothesis import given
from hypothesis import strategies as st

from bot.ingest.topics import KNOWN_TOPICS, TopicAssigner, is_valid_slug, slug_for, url_sections
from bot.models import ParsedItem


def test_known_slugs_are_valid_and_unique() -> None:
    slugs = [t.slug for t in KNOWN_TOPICS]
    assert len(set(slugs)) == len(slugs) and all(is_valid_slug(s) for s in slugs)


@given(st.text(min_size=1, max_size=200))
def test_fallback_slug_is_stable_ascii(name: str) -> None:
    slug = slug_for(name)
    assert is_valid_slug(slug) and len(slug) <= 40 and slug == slug_for(name)


def test_known_name_with_spelling_variant_gets_the_known_slug() -> None:
    assert slug_for("كاس امم افريقيا 2025") == "afcon-2025"


def test_keywords_match_whole_words_with_proclitics() -> None:
    a = TopicAssigner()
    assert a.keyword_slugs('أنباء عن انشقاقات في صفوف "قسد" بمدينة الرقة') == ["northeast-syria"]
    assert "trump-gaza-plan" in a.keyword_slugs("كرنفال للأطفال في غزه")  # folded ة/ه
    assert "trump-gaza-plan" in a.keyword_slugs("قصف وبغزة")
    assert a.keyword_slugs("الغزال") == []
    assert a.keyword_slugs("زيلينسكي يزور لندن") == ["russia-ukraine"]
    assert a.keyword_slugs("منتخب مصر في كأس أمم أفريقيا") == ["afcon-2025"]


def test_assign_combines_feed_topic_categories_url_and_keywords() -> None:
    item = ParsedItem(
        guid="g",
        headline="انفجار صاروخ قرب قطاع غزة",
        url="https://arabic.rt.com/middle_east/1-x/",
        categories=("Sport",),
    )
    assert TopicAssigner().assign(item, feed_topic="world") == ("world", "sport", "middle-east", "trump-gaza-plan")


def test_url_sections() -> None:
    assert url_sections("http://www.bbc.co.uk/arabic/sports-43101640") == ["sport"]
    assert url_sections(None) == []
