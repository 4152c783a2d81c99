"""Breaking news for editors (issue 12), end to end: the real bot and store against the emulator.

A stored item sent as breaking news behind 500 routine pushes, an item marked urgent, a broadcast to
one topic's subscribers, a scheduled one that waits for its time (a moved clock, no sleeping) and
survives a restart, paid broadcasts in their own budget, and the admin's refusals.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.config import Settings
from bot.devtools.emulator.server import BotApiEmulator
from bot.devtools.harness import BotHarness
from bot.runtime.limiter import Lane
from bot.services.editors import BroadcastRequest
from tests.conftest import ADMIN_ID
from tests.delivery.support import ingest_elsewhere, item, write_seed
from tests.delivery.test_push import MovableClock, service, settle, subscribe, topics_in_store

READERS = 500
FIRST = 910_000
PICTURE = "https://cdn.example.com/images/2026/03/breaking.jpg"


async def hold(h: BotHarness, seconds: float) -> int:
    """Pause the sending budget (as a 429 would) and wait until every slot it handed out has reached
    the emulator (sends already under way land first); returns how many messages were sent by then:
    what comes after is what was queued. For tests where every message so far is a push."""
    budget = service(h).worker.limiter
    budget.pause(seconds)
    taken = sum(budget.sent_by_lane.values())
    assert await h.emulator.waiters.until(lambda: len(h.emulator.sent) >= taken, seconds)
    return len(h.emulator.sent)


def urgent_texts(h: BotHarness, chat_id: int) -> list[str]:
    return [r.text or "" for r in h.emulator.sent if r.chat_id == chat_id and (r.text or "").startswith("🔴 عاجل")]


async def many_readers(h: BotHarness, slug: str = "t-alpha", count: int = READERS) -> None:
    store = h.news.store
    topic = await store.topics.by_slug(slug)
    assert topic is not None
    for reader_id in range(FIRST, FIRST + count):
        h.emulator.user(reader_id, register=True)
        await store.readers.get_or_create(reader_id, "قارئ")
        await store.subscriptions.subscribe(reader_id, topic.id)


async def test_an_item_broadcast_queued_behind_500_routine_pushes_is_the_next_message_sent(
    settings: Settings, tmp_path: Path
) -> None:
    async with BotHarness(dataclasses.replace(settings, rate=200)) as h:
        await topics_in_store(h, tmp_path)
        await many_readers(h)
        picture = {**item(2, "t-beta", headline="زلزال بقوة 6 درجات"), "image_url": PICTURE}
        await ingest_elsewhere(settings.db_path, write_seed(tmp_path / "n.json", [item(1, "t-alpha"), picture]))
        await service(h).round()
        assert await h.emulator.waiters.until(lambda: len(h.emulator.sent) >= 20, 20)  # routine pushes under way
        stored = await h.news.store.articles.by_guid("test-item-2")
        assert stored is not None
        budget = service(h).worker.limiter
        mark = await hold(h, 5.0)  # the queue stands still while the broadcast is stored
        editors = h.news.services.editors
        plan = await editors.plan_broadcast(BroadcastRequest("ما نعرفه حتى الآن", stored.id))
        assert plan.readers == READERS + 0  # every active reader (the 500; nobody else has written)
        await editors.send_broadcast(plan, ADMIN_ID)
        counts = await settle(h, timeout=90)
        assert counts["failed"] == 0 and counts["queued"] == 0
        after = h.emulator.sent[mark:]
        assert after[0].method == "sendPhoto"  # the item with its picture, before the routine pushes left
        caption = after[0].text or ""
        assert caption.startswith("🔴 عاجل: ما نعرفه حتى الآن\n\nزلزال بقوة 6 درجات\n")
        assert after[0].reply_markup is not None and "اقرأ الخبر كاملًا" in str(after[0].reply_markup)
        urgent = [n for n, r in enumerate(after) if (r.text or "").startswith("🔴")]
        routine = [n for n, r in enumerate(after) if (r.text or "").startswith("🔔")]
        assert len(urgent) == READERS and routine and max(urgent) < max(routine)
        assert budget.sent_by_lane[Lane.URGENT] == READERS


async def test_an_item_marked_urgent_goes_before_the_routine_pushes_queued_before_it(
    settings: Settings, tmp_path: Path
) -> None:
    async with BotHarness(dataclasses.replace(settings, rate=200)) as h:
        await topics_in_store(h, tmp_path)
        await many_readers(h)
        items = [item(n, "t-alpha", headline=f"خبر رقم {n}") for n in (1, 2)]
        await ingest_elsewhere(settings.db_path, write_seed(tmp_path / "n.json", items))
        await service(h).round()  # 1,000 routine pushes: item 1's 500, then item 2's
        assert await h.emulator.waiters.until(lambda: len(h.emulator.sent) >= 20, 20)
        mark = await hold(h, 5.0)
        second = await h.news.store.articles.by_guid("test-item-2")
        assert second is not None
        marked = await h.news.services.editors.mark_urgent(second.id, ADMIN_ID)
        assert marked.moved > 0  # those still queued (the worker holds a batch of item 1's)
        counts = await settle(h, timeout=120)
        assert counts["failed"] == 0 and counts["queued"] == 0
        after = h.emulator.sent[mark:]
        assert (after[0].text or "").startswith("🔴 عاجل\n\nخبر رقم 2")
        firsts = [n for n, r in enumerate(after) if "خبر رقم 1" in (r.text or "")]
        urgent = [n for n, r in enumerate(after) if (r.text or "").startswith("🔴")]
        assert len(urgent) == marked.moved and max(urgent) < max(firsts)
        for reader_id in (FIRST, FIRST + READERS - 1):  # each reader: each item once
            texts = [m.text for m in h.emulator.bot_messages[reader_id]]
            assert sum("خبر رقم 1" in t for t in texts) == 1 and sum("خبر رقم 2" in t for t in texts) == 1


async def test_a_broadcast_to_a_topic_reaches_only_its_subscribers_and_skips_who_blocked(
    harness: BotHarness, tmp_path: Path
) -> None:
    h = harness
    await topics_in_store(h, tmp_path)
    alpha, beta, both, nobody, blocker = (h.reader(i) for i in (701, 702, 703, 704, 705))
    await subscribe(alpha, "t-alpha")
    for reader in (beta, both, blocker):
        await subscribe(reader, "t-beta")
    await subscribe(both, "t-alpha")
    await nobody.send("/start")
    blocker.user.account.blocked_bot = True  # blocked without the bot hearing of it: the send gets 403
    admin = h.reader(ADMIN_ID)
    preview = await admin.send("/broadcast --topic t-beta إغلاق الطريق الدولي")
    assert "معاينة الخبر العاجل" in preview.text and "إغلاق الطريق الدولي" in preview.text
    assert "يصله 3 قراء، من المشتركين في: موضوع باء التجريبي" in preview.text
    assert "يُرسل الآن" in preview.text and "نجم" not in preview.text  # paid broadcasts are off
    assert (await h.news.store.deliveries.count_by_state())["queued"] == 0  # nothing before «أرسل»
    confirmed = await admin.press("أرسل")
    assert "سُجّل الخبر العاجل" in confirmed.text and "قراء" in confirmed.text
    counts = await settle(h)
    assert counts["failed"] == 0
    assert [t.startswith("🔴 عاجل") for t in urgent_texts(h, beta.chat_id)] == [True]
    assert len(urgent_texts(h, both.chat_id)) == 1  # one message, though they follow both topics
    for reader in (alpha, nobody, admin, blocker):
        assert urgent_texts(h, reader.chat_id) == [], reader.chat_id
    blocked = await h.news.store.readers.get(blocker.chat_id)
    assert blocked is not None and blocked.status == "blocked"


async def test_a_scheduled_broadcast_goes_at_its_time_and_survives_a_restart(
    settings: Settings, tmp_path: Path
) -> None:
    tz = settings.timezone
    clock = MovableClock(datetime.now(UTC))
    at = (clock.now + timedelta(hours=2)).astimezone(tz).replace(second=0, microsecond=0)
    async with BotHarness(settings, clock=clock) as h:
        await topics_in_store(h, tmp_path)
        reader, admin = h.reader(721), h.reader(ADMIN_ID)
        await reader.send("/start")
        await admin.send("/start")
        preview = await admin.send(f"/broadcast --at {at:%Y-%m-%d %H:%M} موعد المؤتمر الصحفي")
        assert "موعد الإرسال" in preview.text and "يصله قارئان" in preview.text  # the reader and the admin
        confirmed = await admin.press("أرسل")
        assert "جُدول الخبر العاجل" in confirmed.text
        clock.now += timedelta(minutes=100)  # not yet
        assert await service(h).round() == 0
        await settle(h)
        assert urgent_texts(h, reader.chat_id) == []
    clock.now = at.astimezone(UTC) + timedelta(seconds=30)  # its time came while the bot was stopped
    emulator = BotApiEmulator()  # a new one: the readers' chats exist there before the bot starts
    for chat_id in (721, ADMIN_ID):
        emulator.user(chat_id, register=True)
    async with BotHarness(settings, clock=clock, emulator=emulator) as h:
        await settle(h)
        assert urgent_texts(h, 721) == ["🔴 عاجل\n\nموعد المؤتمر الصحفي"]
        assert len(urgent_texts(h, ADMIN_ID)) == 1


async def test_paid_broadcasts_go_with_allow_paid_broadcast_from_their_own_budget(
    settings: Settings, tmp_path: Path
) -> None:
    async with BotHarness(dataclasses.replace(settings, paid_broadcast_rate=1000), rate_limits=True) as h:
        await topics_in_store(h, tmp_path)
        await many_readers(h, count=120)
        admin = h.reader(ADMIN_ID)
        await admin.send("/start")
        preview = await admin.send("/broadcast انقطاع الكهرباء في القاهرة")
        assert "إرسال مدفوع" in preview.text and "حتى 1000 رسالة في الثانية" in preview.text
        assert "التكلفة التقديرية 13 نجمة على الأكثر" in preview.text  # 121 readers × 0.1 Star, rounded up
        await admin.press("أرسل")
        counts = await settle(h, timeout=60)
        assert counts["failed"] == 0
        sent = [r for r in h.emulator.sent if (r.text or "").startswith("🔴 عاجل")]
        assert len(sent) == 121 and all(r.paid for r in sent)
        assert not any(r.paid for r in h.emulator.sent if not (r.text or "").startswith("🔴 عاجل"))
        assert h.emulator.limits.paid_sent == 121
        worker = service(h).worker
        assert worker.paid is not None and worker.paid.sent_by_lane[Lane.URGENT] == 121
        assert worker.limiter.sent_by_lane[Lane.URGENT] == 0  # none drawn from the free budget
        assert worker.counters.paid == 121


async def test_bad_broadcasts_are_one_clear_arabic_line_and_store_nothing(harness: BotHarness, tmp_path: Path) -> None:
    h = harness
    await topics_in_store(h, tmp_path)
    admin = h.reader(ADMIN_ID)
    await admin.send("/start")
    for command, expected in (
        ("/broadcast --item 99999 نص", "لا يوجد خبر بالرقم «99999»"),
        ("/broadcast --item abc", "لا يوجد خبر بالرقم «abc»"),
        ("/broadcast --topic no-such-topic نص", "لا يوجد موضوع بالمعرّف «no-such-topic»"),
        ("/broadcast --at 2020-01-01 10:00 نص", "الوقت «2020-01-01 10:00» مضى"),
        ("/broadcast --at yesterday نص", "لم أفهم الوقت «yesterday»"),
        ("/broadcast --topic t-alpha", "نص الخبر العاجل فارغ"),
        ("/broadcast --topic t-beta نص", "لن يصل هذا الخبر إلى أحد"),  # nobody follows it
        ("/urgent 99999", "لا يوجد خبر بالرقم «99999»"),
    ):
        reply = await admin.send(command)
        assert expected in reply.text, (command, reply.text)
        assert reply.text.startswith("✖️") and "\n" not in reply.text.strip()
    usage = await admin.send("/broadcast --color red نص")
    assert "--topic" in usage.text
    assert "للمحررين فقط" in (await h.reader(730).send("/urgent 1")).text
    assert await h.news.store.deliveries.count_by_state() == dict.fromkeys(
        ("queued", "sending", "sent", "failed", "cancelled"), 0
    )


async def test_confirmation_buttons_answer_others_and_stale_previews_in_arabic(harness: BotHarness) -> None:
    """A confirmation button pressed by a reader who is not an editor, or on a preview the bot no
    longer holds, is answered with a short Arabic notice (templates/admin_button.html.j2)."""
    h = harness
    reader = h.reader(731)
    first = await reader.send("/start")
    message_id = first.sent[0].message_id
    for data in ("bc:ok:abcdef", "wd:ok:1"):
        reply = await reader.press_data(message_id, data, strict=False)
        assert reply.sent == [] and reply.callback_answer is not None
        assert reply.callback_answer["text"] == "هذا الزر للمحررين فقط."
    admin = h.reader(ADMIN_ID)
    started = await admin.send("/start")
    stale = await admin.press_data(started.sent[0].message_id, "bc:ok:abcdef", strict=False)
    assert stale.callback_answer is not None
    assert stale.callback_answer["text"] == "انتهت صلاحية هذه المعاينة: أرسل /broadcast من جديد."
