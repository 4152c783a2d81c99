"""/latest, /videos, /live, /follow and the main keyboard's labels, through the emulator."""

from __future__ import annotations

import dataclasses
import re

from bot.config import Settings
from bot.devtools.harness import BotHarness

NUMBERED = re.compile(r"^(\d+)\. ", re.MULTILINE)


async def test_latest_shows_ten_numbered_headlines_with_topic_and_time(harness: BotHarness) -> None:
    reader = harness.reader(601, "ليلى")
    reply = await reader.send("/latest")
    assert len(reply.sent) == 1
    text = reply.text
    assert text.startswith("📰 آخر الأخبار")
    assert [int(n) for n in NUMBERED.findall(text)] == list(range(1, 11))
    assert "🗂 " in text and "🕒 " in text
    assert re.search(r"صفحة 1 من \d+ · \d+ خبرًا", text)
    labels = [label for label, _ in reply.buttons()]
    assert labels[:10] == [str(n) for n in range(1, 11)]
    assert "التالي ›" in labels and "‹ السابق" not in labels
    assert all(len(data.encode()) <= 64 for _, data in reply.buttons())
    assert harness.emulator.refusals == []


async def test_next_and_previous_edit_the_same_message(harness: BotHarness) -> None:
    reader = harness.reader(602)
    first = await reader.send("/latest")
    message_id = first.sent[0].message_id
    page_two = await reader.press("التالي")
    assert page_two.sent == []
    assert [e.message_id for e in page_two.edited] == [message_id]
    assert "صفحة 2 من" in page_two.text
    assert NUMBERED.findall(page_two.text)[0] == "11"
    assert page_two.callback_answer is not None
    back = await reader.press("السابق")
    assert [e.message_id for e in back.edited] == [message_id]
    assert NUMBERED.findall(back.text)[0] == "1"
    assert harness.emulator.refusals == []


async def test_pressing_a_page_already_shown_edits_nothing_and_answers(harness: BotHarness) -> None:
    reader = harness.reader(603)
    first = await reader.send("/latest")
    message_id = first.sent[0].message_id
    await reader.press("التالي")
    again = await reader.press_data(message_id, "1:lt:1", strict=False)  # the same page once more
    assert again.edited == [] and again.sent == []
    assert again.callback_answer is not None
    assert harness.emulator.refusals == []


async def test_last_page_has_no_next_button(harness: BotHarness) -> None:
    reader = harness.reader(604)
    first = await reader.send("/latest")
    total = int(re.search(r"صفحة 1 من (\d+)", first.text).group(1))  # type: ignore[union-attr]
    last = await reader.press_data(first.sent[0].message_id, f"1:lt:{total - 1}", strict=False)  # a jump
    labels = [label for _, label, _ in reader.buttons(first.sent[0].message_id)]
    assert f"صفحة {total} من {total}" in last.text
    assert "التالي ›" not in labels and "‹ السابق" in labels
    beyond = await reader.press_data(first.sent[0].message_id, f"1:lt:{total + 50}", strict=False)
    assert beyond.edited == []  # clamped to the last page, which is already shown
    assert harness.emulator.refusals == []


async def test_a_headline_button_opens_the_article(harness: BotHarness) -> None:
    reader = harness.reader(605)
    first = await reader.send("/latest")
    headline = NUMBERED.split(first.text)[2].split("\n")[0]
    opened = await reader.press("1")
    assert opened.sent and headline.strip("\u2068\u2069") in opened.text.replace("\u2068", "").replace("\u2069", "")
    assert "رقم الخبر:" in opened.text
    assert harness.emulator.refusals == []


