"""/article, article buttons and the a<ID> deep link: whole articles, split when long."""

from __future__ import annotations

from bot.devtools.harness import BotHarness
from bot.models import ParsedItem
from bot.text.html_split import utf16_len


async def _long_article(harness: BotHarness) -> int:
    store = harness.news.store
    sport = await store.topics.by_slug("sport")
    assert sport is not None
    paragraph = "قال المدرب إن الفريق سيلعب بكل قوة في المباراة المقبلة <أمام> منافسه & جمهوره. " * 12
    item = ParsedItem(
        guid="test:long",
        headline="مباراة طويلة جدًا في كأس أمم إفريقيا",
        url="https://arabic.rt.com/sport/1-long/",
        lead="مقدمة الخبر الطويل",
        body=tuple(paragraph for _ in range(12)),
        source="وكالات",
        author="ياسين المصري",
    )
    (outcome,) = await store.articles.upsert_many([(item, [sport.id])])
    return outcome.article_id


async def test_article_shows_headline_lead_body_date_author_source_topics_link(harness: BotHarness) -> None:
    article_id = await _long_article(harness)
    reply = await harness.reader(901).send(f"/article {article_id}")
    assert len(reply.sent) >= 2  # split over several messages
    assert all(utf16_len(text) <= 4096 for text in reply.texts)
    assert "(1/" in reply.texts[0]
    text = reply.text
    assert "مباراة طويلة جدًا" in text and "مقدمة الخبر الطويل" in text
    assert "<أمام> منافسه & جمهوره" in text  # escaped on the way, shown as written
    assert "ياسين المصري" in text and "المصدر: وكالات" in text and "🗂 رياضة" in text
    assert "الخبر على الموقع" in text
    last = reply.sent[-1]
    buttons = [b for row in (last.reply_markup or {})["inline_keyboard"] for b in row]
    assert any(b["text"] == "🗂 رياضة" for b in buttons)
    assert any(b.get("switch_inline_query") == f"#{article_id}" for b in buttons)
    assert any(b.get("url") == "https://arabic.rt.com/sport/1-long/" for b in buttons)
    assert all(r.reply_markup is None for r in reply.sent[:-1])
    assert harness.emulator.refusals == []


async def test_bad_or_missing_article_ids_get_an_arabic_notice(harness: BotHarness) -> None:
    reader = harness.reader(902)
    assert "اكتب رقم الخبر" in (await reader.send("/article")).text
    assert "لم أجد خبرًا بهذا الرقم" in (await reader.send("/article 99999999")).text
    assert "لم أجد خبرًا بهذا الرقم" in (await reader.send("/article abc<b>")).text
    assert "لم أجد خبرًا بهذا الرقم" in (await reader.send("/article -1")).text
    found = await reader.send("/article ٣")  # Arabic-Indic digits are a number too
    assert "رقم الخبر: 3" in found.text
    assert harness.emulator.refusals == []


async def test_deep_link_opens_the_article_and_a_bad_one_welcomes(harness: BotHarness) -> None:
    reader = harness.reader(903)
    opened = await reader.send("/start a3")
    assert "رقم الخبر: 3" in opened.text
    bad = await reader.send("/start a999999")
    assert "هذا الرابط غير صالح" in bad.text and "بوت الأخبار العربية" in bad.text
    junk = await reader.send("/start %%<>")
    assert "هذا الرابط غير صالح" in junk.text
    assert harness.emulator.refusals == []


async def test_article_topic_button_lists_the_topic(harness: BotHarness) -> None:
    reader = harness.reader(904)
    await reader.send("/article 3")
    topic = await reader.press("🗂 ")
    assert len(topic.sent) == 1 and "اشترك" in " ".join(label for label, _ in topic.buttons())
    assert harness.emulator.refusals == []


async def test_a_missing_article_button_answers_the_callback(harness: BotHarness) -> None:
    reader = harness.reader(905)
    first = await reader.send("/latest")
    reply = await reader.press_data(first.sent[0].message_id, "1:ar:987654", strict=False)
    assert reply.sent == [] and reply.callback_answer is not None
    assert reply.callback_answer["text"] == "لم يعد هذا متاحًا."
