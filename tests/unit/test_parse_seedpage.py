from bot.ingest.parsers.seedpage import parse_seed_page, story_count
from bot.ingest.topics import is_valid_slug
from bot.models import TopicKind
from tests.conftest import SEED_PAGE

PAGE = SEED_PAGE


def test_story_topics() -> None:
    result = parse_seed_page(PAGE.read_text(encoding="utf-8"))
    names = [t.name for t in result.topics]
    assert names == [
        "كأس أمم إفريقيا 2025",
        "التطورات الميدانية شمال شرق سوريا",
        "90 دقيقة",
        "خطة ترامب لإنهاء الحرب في غزة",
        "ترامب والناتو وامتحان غرينلاند",
        "العملية العسكرية الروسية في أوكرانيا",
        "فيديوهات",
    ]
    assert all(is_valid_slug(t.slug) and len(t.slug) <= 40 for t in result.topics)
    assert len({t.slug for t in result.topics}) == len(result.topics)
    # The page says only names: ingestion files a name the store knows (by name or alias) under
    # that topic, with its kind («فيديوهات» is the videos section); a new name is a new story.
    assert all(t.kind is TopicKind.STORY and not t.keywords for t in result.topics)
    assert story_count(PAGE.read_text(encoding="utf-8")) == 49


def test_article() -> None:
    (item,) = parse_seed_page(PAGE.read_text(encoding="utf-8")).items
    assert item.headline == "لافروف: من الخسة الترويج بأن العمل الإرهابي في بطرسبورغ جاء انتقاما لسوريا"
    assert item.lead.startswith("أعلن وزير خارجية روسيا سيرغي لافروف")
    assert len(item.body) == 11
    assert item.body[-1].startswith("هذا، وبلغت حصيلة ضحايا التفجير")
    assert item.source == "وكالات" and item.author == "ياسين المصري"
    assert item.url is None and item.guid.startswith("seedpage:")
    assert len(item.related) == 7
    assert item.related[0].headline.startswith("إسرائيل تتهم صهر ترامب") and item.related[0].url is None


def test_guid_is_stable() -> None:
    text = PAGE.read_text(encoding="utf-8")
    assert parse_seed_page(text).items[0].guid == parse_seed_page(text.replace("\n", "\r\n")).items[0].guid


def test_page_without_source_line_is_rejected() -> None:
    result = parse_seed_page("مباشر\n  • قصة\n\nعنوان\n\nفقرة\n")
    assert result.items == [] and "المصدر" in result.rejections[0].reason
