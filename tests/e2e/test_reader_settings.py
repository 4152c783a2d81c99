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
    assert "موجز يومي في الساعتين 08:00 و20:00" in digest.text
    hour = await reader.press("12:00")
    assert "موجز يومي في الساعات 08:00، 12:00 و20:00" in hour.text
    quiet = await reader.press("10 مساءً – 7 صباحًا")
    assert "ساعات الهدوء: من 10 مساءً حتى 7 صباحًا" in quiet.text
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


async def test_one_digest_hour_reads_in_the_singular_and_the_last_one_cannot_go(harness: BotHarness) -> None:
    reader = harness.reader(1006)
    await reader.send("/settings")
    await reader.press("موجز يومي")
    one = await reader.press("08:00")
    assert "موجز يومي في الساعة 20:00\n" in one.text
    last = await reader.press("20:00")
    assert last.edited == []
    assert last.callback_answer is not None
    assert "ساعة واحدة على الأقل" in last.callback_answer["text"] and last.callback_answer["text"] != "لا تغيير"
    stored = await harness.news.store.readers.get(1006)
    assert stored is not None and stored.settings.digest_hours == (20,)


async def test_quiet_hour_buttons_say_evening_and_morning(harness: BotHarness) -> None:
    reader = harness.reader(1007)
    shown = await reader.send("/settings")
    quiet = [label for label, _ in shown.buttons() if label.startswith("🌙")]
    assert quiet == ["🌙 10 مساءً – 7 صباحًا", "🌙 11 مساءً – 6 صباحًا", "🌙 منتصف الليل – 8 صباحًا"]


async def test_a_reader_chooses_riyadh_and_times_follow_it(harness: BotHarness) -> None:
    reader = harness.reader(1008)
    first = await reader.send("/settings")
    assert "🕰 التوقيت: القاهرة" in first.text
    cities = await reader.press("🕰 التوقيت")
    assert "اختر مدينتك" in cities.text
    assert any(label == "✅ القاهرة" for label, _ in cities.buttons())
    chosen = await reader.press("الرياض")
    assert "🕰 التوقيت: الرياض" in chosen.text and chosen.callback_answer is not None
    stored = await harness.news.store.readers.get(1008)
    assert stored is not None and stored.settings.timezone == "Asia/Riyadh"
    # an article's time is shown on the reader's clock: Riyadh is an hour ahead of Cairo (no DST in Riyadh)
    dated = [a for a in await harness.news.store.articles.latest(50) if a.published_at is not None]
    articles = [await harness.news.store.articles.get(a.id) for a in dated]
    article = next(a for a in articles if a is not None and a.published_at is not None and not a.date_only)
    assert article.published_at is not None
    from zoneinfo import ZoneInfo

    from bot.text.arabic import format_date

    riyadh = format_date(article.published_at, ZoneInfo("Asia/Riyadh"))
    cairo = format_date(article.published_at, ZoneInfo("Africa/Cairo"))
    assert riyadh != cairo
    shown = await reader.send(f"/article {article.id}")
    assert riyadh in shown.text and cairo not in shown.text
    back = await reader.press("🕰 التوقيت")
    assert any(label == "✅ الرياض" for label, _ in back.buttons())
    settings = await reader.press("‹ الإعدادات")
    assert "اختر من الأزرار بالأسفل" in settings.text
    assert harness.emulator.refusals == []


async def test_a_zone_not_offered_is_refused(harness: BotHarness) -> None:
    reading = harness.news.services.reading
    reader, _ = await harness.news.store.readers.get_or_create(1009)
    assert await reading.set_timezone(reader, "Europe/London") is None
    assert await reading.set_timezone(reader, "") is None
    assert await reading.set_timezone(reader, "Asia/Riyadh\u202e") is None
    stored = await harness.news.store.readers.get(1009)
    assert stored is not None and stored.settings.timezone is None
    changed = await reading.set_timezone(reader, "Africa/Casablanca")
    assert changed is not None and changed.settings.timezone == "Africa/Casablanca"
    # a button naming a city past the list is a stale button: nothing changes
    await harness.reader(1009).send("/settings")
    from bot.services.reading import Setting
    from bot.ui.callbacks import Action, encode

    user = harness.reader(1009)
    message_id = user.find_button("🕰 التوقيت")[0]
    stale = await user.press_data(message_id, encode(Action.SETTING, Setting.ZONE, 99), strict=False)
    assert stale.callback_answer is not None and "قديم" in stale.callback_answer["text"]
    stored = await harness.news.store.readers.get(1009)
    assert stored is not None and stored.settings.timezone == "Africa/Casablanca"
