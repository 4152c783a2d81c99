"""Two `newsbot run` instances on one PostgreSQL store, long polling the emulator: one leads (polls,
fans out, sends), the other stands by. SIGKILL of the leader in the middle of a large round: the
other takes the lead within seconds, answers readers, and finishes the round; every subscriber gets
every item, and the only repeats are sends that were in flight at the kill."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from pathlib import Path

import pytest

from bot.devtools.emulator.server import BotApiEmulator
from bot.devtools.harness import TEST_TOKEN
from bot.store.postgres import PostgresStore
from tests.delivery.support import REPO, ingest_elsewhere, item, write_seed
from tests.delivery.test_crash import _pushes, _wait
from tests.postgres import PostgresDatabase

READERS = 300
ITEMS = 2
FAILOVER_LIMIT = 5.0  # seconds from the leader's death to the first send by the new leader


async def _start_instance(
    emulator: BotApiEmulator, url: str, log: Path, *, rate: str = "150"
) -> asyncio.subprocess.Process:
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": TEST_TOKEN,
        "TELEGRAM_API_URL": emulator.base_url,
        "NEWSBOT_DB": url,
        "NEWSBOT_PUSH_INTERVAL": "0.2",
        "NEWSBOT_RATE": rate,
        "NEWSBOT_LOG_LEVEL": "INFO",
    }
    with log.open("ab") as out:
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", cwd=REPO, env=env, stdout=out, stderr=out
        )


async def _until_logged(log: Path, text: str, timeout: float) -> None:
    """Until the instance's log says `text` (another process: nothing here to wait on but its file)."""
    async with asyncio.timeout(timeout):
        while True:
            if text in await asyncio.to_thread(log.read_text, encoding="utf-8", errors="replace"):
                return
            await asyncio.sleep(0.05)


async def assert_every_push_once(store: PostgresStore, emulator: BotApiEmulator, readers: int, items: int) -> None:
    """Every subscriber got items 1..`items` (readers 10001…), every delivery is sent, and the only
    repeats are deliveries taken twice: a delivery taken again after a kill or an outage has
    attempts 2 (no faults here, so no other retries), the in-flight sends, the only ones that may
    have reached Telegram twice. Closes `store`."""
    pushes = _pushes(emulator)
    expected = {(r, str(n)) for r in range(10_001, 10_001 + readers) for n in range(1, items + 1)}
    repeats = sum(n - 1 for n in pushes.values())
    taken_twice = await store.db.fetchval("SELECT count(*) FROM deliveries WHERE attempts > 1")
    counts = await store.deliveries.count_by_state()
    await store.close()
    assert set(pushes) == expected
    assert repeats <= taken_twice, (repeats, taken_twice)
    assert counts["sent"] == readers * items and counts["queued"] == counts["sending"] == counts["failed"] == 0


@pytest.mark.slow
async def test_sigkill_of_the_leader_another_takes_over_and_nothing_is_lost(
    postgres: PostgresDatabase, tmp_path: Path
) -> None:
    url = await postgres.fresh_schema()
    await ingest_elsewhere(url, write_seed(tmp_path / "topics.json", [item(0, "t-alpha")]))  # type: ignore[arg-type]
    store = await PostgresStore.open(url, pool_size=2)
    topic = await store.topics.by_slug("t-alpha")
    assert topic is not None
    await store.deliveries.fan_out()  # the first round: item 0 is history
    first_log, second_log = tmp_path / "first.log", tmp_path / "second.log"
    async with BotApiEmulator(rate_limits=False) as emulator:
        for reader_id in range(10_001, 10_001 + READERS):
            emulator.user(reader_id, register=True)
            await store.readers.get_or_create(reader_id, "قارئ")
            await store.subscriptions.subscribe(reader_id, topic.id)
        emulator.faults.latency = 0.01

        leader = await _start_instance(emulator, url, first_log)
        standby: asyncio.subprocess.Process | None = None
        try:
            await emulator.wait_for_long_poll(timeout=60)
            await _until_logged(first_log, "this instance is the leader", 30)
            standby = await _start_instance(emulator, url, second_log)
            await _until_logged(second_log, "standing by", 60)

            await ingest_elsewhere(url, write_seed(tmp_path / "n.json", [item(n, "t-alpha") for n in (1, 2)]))  # type: ignore[arg-type]
            await _wait(emulator, lambda: sum(_pushes(emulator).values()) >= READERS * ITEMS // 3, timeout=60)
            leader.send_signal(signal.SIGKILL)
            killed_at = time.monotonic()
            await leader.wait()
            before = len(emulator.sent)
            assert sum(_pushes(emulator).values()) < READERS * ITEMS, "the kill came too late to be mid-round"

            await _wait(emulator, lambda: len(emulator.sent) > before, timeout=30)
            failover = time.monotonic() - killed_at
            await _wait(emulator, lambda: len(_pushes(emulator)) == READERS * ITEMS, timeout=60)
            await _until_logged(second_log, "this instance is the leader", 5)

            # The new leader polls: a reader's command is answered.
            asker = emulator.user(20_001, register=True)
            asker.send_text("/latest")
            await _wait(emulator, lambda: any(r.chat_id == asker.chat_id for r in emulator.sent), timeout=30)
            await asyncio.sleep(0.5)
        finally:
            for proc in (leader, standby):
                if proc is not None and proc.returncode is None:
                    proc.send_signal(signal.SIGTERM)
                    await proc.wait()

    await assert_every_push_once(store, emulator, READERS, ITEMS)
    assert failover <= FAILOVER_LIMIT, f"the new leader's first send came {failover:.1f}s after the kill"
    # Only one instance polled while both ran: Telegram answers a second poller 409 Conflict. (The
    # dead leader's last long poll, still open at the server, is answered 409 when the new one polls.)
    assert not [r for r in emulator.refusals if r.status == 409 and r.time < killed_at]
