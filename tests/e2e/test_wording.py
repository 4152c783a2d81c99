"""Issue 17's wording and layout fixes, each through the emulator as a reader sees it."""

from __future__ import annotations

from bot.devtools.harness import BotHarness
from bot.models import ParsedItem, TopicSpec
from bot.text.arabic import FSI, PDI


async def test_numbers_in_an_article_are_copied_without_invisible_marks(harness: BotHarness) -> None:
    store = harness.news.store
    topic = await store.topics.upsert(TopicSpec("economy-x", "اقتصاد"))
    body = ("ارتفع المؤشر 2.5% إلى 12,400 نقطة في 2025، وقال Jerome Powell إن الفائدة باقية.",)
    [stored] = await store.articles.upsert_many(
        [(ParsedItem(guid="n-1", headline="iPhone 17 يصل إلى الأسواق في 19 سبتمبر", body=body), [topic.id])]
    )
    shown = await harness.reader(1101).send(f"/article {stored.article_id}")
    copied = shown.text
    assert body[0] in copied  # the paragraph exactly as written: no mark around its numbers or names
    # the headline would start left-to-right: only its leading Latin run is isolated
    assert f"{FSI}iPhone 17{PDI} يصل إلى الأسواق في 19 سبتمبر" in copied
    assert copied.count(FSI) == copied.count(PDI) == 1


async def test_help_names_the_bots_handle(harness: BotHarness) -> None:
    shown = await harness.reader(1102).send("/help")
    handle = harness.app.bot.username
    assert handle and f"@{handle}" in shown.text
    assert "بكتابة اسم البوت" not in shown.text


async def test_a_shared_article_links_back_to_the_bot_and_descriptions_never_dangle(harness: BotHarness) -> None:
    store = harness.news.store
    topic = await store.topics.upsert(TopicSpec("no-lead", "موضوع بلا مقدمة"))
    [stored] = await store.articles.upsert_many([(ParsedItem(guid="n-2", headline="خبر بلا مقدمة"), [topic.id])])
    reply = await harness.reader(1103).inline(f"#{stored.article_id}")
    assert reply.inline_answer is not None
    [result] = reply.inline_answer["results"]
    link = f"https://t.me/{harness.app.bot.username}?start=a{stored.article_id}"
    assert link in result["input_message_content"]["message_text"]
    assert [b["url"] for row in result["reply_markup"]["inline_keyboard"] for b in row] == [link]
    assert result["description"] == "موضوع بلا مقدمة"
    assert not result["description"].rstrip().endswith("·")
    # the link opens the article in the bot
    opened = await harness.reader(1104).send(f"/start a{stored.article_id}")
    assert "خبر بلا مقدمة" in opened.text


async def test_mysubs_says_where_the_remove_button_is(harness: BotHarness) -> None:
    reader = harness.reader(1105)
    await reader.send("/topics")
    await reader.press("➕")
    mine = await reader.send("/mysubs")
    assert "بجانب موضوع" not in mine.text
    assert "اضغط زره «❌» بالأسفل" in mine.text
    assert any(label.startswith("❌ ") for label, _ in mine.buttons())


async def test_digest_readers_are_told_when_they_get_a_topics_news(harness: BotHarness) -> None:
    reader = harness.reader(1106)
    slug = (await harness.news.store.topics.all())[0].slug
    instant = await reader.send(f"/start t{slug}")
    assert "يصلك كل جديد فيه فور نشره" in instant.text
    await reader.send("/settings")
    await reader.press("موجز يومي")
    await reader.press("08:00")  # one hour left: 20:00
    offer = await reader.send(f"/start t{slug}")
    assert "فور نشره" not in offer.text
    assert "يصلك جديده في موجزك اليومي في الساعة 20:00" in offer.text
    none_yet = await reader.send("/mysubs")
    assert "في موجزك اليومي في الساعة 20:00" in none_yet.text
