"""/topics, the topic pages, /mysubs and the t<SLUG> deep link, through the emulator."""

from __future__ import annotations

from bot.devtools.harness import BotHarness
from bot.models import TopicStatus


async def _topic_id(harness: BotHarness, slug: str) -> int:
    topic = await harness.news.store.topics.by_slug(slug)
    assert topic is not None
    return topic.id


async def test_topics_lists_stories_and_sections_with_counted_articles(harness: BotHarness) -> None:
    reply = await harness.reader(701).send("/topics")
    text = reply.text
    assert "🗂 المواضيع" in text and "15 موضوعًا" in text
    assert "كأس أمم إفريقيا 2025 — " in text
    assert "عربي ودولي — 16 خبرًا" in text
    labels = [label for label, _ in reply.buttons()]
    assert "➕ كأس أمم إفريقيا 2025" in labels
    assert "التالي ›" in labels  # 15 topics: two pages
    assert len(reply.buttons()) <= 100
    assert harness.emulator.refusals == []


async def test_one_tap_subscribes_and_another_unsubscribes_in_place(harness: BotHarness) -> None:
    reader = harness.reader(702)
    first = await reader.send("/topics")
    message_id = first.sent[0].message_id
    on = await reader.press("➕ خطة ترامب لإنهاء الحرب في غزة")
    assert [e.message_id for e in on.edited] == [message_id]
    assert on.callback_answer is not None and "اشتركت" in (on.callback_answer["text"] or "")
    assert "✅ خطة ترامب لإنهاء الحرب في غزة" in [label for label, _ in on.buttons()]
    gaza = await _topic_id(harness, "trump-gaza-plan")
    assert await harness.news.store.subscriptions.topic_ids(702) == {gaza}
    off = await reader.press("✅ خطة ترامب لإنهاء الحرب في غزة")
    assert "➕ خطة ترامب لإنهاء الحرب في غزة" in [label for label, _ in off.buttons()]
    assert await harness.news.store.subscriptions.topic_ids(702) == set()
    assert harness.emulator.refusals == []


async def test_a_tap_names_its_topic_when_the_list_shows_another_page_or_it_has_ended(harness: BotHarness) -> None:
    """The notice names the tapped topic whether or not the page now shown lists it, and when the
    topic has ended meanwhile (it can still be left, and is read for its name)."""
    reader = harness.reader(706)
    first = await reader.send("/topics")
    message_id = first.sent[0].message_id
    health = await _topic_id(harness, "health")
    assert "صحة" not in first.text  # on the second page
    on = await reader.press_data(message_id, f"1:tt:{health}:0", strict=False)
    assert on.callback_answer is not None and "صحة" in (on.callback_answer["text"] or "")
    assert on.edited == []  # the first page shows nothing of it: nothing to edit
    await harness.news.store.topics.set_state(health, TopicStatus.ARCHIVED)
    off = await reader.press_data(message_id, f"1:tt:{health}:0", strict=False)
    assert off.callback_answer is not None and "صحة" in (off.callback_answer["text"] or "")
    assert await harness.news.store.subscriptions.topic_ids(706) == set()
    assert harness.emulator.refusals == []


async def test_topics_second_page_edits_in_place(harness: BotHarness) -> None:
    reader = harness.reader(703)
    first = await reader.send("/topics")
    second = await reader.press("التالي")
    assert [e.message_id for e in second.edited] == [first.sent[0].message_id]
    assert "صحة — " in second.text and "كأس أمم" not in second.text
    assert harness.emulator.refusals == []


async def test_topic_button_lists_its_latest_paged_with_subscribe(harness: BotHarness) -> None:
    reader = harness.reader(704)
    await reader.send("/topics")
    world = await _topic_id(harness, "world")
    message_id, _ = reader.find_button("➕ عربي ودولي")
    opened = await reader.press_data(message_id, f"1:to:{world}")
    assert len(opened.sent) == 1
    assert "🗂 عربي ودولي" in opened.text and "16 خبرًا" in opened.text
    assert "1. " in opened.text and "10. " in opened.text
    labels = [label for label, _ in opened.buttons()]
    assert "التالي ›" in labels and "➕ اشترك في هذا الموضوع" in labels
    page_two = await reader.press("التالي")
    assert [e.message_id for e in page_two.edited] == [opened.sent[0].message_id]
    assert "11. " in page_two.text
    sub = await reader.press("اشترك في هذا الموضوع")
    assert "✅ مشترك" in [label for label, _ in sub.buttons()][-1]
    assert world in await harness.news.store.subscriptions.topic_ids(704)
    assert harness.emulator.refusals == []


async def test_mysubs_empty_state_tells_what_to_do(harness: BotHarness) -> None:
    reply = await harness.reader(705).send("/mysubs")
    assert "لم تشترك في أي موضوع بعد" in reply.text and "/topics" in reply.text
    assert [label for label, _ in reply.buttons()] == ["🗂 تصفح المواضيع"]
    browse = await harness.reader(705).press("تصفح المواضيع")
    assert "🗂 المواضيع" in browse.text
    assert harness.emulator.refusals == []


async def test_mysubs_lists_topics_each_removable(harness: BotHarness) -> None:
    store = harness.news.store
    reader = harness.reader(706)
    await reader.send("/start")
    for slug in ("sport", "economy"):
        await store.subscriptions.subscribe(706, await _topic_id(harness, slug))
    reply = await reader.send("/mysubs")
    assert "اشتراكان" in reply.text or "2" in reply.text
    assert "رياضة" in reply.text and "اقتصاد" in reply.text
    removed = await reader.press("❌ رياضة")
    assert [e.message_id for e in removed.edited] == [reply.sent[0].message_id]
    assert "رياضة" not in removed.text and "اقتصاد" in removed.text
    assert await store.subscriptions.topic_ids(706) == {await _topic_id(harness, "economy")}
    last = await reader.press("❌ اقتصاد")
    assert "لم تشترك في أي موضوع بعد" in last.text
    assert harness.emulator.refusals == []


async def test_deep_link_offers_the_topic_with_a_subscribe_button(harness: BotHarness) -> None:
    reader = harness.reader(707)
    reply = await reader.send("/start tsport")
    assert "🗂 رياضة" in reply.text and "هل تريد الاشتراك" in reply.text
    subscribed = await reader.press("اشترك في هذا الموضوع")
    assert subscribed.callback_answer is not None and "رياضة" in (subscribed.callback_answer["text"] or "")
    assert await harness.news.store.subscriptions.topic_ids(707) == {await _topic_id(harness, "sport")}
    unknown = await reader.send("/start tno-such-topic")
    assert "هذا الرابط غير صالح" in unknown.text and "بوت الأخبار العربية" in unknown.text
    assert harness.emulator.refusals == []
