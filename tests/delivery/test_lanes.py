"""Breaking news before routine pushes, and a reader's backlog merged: the real bot and emulator."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from bot.config import Settings
from bot.devtools.harness import BotHarness
from bot.runtime.limiter import Lane
from tests.conftest import ADMIN_ID
from tests.delivery.support import ingest_elsewhere, item, write_seed
from tests.delivery.test_breaking import hold
from tests.delivery.test_push import service, settle, topics_in_store

READERS = 500
FIRST = 900_000


async def test_a_broadcast_queued_behind_500_routine_pushes_is_the_next_message_sent(
    settings: Settings, tmp_path: Path
) -> None:
    async with BotHarness(dataclasses.replace(settings, rate=200)) as h:
        await topics_in_store(h, tmp_path)
        store = h.news.store
        topic = await store.topics.by_slug("t-alpha")
        assert topic is not None
        for reader_id in range(FIRST, FIRST + READERS):
            h.emulator.user(reader_id, register=True)
            await store.readers.get_or_create(reader_id, "قارئ")
            await store.subscriptions.subscribe(reader_id, topic.id)
        await ingest_elsewhere(settings.db_path, write_seed(tmp_path / "n.json", [item(1, "t-alpha")]))
        await service(h).round()
        assert await h.emulator.waiters.until(lambda: len(h.emulator.sent) >= 20, 20)  # pushes under way
        budget = service(h).worker.limiter
        # as a 429 would: the queue stands still while the broadcast is recorded (the sends already at
        # Telegram land first: counted before the mark, or one of them would be taken for the next one)
        mark = await hold(h, 5.0)
        await h.news.services.editors.broadcast("انقطاع الكهرباء في القاهرة", ADMIN_ID)
        counts = await settle(h, timeout=60)
        assert counts["failed"] == 0 and counts["queued"] == 0
        after = [r for r in h.emulator.sent[mark:] if r.method == "sendMessage"]
        assert (after[0].text or "").startswith("🔴 عاجل")  # routine pushes were still waiting: it went first
        routine_after = [n for n, r in enumerate(after) if (r.text or "").startswith("🔔")]
        urgent_after = [n for n, r in enumerate(after) if (r.text or "").startswith("🔴")]
        routine_before = [r for r in h.emulator.sent[:mark] if (r.text or "").startswith("🔔")]
        assert len(routine_before) + len(routine_after) == READERS and len(urgent_after) == READERS
        assert max(urgent_after) < max(routine_after)  # breaking news never waited for the routine queue
        assert budget.sent_by_lane[Lane.URGENT] == READERS


async def test_a_backlog_past_three_goes_as_one_message(settings: Settings, tmp_path: Path) -> None:
    async with BotHarness(settings) as h:
        await topics_in_store(h, tmp_path)
        store = h.news.store
        topic = await store.topics.by_slug("t-alpha")
        assert topic is not None
        for reader_id in (11, 12):
            h.emulator.user(reader_id, register=True)
            await store.readers.get_or_create(reader_id, "قارئ")
            await store.subscriptions.subscribe(reader_id, topic.id)
        # three waiting: one push each (a backlog of three is not merged)
        await ingest_elsewhere(
            settings.db_path, write_seed(tmp_path / "a.json", [item(n, "t-alpha") for n in (1, 2, 3)])
        )
        await settle(h)
        for reader_id in (11, 12):
            texts = [m.text for m in h.emulator.bot_messages.get(reader_id, [])]
            assert len(texts) == 3 and all(t.startswith("🔔 عنوان تجريبي") for t in texts)
        await store.subscriptions.unsubscribe(12, topic.id)
        await ingest_elsewhere(
            settings.db_path, write_seed(tmp_path / "b.json", [item(n, "t-alpha") for n in (4, 5, 6, 7)])
        )
        await settle(h)
        texts11 = [m.text for m in h.emulator.bot_messages[11]]
        assert len(texts11) == 4  # three, then one listing four
        assert texts11[-1].startswith("🔔 4 أخبار في مواضيعك")
        assert all(f"رقم {n}" in texts11[-1] for n in (4, 5, 6, 7))
        (last,) = h.emulator.bot_messages[11][-1:]
        assert last.reply_markup is not None and len(last.reply_markup["inline_keyboard"]) == 4
        assert service(h).worker.counters.merged == 1