async def test_main_keyboard_labels_work_as_commands(harness: BotHarness) -> None:
    reader = harness.reader(606)
    assert "📰 آخر الأخبار" in (await reader.send("📰 آخر الأخبار")).text
    assert "🗂 المواضيع" in (await reader.send("🗂 المواضيع")).text
    assert "⭐ اشتراكاتي" in (await reader.send("⭐ اشتراكاتي")).text
    assert "⚙️ الإعدادات" in (await reader.send("⚙️ الإعدادات")).text
    assert "🔴 مباشر" in (await reader.send("🔴 مباشر")).text
    assert "اكتب الكلمات" in (await reader.send("🔎 بحث")).text
    assert harness.emulator.refusals == []


async def test_videos_lists_video_articles(harness: BotHarness) -> None:
    reply = await harness.reader(607).send("/videos")
    assert reply.text.startswith("🎬 أحدث الفيديوهات")
    assert "فيديو" in reply.text
    assert NUMBERED.findall(reply.text)[0] == "1"
    assert harness.emulator.refusals == []


async def test_live_links_the_live_page(harness: BotHarness) -> None:
    reply = await harness.reader(608).send("/live")
    assert "🔴 مباشر" in reply.text
    assert "https://arabic.rt.com/live/" in reply.text
    assert harness.emulator.refusals == []


async def test_follow_lists_the_sites_channels_as_link_buttons(harness: BotHarness) -> None:
    reply = await harness.reader(609).send("/follow")
    assert "أين يمكنك متابعتنا" in reply.text
    urls = [data for _, data in reply.buttons()]
    # Only the site itself without NEWSBOT_FOLLOW_LINKS: no account made up from its domain.
    assert urls == ["https://arabic.rt.com/"]
    assert "t.me" not in reply.text and "youtube" not in reply.text
    assert "لا تتابع أي كلمة بعد" in reply.text and "/follow الرقة" in reply.text
    assert "فور نشره" in reply.text
    assert harness.emulator.refusals == []


async def test_follow_lists_the_channels_the_operator_configured(settings: Settings) -> None:
    links = ("https://t.me/ourchannel", "https://www.youtube.com/@ourchannel", "https://news.example.org/app")
    async with BotHarness(dataclasses.replace(settings, follow_links=links)) as harness:
        reply = await harness.reader(611).send("/follow")
    assert reply.buttons() == [
        ("🌐 الموقع", "https://arabic.rt.com/"),
        ("✈️ تيليغرام", "https://t.me/ourchannel"),
        ("▶️ يوتيوب", "https://www.youtube.com/@ourchannel"),
        ("🔗 news.example.org", "https://news.example.org/app"),
    ]


async def test_first_contact_stores_the_reader_and_keeps_names_up_to_date(harness: BotHarness) -> None:
    await harness.reader(610, "أحمد", "ahmad").send("/latest")
    await harness.reader(610).send("/latest")  # the names are unchanged: nothing to write
    stored = await harness.news.store.readers.get(610)
    assert stored is not None and stored.first_name == "أحمد" and stored.username == "ahmad"
    reader = harness.reader(610)
    harness.emulator.users[610].first_name = "أحمد علي"  # renamed in Telegram
    await reader.send("/topics")
    renamed = await harness.news.store.readers.get(610)
    assert renamed is not None and renamed.first_name == "أحمد علي"


async def test_a_page_shown_with_another_keyboard_is_edited_to_the_bots_keyboard(harness: BotHarness) -> None:
    """The same text under a keyboard the bot would not show now (an older version's): the press
    edits the keyboard back; the callback message's keyboard reaches the handler unparsed."""
    reader = harness.reader(605)
    first = await reader.send("/latest")
    message_id = first.sent[0].message_id
    keyboard = first.sent[0].reply_markup
    assert keyboard is not None
    stored = harness.emulator.chats[reader.chat_id].messages[message_id]
    stored.reply_markup = {"inline_keyboard": keyboard["inline_keyboard"][:-1]}  # the paging row gone
    again = await reader.press_data(message_id, "1:lt:0", strict=False)
    assert [e.message_id for e in again.edited] == [message_id]
    assert again.edited[0].reply_markup == keyboard and again.edited[0].text == first.sent[0].text
    assert harness.emulator.refusals == []
