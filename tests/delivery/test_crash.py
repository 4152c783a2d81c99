"""`newsbot run` killed with SIGKILL in the middle of a large round, then restarted: nothing lost,
and the only repeats are sends that were in flight at the kill."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.devtools.emulator.server import BotApiEmulator
from bot.devtools.emulator.state import SentRecord
from bot.devtools.harness import TEST_TOKEN
from bot.store import Store
from tests.delivery.support import REPO, ingest_elsewhere, item, write_seed

READERS = 300
ITEMS = 2


async def _start_bot(emulator: BotApiEmulator, db: Path, tmp_path: Path) -> asyncio.subprocess.Process:
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": TEST_TOKEN,
        "TELEGRAM_API_URL": emulator.base_url,
        "NEWSBOT_DB": str(db),
        "NEWSBOT_PUSH_INTERVAL": "0.2",
        "NEWSBOT_RATE": "150",
        "NEWSBOT_LOG_LEVEL": "WARNING",
    }
    with (tmp_path / "bot.log").open("ab") as log:
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", cwd=REPO, env=env, stdout=log, stderr=log
        )


def _pushes(emulator: BotApiEmulator) -> Counter[tuple[int, str]]:
    return Counter(
        (r.chat_id or 0, (r.text or "").split("رقم ")[1].split()[0])
        for r in emulator.sent
        if (r.text or "").startswith("🔔")
    )


async def _wait(emulator: BotApiEmulator, predicate: Callable[[], bool], timeout: float) -> None:
    """Wait until `predicate` holds, looking again at each message the emulator accepts."""
    changed = asyncio.Event()

    def on_sent(_: SentRecord) -> None:
        changed.set()

    emulator.listeners.append(on_sent)
    try:
        async with asyncio.timeout(timeout):
            while not predicate():
                await changed.wait()
                changed.clear()
    finally:
        emulator.listeners.remove(on_sent)


@pytest.mark.slow
async def test_sigkill_mid_round_then_restart_loses_nothing(tmp_path: Path) -> None:
    db = tmp_path / "newsbot.db"
    await ingest_elsewhere(db, write_seed(tmp_path / "topics.json", [item(0, "t-alpha")]))
    store = await Store.open(db)
    topic = await store.topics.by_slug("t-alpha")
    assert topic is not None
    await store.deliveries.fan_out()  # the first round: item 0 is history
    async with BotApiEmulator(rate_limits=False) as emulator:
        for reader_id in range(10_001, 10_001 + READERS):
            emulator.user(reader_id, register=True)
            await store.readers.get_or_create(reader_id, "قارئ")
            await store.subscriptions.subscribe(reader_id, topic.id)
        await store.close()
        emulator.faults.latency = 0.01

        bot = await _start_bot(emulator, db, tmp_path)
        await emulator.wait_for_long_poll(timeout=30)
        await ingest_elsewhere(db, write_seed(tmp_path / "n.json", [item(n, "t-alpha") for n in (1, 2)]))
        await _wait(emulator, lambda: sum(_pushes(emulator).values()) >= READERS * ITEMS // 3, timeout=60)
        bot.send_signal(signal.SIGKILL)
        await bot.wait()
        before = sum(_pushes(emulator).values())
        assert before < READERS * ITEMS, "the kill came too late to be mid-round"

        store = await Store.open(db)
        in_flight = (await store.deliveries.count_by_state())["sending"]
        await store.close()

        bot = await _start_bot(emulator, db, tmp_path)
        try:
            await _wait(emulator, lambda: len(_pushes(emulator)) == READERS * ITEMS, timeout=60)
            await asyncio.sleep(0.5)
        finally:
            bot.send_signal(signal.SIGTERM)
            await bot.wait()

    pushes = _pushes(emulator)
    assert set(pushes) == {(r, str(n)) for r in range(10_001, 10_001 + READERS) for n in (1, 2)}
    repeats = sum(n - 1 for n in pushes.values())
    assert repeats <= in_flight, (repeats, in_flight)
    store = await Store.open(db)
    counts = await store.deliveries.count_by_state()
    await store.close()
    assert counts["sent"] == READERS * ITEMS and counts["queued"] == counts["sending"] == counts["failed"] == 0


@pytest.mark.slow
async def test_sigkill_mid_correction_round_then_restart_loses_nothing(tmp_path: Path) -> None:
    """Every push of a corrected item ends up edited, exactly once, across a SIGKILL mid-round."""
    db = tmp_path / "newsbot.db"
    await ingest_elsewhere(db, write_seed(tmp_path / "topics.json", [item(0, "t-alpha")]))
    store = await Store.open(db)
    topic = await store.topics.by_slug("t-alpha")
    assert topic is not None
    await store.deliveries.fan_out()  # the first round: item 0 is history
    readers = range(20_001, 20_001 + READERS)
    async with BotApiEmulator(rate_limits=False) as emulator:
        for reader_id in readers:
            emulator.user(reader_id, register=True)
            await store.readers.get_or_create(reader_id, "قارئ")
            await store.subscriptions.subscribe(reader_id, topic.id)
        await store.close()
        emulator.faults.latency = 0.01

        def edits() -> Counter[int]:
            return Counter(r.chat_id or 0 for r in emulator.sent if r.method == "editMessageText")

        def pushed() -> int:
            return sum(1 for r in emulator.sent if r.method == "sendMessage" and "رقم 1" in (r.text or ""))

        bot = await _start_bot(emulator, db, tmp_path)
        await emulator.wait_for_long_poll(timeout=30)
        await ingest_elsewhere(db, write_seed(tmp_path / "n.json", [item(1, "t-alpha")]))
        await _wait(emulator, lambda: pushed() == READERS, timeout=60)
        await asyncio.sleep(0.5)  # the last marks written
        await ingest_elsewhere(db, write_seed(tmp_path / "c.json", [item(1, "t-alpha", headline="عنوان مصحح رقم 1")]))
        await _wait(emulator, lambda: sum(edits().values()) >= READERS // 4, timeout=60)
        bot.send_signal(signal.SIGKILL)
        await bot.wait()
        assert sum(edits().values()) < READERS, "the kill came too late to be mid-round"

        bot = await _start_bot(emulator, db, tmp_path)
        try:
            await _wait(emulator, lambda: len(edits()) == READERS, timeout=60)
            await asyncio.sleep(0.5)
        finally:
            bot.send_signal(signal.SIGTERM)
            await bot.wait()

    assert set(edits()) == set(readers) and set(edits().values()) == {1}  # a repeat is "not modified"
    for reader_id in readers:
        texts = [m.text for m in emulator.bot_messages[reader_id] if "رقم 1" in m.text]
        assert len(texts) == 1 and "عنوان مصحح رقم 1" in texts[0], reader_id
    store = await Store.open(db)
    jobs = await store.messages.count_by_state()
    await store.close()
    assert jobs["queued"] == jobs["sending"] == jobs["failed"] == 0 and jobs["done"] >= READERS
