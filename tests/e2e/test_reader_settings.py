"""/settings, /stop and stale buttons, through the emulator."""

from __future__ import annotations

import pytest

from bot.devtools.harness import BotHarness
from bot.models import PushMode, ReaderStatus


async def test_settings_buttons_edit_the_settings_message_in_place(harness: BotHarness) -> None:
    reader = harness.reader(1001)
    first = await reader.send("/settings")
    message_id = first.sent[0].message_id
    assert "⚙️ الإعدادات" in first.text and "فورية" in first.text
    digest = await reader.press("موجز يومي")
    assert [e.message_id for e in digest.edited] == [message_id]
    assert "موجز يومي في الساعات 08:00، 20:00" in digest.text
    hour = await reader.press("12:00")
    assert "08:00، 12:00، 20:00" in hour.text
    quiet = await reader.press("22–7")
    assert "ساعات الهدوء: من 22 حتى 7" in quiet.text
    previews = await reader.press("تفعيل معاينة الروابط")
    assert "معاينة الروابط: مفعّلة" in previews.text
    stored = await harness.news.store.readers.get(1001)
    assert stored is not None
    assert stored.settings.push_mode is PushMode.DIGEST
    assert stored.settings.digest_hours == (8, 12, 20)
    assert (stored.settings.quiet_start, stored.settings.quiet_end) == (22, 7)
    assert stored.settings.link_previews
    assert harness.emulator.refusals == []


async def test_pressing_the_current_choice_changes_nothing(harness: BotHarness) -> None:
    reader = harness.reader(1002)
    await reader.send("/settings")
    same = await reader.press("فوري")
    assert same.edited == [] and same.callback_answer is not None
    assert same.callback_answer["text"] == "لا تغيير"
    assert harness.emulator.refusals == []


async def test_arabic_digits_apply_to_counts_and_pages(harness: BotHarness) -> None:
    reader = harness.reader(1003)
    await reader.send("/settings")
    digits = await reader.press("٠-٩")
    assert "٠-٩" in digits.text
    latest = await reader.send("/latest")
    assert "صفحة ١ من" in latest.text and "١." in latest.text
    assert latest.buttons()[0][0] == "١"
    topics = await reader.send("/topics")
    assert "١٥ موضوعًا" in topics.text
    assert harness.emulator.refusals == []


async def test_link_previews_follow_the_setting(harness: BotHarness) -> None:
    reader = harness.reader(1004)
    off = await reader.send("/article 3")
    assert off.sent[-1].link_preview_options == {"is_disabled": True}
    await reader.send("/settings")
    await reader.press("تفعيل معاينة الروابط")
    on = await reader.send("/article 3")
    assert on.sent[-1].link_preview_options == {"is_disabled": False}


async def test_stop_asks_first_then_stops_and_start_brings_back(harness: BotHarness) -> None:
    reader = harness.reader(1005)
    await reader.send("/start")
    ask = await reader.send("/stop")
    assert "هل تريد إيقاف كل التنبيهات" in ask.text
    assert [label for label, _ in ask.buttons()] == ["نعم، أوقف التنبيهات", "إلغاء"]
    cancel = await reader.press("إلغاء")
    assert "لم نغيّر شيئًا" in cancel.text
    stored = await harness.news.store.readers.get(1005)
    assert stored is not None and stored.status is ReaderStatus.ACTIVE
    await reader.send("/stop")
    done = await reader.press("نعم، أوقف التنبيهات")
    assert "أوقفنا كل التنبيهات" in done.text and done.buttons() == []
    stored = await harness.news.store.readers.get(1005)
    assert stored is not None and stored.status is ReaderStatus.STOPPED
    await reader.send("/start")
    stored = await harness.news.store.readers.get(1005)
    assert stored is not None and stored.status is ReaderStatus.ACTIVE
    assert harness.emulator.refusals == []


@pytest.mark.parametrize("data", ["0:lt:1", "9:lt:1", "1:zz", "garbage", "1:st:9:9", "1:st:0:7", "1:tt:9999:0"])
async def test_stale_forged_or_malformed_buttons_answer_and_change_nothing(harness: BotHarness, data: str) -> None:
    reader = harness.reader(1006)
    first = await reader.send("/latest")
    reply = await reader.press_data(first.sent[0].message_id, data, strict=False)
    assert reply.sent == [] and reply.edited == []
    assert reply.callback_answer is not None and reply.callback_answer["text"]
    assert harness.emulator.refusals == []
