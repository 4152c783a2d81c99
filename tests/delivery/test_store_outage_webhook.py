"""The webhook-mode twin of test_store_outage: the PostgreSQL database goes away under a `newsbot run`
in webhook mode (behind the emulator playing the load balancer) in the middle of a delivery round.

Telegram has had its 200 before a handler runs, so the instance itself holds a reader's update
that met the store away and handles it again when the store is back (bot/runtime/held.py): the
reader gets the real answer, once, not the error message; a later update of the same chat (one
that needs no store) waits behind it, so the chat's answers come in the order it asked. Deliveries
pause and resume with the lead; nothing lost, repeats only the sends in flight. The log says the
store went away and came back, one line each, and holds no traceback."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from bot.devtools.emulator.server import BotApiEmulator
from bot.store.postgres import PostgresStore
from tests.cli.test_run import free_port
from tests.delivery.support import ingest_elsewhere, item, write_seed
from tests.delivery.test_crash import _pushes, _wait
from tests.delivery.test_leader_failover import _until_logged, assert_every_push_once
from tests.delivery.test_store_outage import OUTAGE, _outage
from tests.delivery.test_three_instances import _start
from tests.postgres import PostgresDatabase

READERS = 120
ITEMS = 2
ERROR_REPLY = "عذرًا، حدث خطأ"  # templates/error.html.j2


def _replies(emulator: BotApiEmulator, chat_id: int) -> list[str]:
    return [r.text or "" for r in emulator.sent if r.chat_id == chat_id]


@pytest.mark.slow
async def test_in_webhook_mode_an_update_met_by_the_outage_is_answered_once_the_store_is_back(
    postgres: PostgresDatabase, tmp_path: Path
) -> None:
    url = await postgres.fresh_schema()
    database = urlsplit(postgres.url).path.lstrip("/")
    await ingest_elsewhere(url, write_seed(tmp_path / "topics.json", [item(0, "t-alpha")]))  # type: ignore[arg-type]
    store = await PostgresStore.open(url, pool_size=2)
    topic = await store.topics.by_slug("t-alpha")
    assert topic is not None
    await store.deliveries.fan_out()  # the first round: item 0 is history
    log = tmp_path / "bot.log"
    port = free_port()
    async with BotApiEmulator(rate_limits=False) as emulator:
        emulator.webhook_backends = [f"http://127.0.0.1:{port}/telegram/webhook"]
        for reader_id in range(10_001, 10_001 + READERS):
            emulator.user(reader_id, register=True)
            await store.readers.get_or_create(reader_id, "قارئ")
            await store.subscriptions.subscribe(reader_id, topic.id)
        emulator.faults.latency = 0.01
        bot = await _start(emulator, url, port, log)
        try:
            await _until_logged(log, "this instance is the leader", 60)
            asker = emulator.user(20_001, register=True)
            asker.send_text("/latest")
            await _wait(emulator, lambda: len(_replies(emulator, asker.chat_id)) == 1, timeout=30)

            await ingest_elsewhere(url, write_seed(tmp_path / "n.json", [item(n, "t-alpha") for n in (1, 2)]))  # type: ignore[arg-type]
            await _wait(emulator, lambda: sum(_pushes(emulator).values()) >= READERS * ITEMS // 4, timeout=60)
            outage = asyncio.create_task(_outage(database, OUTAGE))
            await asyncio.sleep(1.0)
            asker.send_text("/latest")  # needs the store: held by the instance
            await _until_logged(log, "holding readers' updates while the store is away", 10)
            asker.send_text("/help")  # needs no store, but waits behind the chat's held /latest
            await asyncio.sleep(0.5)
            answered_during = len(_replies(emulator, asker.chat_id))
            await outage
            assert bot.returncode is None, "the bot stopped when its database went away"
            assert sum(_pushes(emulator).values()) < READERS * ITEMS, "the outage came too late to be mid-round"

            await _wait(emulator, lambda: len(_pushes(emulator)) == READERS * ITEMS, timeout=90)
            await _wait(emulator, lambda: len(_replies(emulator, asker.chat_id)) >= 3, timeout=60)
            await _until_logged(log, "the held readers' updates are answered", 10)
            await asyncio.sleep(0.5)  # a second answer to the held update, if any, would be here by now
        finally:
            if bot.returncode is None:
                bot.send_signal(signal.SIGTERM)
                await bot.wait()

    await assert_every_push_once(store, emulator, READERS, ITEMS)
    replies = _replies(emulator, asker.chat_id)
    assert answered_during == 1, "a reply went out while the store was away"
    # Once each, the real answers, in the order the reader asked: /latest (the newest item), then /help.
    assert len(replies) == 3, replies
    assert not any(ERROR_REPLY in text for text in replies), replies
    assert replies[1].startswith("📰 آخر الأخبار") and "رقم 2" in replies[1], replies[1]
    assert "/latest" in replies[2] and not replies[2].startswith("📰"), replies[2]
    text = log.read_text(encoding="utf-8", errors="replace")
    assert "Traceback" not in text, text
    assert text.count("the store went away") == 1 and text.count("the store is back") == 1, text
    assert "the held readers' updates are answered (2 handled again)" in text, text
