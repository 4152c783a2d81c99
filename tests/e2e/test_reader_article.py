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


async def test_a_long_article_is_paged_in_one_message(harness: BotHarness) -> None:
    article_id = await _long_article(harness)
    reader = harness.reader(901)
    reply = await reader.send(f"/article {article_id}")
    assert len(reply.sent) == 1  # one message, paged in place
    first = reply.sent[0]
    assert first.text is not None and utf16_len(first.text) <= 4096 and "(1/" in first.text
    assert "مباراة طويلة جدًا" in first.text and "مقدمة الخبر الطويل" in first.text
    assert "<أمام> منافسه & جمهوره" in first.text  # escaped on the way, shown as written
    labels = [label for label, _ in reply.buttons()]
    assert "التالي ›" in labels and "‹ السابق" not in labels
    data = dict(reply.buttons())["التالي ›"]
    assert data == f"1:ap:{article_id}:1" and len(data.encode()) <= 64
    texts = [first.text]
    while "التالي ›" in labels:
        turned = await reader.press("التالي ›", message_id=first.message_id)
        assert turned.sent == [] and len(turned.edited) == 1
        page = turned.edited[0]
        assert page.message_id == first.message_id
        assert page.text is not None and utf16_len(page.text) <= 4096
        texts.append(page.text)
        labels = [label for label, _ in turned.buttons()]
        assert "‹ السابق" in labels
    assert len(texts) >= 2
    # no word is cut between pages: every page ends at the end of a sentence, before its marker
    for text in texts[:-1]:
        body = text.rsplit("\n(", 1)[0]
        assert body.endswith(("جمهوره.", "الطويل")), body[-30:]
    last = texts[-1]
    assert "ياسين المصري" in last and "المصدر: وكالات" in last and "🗂 رياضة" in last
    assert "الخبر على الموقع" in last
    buttons = dict(turned.buttons())
    assert buttons["🗂 رياضة"].startswith("1:to:")
    assert buttons["🌐 على الموقع"] == "https://arabic.rt.com/sport/1-long/"
    back = await reader.press("‹ السابق", message_id=first.message_id)
    assert back.edited[0].text == texts[-2]
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
