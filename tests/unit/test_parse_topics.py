import json
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from bot.ingest.parsers.seedfile import parse_seed_json
from bot.ingest.topics import TopicMatcher, is_valid_slug, keyword_problem, slug_for, url_sections
from bot.models import ParsedItem, TopicKind, TopicSpec
from bot.resources import resource_dir

REPO = Path(__file__).resolve().parents[2]

SEED_TOPICS = parse_seed_json((resource_dir("seeds") / "00_topics.json").read_bytes()).topics


def seeded() -> TopicMatcher:
    return TopicMatcher(SEED_TOPICS)


def test_seed_topics_are_valid_unique_and_the_only_definition() -> None:
    slugs = [t.slug for t in SEED_TOPICS]
    assert len(set(slugs)) == len(slugs) and all(is_valid_slug(s) for s in slugs)
    assert {"afcon-2025", "world", "sport"} <= set(slugs)
    # no topic name, alias or keyword is written in Python any more
    source = (REPO / "bot" / "ingest" / "topics.py").read_text(encoding="utf-8")
    for spec in SEED_TOPICS:
        for text in (spec.name, *spec.aliases, *spec.keywords):
            assert f'"{text}"' not in source, text


@given(st.text(min_size=1, max_size=200))
def test_new_slug_is_stable_ascii(name: str) -> None:
    slug = slug_for(name)
    assert is_valid_slug(slug) and len(slug) <= 40 and slug == slug_for(name)


def test_spelling_variants_get_the_same_new_slug() -> None:
    assert slug_for("كاس امم افريقيا 2025") == slug_for("كأس أمم إفريقيا  2025")


def test_keywords_match_whole_words_with_proclitics() -> None:
    a = seeded()
    assert a.keyword_slugs('أنباء عن انشقاقات في صفوف "قسد" بمدينة الرقة') == ["northeast-syria"]
    assert "trump-gaza-plan" in a.keyword_slugs("كرنفال للأطفال في غزه")  # folded ة/ه
    assert "trump-gaza-plan" in a.keyword_slugs("قصف وبغزة")
    assert "northeast-syria" in a.keyword_slugs("وصول تعزيزات للرقة")  # ل + الرقة
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
    assert seeded().assign(item, feed_topic="world") == ("world", "sport", "middle-east", "trump-gaza-plan")


def test_a_category_equal_to_a_story_name_files_the_item_there() -> None:
    item = ParsedItem(guid="g", headline="خبر بلا كلمة مفتاحية", categories=("كأس أمم أفريقيا 2025",))
    assert seeded().assign(item) == ("afcon-2025",)
    gaza = ParsedItem(guid="h", headline="عنوان", categories=("  خطة ترامب لإنهاء الحرب في غزة ",))
    assert seeded().assign(gaza) == ("trump-gaza-plan",)


def test_exclusions_veto_keyword_and_label_matches_but_not_the_feed_topic() -> None:
    spec = TopicSpec("g", "غرينلاند", TopicKind.STORY, ("غرينلاند",), ("Greenland",), ("لعبة",))
    m = TopicMatcher([spec])
    assert m.assign(ParsedItem(guid="1", headline="ترامب وغرينلاند")) == ("g",)
    assert m.assign(ParsedItem(guid="2", headline="لعبة غرينلاند الجديدة", categories=("greenland",))) == ()
    assert m.assign(ParsedItem(guid="3", headline="لعبة غرينلاند"), feed_topic="g") == ("g",)


def test_multiword_keywords_need_their_words_in_order() -> None:
    m = TopicMatcher([TopicSpec("s", "سد", keywords=("سد الفرات",))])
    assert m.keyword_slugs("انهيار في سد الفرات اليوم") == ["s"]
    assert m.keyword_slugs("الفرات سد") == []
    assert m.keyword_slugs("وسد الفرات") == ["s"]


def test_url_sections() -> None:
    assert url_sections("http://www.bbc.co.uk/arabic/sports-43101640") == ["arabic", "sports"]
    assert seeded().label_slugs(url_sections("http://www.bbc.co.uk/arabic/sports-43101640")) == ["sport"]
    assert url_sections(None) == []


def test_keyword_problems() -> None:
    assert keyword_problem("ب") is not None
    assert keyword_problem("في من") is not None
    assert keyword_problem("!!") is not None
    assert keyword_problem("غرينلاند") is None
    assert keyword_problem("في غزة") is None


def test_matching_cost_does_not_depend_on_each_topic() -> None:
    """Five hundred topics: one dict lookup per word, whatever the number of rules."""
    many = [TopicSpec(f"t{n}", f"موضوع {n}", keywords=tuple(f"كلمة{n}x{k}" for k in range(20))) for n in range(500)]
    m = TopicMatcher(many)
    assert m.keyword_slugs("خبر عن كلمة7x3 وكلمة499x19") == ["t7", "t499"]
    assert json.dumps(m.assign(ParsedItem(guid="x", headline="موضوع 42", categories=("موضوع 42",))))


ARABIC_TEXT = st.text(
    alphabet=st.sampled_from(
        [
            *"ابتثجحخدذرسشصضطظعغفقكلمنهويأإآىةؤئء",
            *"\u064b\u064e\u0651\u0640\u0670",
            *"٠١٢٣٤٥٦٧٨٩۰۱۲0123456789AbcZé ،.-«»\n",
        ]
    ),
    max_size=80,
)


@given(ARABIC_TEXT)
def test_words_folded_one_at_a_time_equal_the_folded_text_split(text: str) -> None:
    from bot.ingest.topics import _WORD, folded_words
    from bot.text.arabic import fold

    assert folded_words(text) == _WORD.findall(fold(text))
