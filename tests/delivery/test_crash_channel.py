"""`newsbot run` killed with SIGKILL while posting to a linked channel (issue 15), then restarted:
no channel post lost, and at most the post in flight at the kill repeated; the readers' pushes of
the same round likewise."""

from __future__ import annotations

import asyncio
import signal
from collections import Counter
from pathlib import Path

import pytest

from bot.devtools.emulator.server import BotApiEmulator
from bot.models import ChatKind
from bot.store import Store
from tests.delivery.support import ingest_elsewhere, item, write_seed
from tests.delivery.test_crash import _start_bot, _wait

READERS = 100
ITEMS = 3
OWNER = 5001


def _posts(emulator: BotApiEmulator, chat_id: int) -> Counter[str]:
    return Counter(
        (r.text or "").split("رقم ")[1].split()[0]
        for r in emulator.sent
        if r.chat_id == chat_id and (r.text or "").startswith("🔔")
    )


def _pushes(emulator: BotApiEmulator) -> Counter[tuple[int, str]]:
    return Counter(
        (r.chat_id or 0, (r.text or "").split("رقم ")[1].split()[0])
        for r in emulator.sent
        if (r.chat_id or 0) > 0 and (r.text or "").startswith("🔔")
    )


@pytest.mark.slow
async def test_sigkill_while_posting_to_a_channel_loses_no_post(tmp_path: Path) -> None:
    db = tmp_path / "newsbot.db"
    await ingest_elsewhere(db, write_seed(tmp_path / "topics.json", [item(0, "t-alpha")]))
    store = await Store.open(db)
    topic = await store.topics.by_slug("t-alpha")
    assert topic is not None
    await store.deliveries.fan_out()  # the first round: item 0 is history
    async with BotApiEmulator(rate_limits=False) as emulator:
        channel = emulator.channel("قناة الموقع", owner=OWNER, username="site_news")
        channel.add_bot(OWNER)
        emulator.updates.clear()  # the bot was made an administrator before it ran
        await store.chats.save(channel.chat_id, ChatKind.CHANNEL, "قناة الموقع", "site_news", linked_by=OWNER)
        await store.subscriptions.subscribe(channel.chat_id, topic.id)
        for reader_id in range(10_001, 10_001 + READERS):
            emulator.user(reader_id, register=True)
            await store.readers.get_or_create(reader_id, "قارئ")
            await store.subscriptions.subscribe(reader_id, topic.id)
        await store.close()
        emulator.faults.latency = 0.01

        bot = await _start_bot(emulator, db, tmp_path)
        await emulator.wait_for_long_poll(timeout=30)
        items = [item(n, "t-alpha") for n in range(1, ITEMS + 1)]
        await ingest_elsewhere(db, write_seed(tmp_path / "n.json", items))
        # Channel posts go 20 a minute at most: the kill comes after the first, before the last.
        await _wait(emulator, lambda: sum(_posts(emulator, channel.chat_id).values()) >= 1, timeout=60)
        bot.send_signal(signal.SIGKILL)
        await bot.wait()
        assert sum(_posts(emulator, channel.chat_id).values()) < ITEMS, "the kill came too late to be mid-round"

        store = await Store.open(db)
        in_flight = (await store.deliveries.count_by_state())["sending"]
        await store.close()

        bot = await _start_bot(emulator, db, tmp_path)
        try:
            await _wait(
                emulator,
                lambda: len(_posts(emulator, channel.chat_id)) == ITEMS and len(_pushes(emulator)) == READERS * ITEMS,
                timeout=90,
            )
            await asyncio.sleep(0.5)
        finally:
            bot.send_signal(signal.SIGTERM)
            await bot.wait()

    posts = _posts(emulator, channel.chat_id)
    assert set(posts) == {str(n) for n in range(1, ITEMS + 1)}
    pushes = _pushes(emulator)
    repeats = sum(n - 1 for n in posts.values()) + sum(n - 1 for n in pushes.values())
    assert repeats <= in_flight, (posts, repeats, in_flight)
    store = await Store.open(db)
    counts = await store.deliveries.count_by_state()
    await store.close()
    assert counts["sent"] == (READERS + 1) * ITEMS and counts["queued"] == counts["sending"] == counts["failed"] == 0
