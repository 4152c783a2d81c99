"""Issue 17 end to end: the real bot against the emulator. A reader in Riyadh gets the digest at
08:00 Riyadh time and their quiet hours on Riyadh's clock; an open of the whole article from a push
is counted once, and editors see it in /stats."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.config import Settings
from bot.devtools.harness import BotHarness
from bot.store.records import reading_report
from tests.delivery.support import ingest_elsewhere, item, write_seed
from tests.delivery.test_push import ADMIN, MovableClock, service, settle, subscribe, topics_in_store

RIYADH = ZoneInfo("Asia/Riyadh")


def digests(h: BotHarness, chat_id: int) -> list[str]:
    return [r.text or "" for r in h.emulator.sent if r.chat_id == chat_id and "موجز أخبارك" in (r.text or "")]


async def test_a_reader_in_riyadh_gets_the_digest_at_eight_riyadh_time(settings: Settings, tmp_path: Path) -> None:
    # The site's zone is set apart from Riyadh's all year (Cairo's summer time equals Riyadh's).
    settings = dataclasses.replace(settings, timezone=ZoneInfo("Africa/Casablanca"))
    real_now = datetime.now(UTC)
    clock = MovableClock(real_now)
    async with BotHarness(settings, clock=clock) as h:
        await topics_in_store(h, tmp_path)
        riyadh, quiet = h.reader(701), h.reader(702)
        for reader in (riyadh, quiet):
            await subscribe(reader, "t-alpha")
        # The reader picks Riyadh in /settings, then a digest at 08:00 only.
        await riyadh.send("/settings")
        await riyadh.press("🕰 التوقيت")
        await riyadh.press("الرياض")
        store = h.news.store
        await store.readers.change_settings(701, push_mode="digest", digest_hours=(8,))
        # Another reader in Riyadh whose quiet hours are the hour it is now in Riyadh (not in Cairo).
        hour_in_riyadh = real_now.astimezone(RIYADH).hour
        await quiet.send("/settings")
        await quiet.press("🕰 التوقيت")
        await quiet.press("الرياض")
        await store.readers.change_settings(702, quiet_start=hour_in_riyadh, quiet_end=(hour_in_riyadh + 1) % 24)
        await ingest_elsewhere(settings.db_path, write_seed(tmp_path / "n.json", [item(n, "t-alpha") for n in (1, 2)]))
        await settle(h, waiting=2)
        silent = [
            r.disable_notification
            for r in h.emulator.sent
            if r.chat_id == quiet.chat_id and r.text and r.text.startswith("🔔")
        ]
        assert silent == [True, True]  # quiet on Riyadh's clock

        local = real_now.astimezone(RIYADH)
        eight = local.replace(hour=8, minute=0, second=30, microsecond=0)
        if eight <= local + timedelta(minutes=2):
            eight += timedelta(days=1)
        clock.now = (eight - timedelta(minutes=1)).astimezone(UTC)  # 07:59:30 in Riyadh: not yet
        await service(h).round()
        await service(h).round()
        assert digests(h, riyadh.chat_id) == []
        assert len(await store.deliveries.digest_readers()) == 1

        clock.now = eight.astimezone(UTC)  # 08:00:30 in Riyadh (05:00:30 or so on the site's clock)
        mark = len(h.emulator.sent)
        await service(h).round()
        message = await h.emulator.wait_for_sent(
            lambda r: r.chat_id == riyadh.chat_id and "موجز أخبارك" in (r.text or ""), timeout=10, since=mark
        )
        assert message.text is not None and "خبران" in message.text
        await service(h).round()
        assert len(digests(h, riyadh.chat_id)) == 1
        assert h.emulator.refusals == []


async def test_an_open_of_the_whole_article_from_a_push_counts_once(settings: Settings, tmp_path: Path) -> None:
    async with BotHarness(settings) as h:
        await topics_in_store(h, tmp_path)
        reader, other = h.reader(711), h.reader(712)
        for who in (reader, other):
            await subscribe(who, "t-alpha")
        await ingest_elsewhere(settings.db_path, write_seed(tmp_path / "n.json", [item(5, "t-alpha")]))
        await settle(h)
        push = next(r for r in h.emulator.sent if r.chat_id == reader.chat_id and (r.text or "").startswith("🔔"))
        first = await reader.press("اقرأ الخبر كاملًا", message_id=push.message_id)
        assert first.sent and "رقم الخبر" in first.text
        again = await reader.press("اقرأ الخبر كاملًا", message_id=push.message_id)
        assert again.sent  # the article again, not counted again
        article_id = int(first.text.rsplit("رقم الخبر: ", 1)[1].split()[0])
        # Opening the same article from /latest is not an open from a push.
        await reader.send(f"/article {article_id}")
        report = await reading_report(h.news.store, 7, int(datetime.now(UTC).timestamp()))
        [reach] = [r for r in report.items if r.article_id == article_id]
        assert (reach.sent, reach.opened) == (2, 1)
        stats = await h.reader(ADMIN).send("/stats")
        assert "التنبيهات لكل خبر" in stats.text and ": 2 · 1" in stats.text
        assert "الاشتراكات لكل موضوع" in stats.text and "+2 · −0" in stats.text
        assert h.emulator.refusals == []


async def test_stats_with_a_period_out_of_range_says_so(harness: BotHarness) -> None:
    shown = await harness.reader(ADMIN).send("/stats 0")
    assert "فترة التقرير «0» غير صالحة" in shown.text and "إحصاءات البوت" in shown.text
    month = await harness.reader(ADMIN).send("/stats 30")
    assert "القراءة في آخر 30 يومًا" in month.text
