"""Three `newsbot run` instances in webhook mode on one PostgreSQL store, behind a load balancer
(the emulator posts each update to the next instance in turn, and to the one after when an instance
does not answer, as nginx's `upstream` with `proxy_next_upstream` does), with Telegram's per-bot
limit enforced in its strictest reading (at most 30 messages in any one-second window).

Readers' commands are answered by all three; a pushed item reaches every subscriber exactly once;
SIGKILL of the leader in the middle of the round: another takes the lead and finishes it, nothing
lost, the only repeats the sends in flight; and no message is refused for the per-bot limit while
three instances send (pushes paced by the leader's NEWSBOT_RATE, replies in the slice it leaves)."""

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
from tests.cli.test_run import free_port
from tests.delivery.support import REPO, ingest_elsewhere, item, write_seed
from tests.delivery.test_crash import _pushes, _wait
from tests.delivery.test_leader_failover import FAILOVER_LIMIT, _until_logged, assert_every_push_once
from tests.postgres import PostgresDatabase

READERS = 150
ITEMS = 2
INSTANCES = 3
SECRET = "three-instances-secret"
ASKS_PER_SECOND = 3  # readers' commands while the round runs: within the slice NEWSBOT_RATE leaves


async def _start(emulator: BotApiEmulator, url: str, port: int, log: Path) -> asyncio.subprocess.Process:
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": TEST_TOKEN,
        "TELEGRAM_API_URL": emulator.base_url,
        "NEWSBOT_DB": url,
        "NEWSBOT_WEBHOOK_URL": "http://127.0.0.1:9/telegram/webhook",  # the proxy's public address
        "NEWSBOT_WEBHOOK_SECRET": SECRET,
        "NEWSBOT_LISTEN": f"127.0.0.1:{port}",
        "NEWSBOT_PUSH_INTERVAL": "0.2",
        "NEWSBOT_RATE": "25",  # of Telegram's 30: the other instances' replies go in the rest
        "NEWSBOT_FULLTEXT": "off",
        "NEWSBOT_LOG_LEVEL": "INFO",
    }
    with log.open("ab") as out:
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", cwd=REPO, env=env, stdout=out, stderr=out
        )


def _answers(emulator: BotApiEmulator, chat_id: int) -> int:
    return sum(1 for r in emulator.sent if r.chat_id == chat_id and (r.text or "").startswith("📰"))


@pytest.mark.slow
async def test_three_webhook_instances_share_the_work_and_survive_the_leaders_death(
    postgres: PostgresDatabase, tmp_path: Path
) -> None:
    url = await postgres.fresh_schema()
    await ingest_elsewhere(url, write_seed(tmp_path / "topics.json", [item(0, "t-alpha")]))  # type: ignore[arg-type]
    store = await PostgresStore.open(url, pool_size=2)
    topic = await store.topics.by_slug("t-alpha")
    assert topic is not None
    await store.deliveries.fan_out()  # the first round: item 0 is history
    ports = [free_port() for _ in range(INSTANCES)]
    logs = [tmp_path / f"instance{i}.log" for i in range(INSTANCES)]
    async with BotApiEmulator(rate_limits=True) as emulator:
        emulator.limits.mode = "sliding"  # no more than 30 in any second, however they are spread
        emulator.webhook_backends = [f"http://127.0.0.1:{port}/telegram/webhook" for port in ports]
        emulator.webhook_connections = 10
        for reader_id in range(10_001, 10_001 + READERS):
            emulator.user(reader_id, register=True)
            await store.readers.get_or_create(reader_id, "قارئ")
            await store.subscriptions.subscribe(reader_id, topic.id)
        procs = [await _start(emulator, url, port, log) for port, log in zip(ports, logs, strict=True)]
        try:
            for log in logs:
                await _until_logged(log, "webhook mode", 60)
            # They start at once: whichever takes the lock first leads, the others stand by.
            lead = await _leader_of(logs, 60)
            for log in logs:
                if log is not logs[lead]:
                    await _until_logged(log, "standing by", 60)

            # Readers' commands: answered, by all three instances.
            askers = [emulator.user(20_001 + n, register=True) for n in range(9)]
            for asker in askers:
                asker.send_text("/latest")
                await asyncio.sleep(1 / ASKS_PER_SECOND)
            await _wait(emulator, lambda: all(_answers(emulator, a.chat_id) == 1 for a in askers), timeout=60)
            by_instance = emulator.webhook_deliveries_by_url
            assert len(by_instance) == INSTANCES and min(by_instance.values()) >= 2, by_instance

            # A round of pushes, and the leader killed in the middle of it while readers ask.
            await ingest_elsewhere(url, write_seed(tmp_path / "n.json", [item(n, "t-alpha") for n in (1, 2)]))  # type: ignore[arg-type]
            await _wait(emulator, lambda: sum(_pushes(emulator).values()) >= READERS * ITEMS // 3, timeout=60)
            procs[lead].send_signal(signal.SIGKILL)
            killed_at = time.monotonic()
            await procs[lead].wait()
            before = sum(_pushes(emulator).values())
            assert before < READERS * ITEMS, "the kill came too late to be mid-round"
            for asker in askers:
                asker.send_text("/latest")
                await asyncio.sleep(1 / ASKS_PER_SECOND)
            await _wait(emulator, lambda: sum(_pushes(emulator).values()) > before, timeout=30)
            failover = time.monotonic() - killed_at
            await _wait(emulator, lambda: len(_pushes(emulator)) == READERS * ITEMS, timeout=90)
            await _wait(emulator, lambda: all(_answers(emulator, a.chat_id) == 2 for a in askers), timeout=60)
            others = [log for n, log in enumerate(logs) if n != lead]
            assert sum("this instance is the leader" in log.read_text(encoding="utf-8") for log in others) == 1
            await asyncio.sleep(0.5)
        finally:
            for proc in procs:
                if proc.returncode is None:
                    proc.send_signal(signal.SIGTERM)
            for proc in procs:
                await proc.wait()

    await assert_every_push_once(store, emulator, READERS, ITEMS)
    assert failover <= FAILOVER_LIMIT, f"the new leader's first send came {failover:.1f}s after the kill"
    # The per-bot cap held across the three: Telegram refused nothing for it.
    assert [r for r in emulator.refusals if r.status == 429] == []
    # And by the clock: no one-second window held more than 30 messages.
    times = sorted(r.time for r in emulator.sent)
    assert max(sum(1 for t in times[i:] if t - times[i] < 1.0) for i in range(len(times))) <= 30


async def _leader_of(logs: list[Path], timeout: float) -> int:
    """The index of the instance that logged it leads (exactly one may)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        leading = [n for n, log in enumerate(logs) if "this instance is the leader" in _text(log)]
        if leading:
            assert len(leading) == 1, leading
            return leading[0]
        assert asyncio.get_running_loop().time() < deadline, "no instance took the lead"
        await asyncio.sleep(0.1)


def _text(log: Path) -> str:
    return log.read_text(encoding="utf-8") if log.exists() else ""
