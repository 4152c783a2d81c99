"""Push delivery end to end: the real bot against the emulator, items stored by another process."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.config import Settings
from bot.delivery.service import DeliveryService
from bot.devtools.harness import BotHarness, ChatClient
from bot.models import ReaderStatus
from tests.delivery.support import ingest_elsewhere, item, write_seed

ADMIN = 4242


def service(h: BotHarness) -> DeliveryService:
    found = h.news.delivery
    assert isinstance(found, DeliveryService)
    return found


def fast_retries(h: BotHarness) -> None:
    worker = service(h).worker
    worker.policy = dataclasses.replace(worker.policy, backoff=0.02, max_backoff=0.1)


async def settle(h: BotHarness, timeout: float = 20.0, waiting: int = 0) -> dict[str, int]:
    """Wait until nothing is in flight and only `waiting` (digest) deliveries are queued."""
    async with asyncio.timeout(timeout):
        while True:
            counts = await h.news.store.deliveries.count_by_state()
            if counts["queued"] == waiting and counts["sending"] == 0 and service(h).worker.in_flight == 0:
                await service(h).round()  # nothing recorded since the last look
                counts = await h.news.store.deliveries.count_by_state()
                if counts["queued"] == waiting and counts["sending"] == 0:
                    await asyncio.sleep(service(h).worker.policy.flush_interval * 3)
                    return await h.news.store.deliveries.count_by_state()
            await asyncio.sleep(0.05)


def pushes(h: BotHarness, chat_id: int) -> list[str]:
    return [r.text or "" for r in h.emulator.sent if r.chat_id == chat_id and (r.text or "").startswith("🔔")]


async def subscribe(reader: ChatClient, slug: str) -> None:
    await reader.send(f"/start t{slug}")
    reply = await reader.press("➕")
    assert reply.callback_answer is not None


async def topics_in_store(h: BotHarness, tmp_path: Path) -> None:
    await ingest_elsewhere(h.settings.store_location, write_seed(tmp_path / "topics.json", [item(0, "t-alpha")]))
    # A round now takes item 0 from the outbox before anyone subscribes, so it reaches nobody.
    await service(h).round()


async def test_items_from_another_process_reach_each_subscriber_once(harness: BotHarness, tmp_path: Path) -> None:
    await topics_in_store(harness, tmp_path)
    both, alpha, beta, nobody = (harness.reader(i) for i in (601, 602, 603, 604))
    await subscribe(both, "t-alpha")
    await subscribe(both, "t-beta")
    await subscribe(alpha, "t-alpha")
    await subscribe(beta, "t-beta")
    await nobody.send("/start")

    await ingest_elsewhere(
        harness.settings.db_path,
        write_seed(
            tmp_path / "new.json",
            [item(1, "t-alpha", "t-beta"), item(2, "t-alpha"), item(3, "t-beta", lead="<b>ليس وسمًا</b> & نص")],
        ),
    )
    counts = await settle(harness)
    assert counts["failed"] == 0
    assert len(pushes(harness, both.chat_id)) == 3  # item 1 once, though in both of their topics
    assert len(pushes(harness, alpha.chat_id)) == 2
    assert len(pushes(harness, beta.chat_id)) == 2
    assert pushes(harness, nobody.chat_id) == []
    assert any("<b>ليس وسمًا</b> & نص" in t for t in pushes(harness, beta.chat_id))  # shown as text, not markup
    # The item that was in the store before the subscriptions is never pushed.
    assert not any("رقم 0" in t for t in pushes(harness, both.chat_id))
    # The push's button opens the whole article.
    reply = await alpha.press("اقرأ الخبر")
    assert "عنوان تجريبي رقم" in reply.text


async def test_a_blocked_reader_is_skipped_and_an_unblocked_one_gets_new_items(
    harness: BotHarness, tmp_path: Path
) -> None:
    await topics_in_store(harness, tmp_path)
    stays, blocks, silent_blocker = (harness.reader(i) for i in (611, 612, 613))
    for reader in (stays, blocks, silent_blocker):
        await subscribe(reader, "t-alpha")
    await blocks.block()  # Telegram tells the bot (my_chat_member)
    assert (await harness.news.store.readers.get(612)).status is ReaderStatus.BLOCKED  # type: ignore[union-attr]
    silent_blocker.user.account.blocked_bot = True  # blocked without the bot hearing of it: the send gets 403

    await ingest_elsewhere(harness.settings.db_path, write_seed(tmp_path / "a.json", [item(1, "t-alpha")]))
    await settle(harness)
    assert len(pushes(harness, stays.chat_id)) == 1
    assert pushes(harness, blocks.chat_id) == [] and pushes(harness, silent_blocker.chat_id) == []
    gone = await harness.news.store.readers.get(613)
    assert gone is not None and gone.status is ReaderStatus.BLOCKED

    await blocks.unblock()
    silent_blocker.user.account.blocked_bot = False
    await silent_blocker.send("/start")  # /start brings a reader back
    await ingest_elsewhere(harness.settings.db_path, write_seed(tmp_path / "b.json", [item(2, "t-alpha")]))
    await settle(harness)
    for reader in (stays, blocks, silent_blocker):
        assert [t for t in pushes(harness, reader.chat_id) if "رقم 2" in t], reader.chat_id
    assert not [t for t in pushes(harness, blocks.chat_id) if "رقم 1" in t]


async def test_a_deleted_account_is_retired(harness: BotHarness, tmp_path: Path) -> None:
    await topics_in_store(harness, tmp_path)
    reader = harness.reader(621)
    await subscribe(reader, "t-alpha")
    reader.user.delete_account()
    await ingest_elsewhere(harness.settings.db_path, write_seed(tmp_path / "a.json", [item(1, "t-alpha")]))
    counts = await settle(harness)
    stored = await harness.news.store.readers.get(621)
    assert stored is not None and stored.status is ReaderStatus.GONE
    assert counts["cancelled"] == 1 and counts["failed"] == 0


@pytest.mark.parametrize("fault", ["5xx", "dropped", "latency", "429"])
async def test_faults_lose_nothing(settings: Settings, tmp_path: Path, fault: str) -> None:
    async with BotHarness(settings, rate_limits=fault == "429") as h:
        fast_retries(h)
        await topics_in_store(h, tmp_path)
        readers = [h.reader(700 + i) for i in range(6)]
        for reader in readers:
            await subscribe(reader, "t-alpha")
        faults = h.emulator.faults
        if fault == "5xx":
            faults.fail_next("sendMessage", 4, status=502)
            faults.fail_next("sendMessage", 2, status=500)
        elif fault == "dropped":
            faults.drop_next("sendMessage", 4)
        elif fault == "latency":
            faults.latency = 0.3
        else:
            h.emulator.limits.global_rate = h.emulator.limits.global_burst = 3  # a 429 storm
            h.emulator.limits.reset()
        await ingest_elsewhere(
            # three items: a backlog of three still goes as one push each (past three, one message)
            settings.db_path,
            write_seed(tmp_path / "n.json", [item(n, "t-alpha") for n in range(1, 4)]),
        )
        counts = await settle(h, timeout=60)
        assert counts["failed"] == 0 and counts["cancelled"] == 0
        for reader in readers:
            got = sorted(t.split("رقم ")[1].split()[0] for t in pushes(h, reader.chat_id))
            assert got == ["1", "2", "3"], (reader.chat_id, got)
        if fault == "429":
            assert service(h).worker.counters.retry_after > 0
        if fault in ("5xx", "dropped"):
            assert service(h).worker.counters.retried > 0


async def test_a_delivery_that_keeps_failing_is_left_failed_with_its_reason(
    harness: BotHarness, tmp_path: Path
) -> None:
    fast_retries(harness)
    await topics_in_store(harness, tmp_path)
    reader = harness.reader(631)
    await subscribe(reader, "t-alpha")
    harness.emulator.faults.fail_next("sendMessage", 50, status=502)
    await ingest_elsewhere(harness.settings.db_path, write_seed(tmp_path / "a.json", [item(1, "t-alpha")]))
    counts = await settle(harness)
    assert counts["failed"] == 1
    ((_, _, state, error),) = await harness.news.store.deliveries.for_reader(631)
    assert state == "failed" and error is not None and "Bad Gateway" in error and "5 tries" in error
    harness.emulator.faults.reset()


async def test_broadcast_needs_confirmation_and_reaches_every_active_reader(harness: BotHarness) -> None:
    readers = [harness.reader(i) for i in (641, 642, 643)]
    for reader in readers:
        await reader.send("/start")
    await readers[2].send("/stop")
    await readers[2].press("نعم، أوقف")
    admin = harness.reader(ADMIN)
    assert "للمحررين فقط" in (await readers[0].send("/broadcast نص")).text
    preview = await admin.send("/broadcast انقطاع الكهرباء <مؤقت> في القاهرة")
    assert "معاينة" in preview.text and "&lt;مؤقت&gt;" not in preview.text
    assert await harness.news.store.deliveries.count_by_state() == {
        "queued": 0,
        "sending": 0,
        "sent": 0,
        "failed": 0,
        "cancelled": 0,
    }
    confirmed = await admin.press("أرسل")
    assert "سُجّل الخبر العاجل" in confirmed.text
    await settle(harness)
    for reader in (readers[0], readers[1], admin):
        texts = [
            r.text or "" for r in harness.emulator.sent if r.chat_id == reader.chat_id and "عاجل" in (r.text or "")
        ]
        assert any("انقطاع الكهرباء <مؤقت> في القاهرة" in t for t in texts), reader.chat_id
    assert not [r for r in harness.emulator.sent if r.chat_id == readers[2].chat_id and "عاجل" in (r.text or "")]
    stats = await admin.send("/stats")
    assert "أُرسلت" in stats.text and "حظروا البوت" in stats.text


class MovableClock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


async def test_digest_at_the_readers_hour_and_silent_pushes_in_quiet_hours(settings: Settings, tmp_path: Path) -> None:
    tz = settings.timezone
    real_now = datetime.now(UTC)
    clock = MovableClock(real_now)
    local_hour = real_now.astimezone(tz).hour
    digest_hour = (local_hour + 2) % 24
    async with BotHarness(settings, clock=clock) as h:
        await topics_in_store(h, tmp_path)
        digest, quiet, loud = (h.reader(i) for i in (651, 652, 653))
        for reader in (digest, quiet, loud):
            await subscribe(reader, "t-alpha")
        store = h.news.store
        await store.readers.change_settings(651, push_mode="digest", digest_hours=(digest_hour,))
        await store.readers.change_settings(652, quiet_start=local_hour, quiet_end=(local_hour + 1) % 24)
        await ingest_elsewhere(
            settings.db_path, write_seed(tmp_path / "n.json", [item(n, "t-alpha") for n in (1, 2, 3)])
        )
        await settle(h, waiting=3)
        assert len(await store.deliveries.digest_readers()) == 1  # the digest reader's items wait
        assert [
            r.disable_notification
            for r in h.emulator.sent
            if r.chat_id == quiet.chat_id and (r.text or "").startswith("🔔")
        ] == [True] * 3
        assert [
            r.disable_notification
            for r in h.emulator.sent
            if r.chat_id == loud.chat_id and (r.text or "").startswith("🔔")
        ] == [False] * 3
        assert [r for r in h.emulator.sent if r.chat_id == digest.chat_id and "موجز" in (r.text or "")] == []

        local = real_now.astimezone(tz)
        at = local.replace(hour=digest_hour, minute=0, second=30, microsecond=0)
        if at <= local:
            at += timedelta(days=1)
        clock.now = at.astimezone(UTC)
        mark = len(h.emulator.sent)
        await service(h).round()
        message = await h.emulator.wait_for_sent(
            lambda r: r.chat_id == digest.chat_id and "موجز" in (r.text or ""), timeout=10, since=mark
        )
        assert message.text is not None and "موجز أخبارك" in message.text and "3 أخبار" in message.text
        assert all(f"رقم {n}" in message.text for n in (1, 2, 3))
        await service(h).round()  # nothing new: no second digest
        assert len([r for r in h.emulator.sent if r.chat_id == digest.chat_id and "موجز" in (r.text or "")]) == 1
