"""`newsbot run` with NEWSBOT_METRICS_LISTEN: /healthz and /metrics over real HTTP on loopback,
in long polling, webhook mode and with two worker processes, against the local emulator."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.devtools.emulator.server import BotApiEmulator
from bot.devtools.harness import TEST_TOKEN
from tests.cli.test_run import finish, free_port, start_bot
from tests.cli.test_workers import Bot, children, greeted

pytestmark = pytest.mark.slow

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


@pytest.fixture
async def emulator() -> AsyncIterator[BotApiEmulator]:
    async with BotApiEmulator(rate_limits=False) as emu:
        yield emu


async def started(tmp_path: Path, emulator: BotApiEmulator, **extra: str) -> tuple[Bot, str]:
    """`newsbot run` with metrics on a free port; returns once it says it serves them."""
    port = free_port()
    proc = await start_bot(
        tmp_path,
        TELEGRAM_BOT_TOKEN=TEST_TOKEN,
        TELEGRAM_API_URL=emulator.base_url,
        NEWSBOT_METRICS_LISTEN=f"127.0.0.1:{port}",
        **extra,
    )
    bot = Bot(proc)
    await bot.logged("health and metrics on")
    return bot, f"http://127.0.0.1:{port}"


async def scrape(base: str) -> Samples:
    async with httpx.AsyncClient(timeout=30) as client:  # a loaded CI machine answers slowly
        page = await client.get(f"{base}/metrics")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(page.text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


async def until_counted(base: str, name: str, at_least: float, timeout: float = 15, **labels: str) -> Samples:
    """Scrape until the sample reaches `at_least`: an update is counted just after its answer is sent."""
    async with asyncio.timeout(timeout):
        while True:
            samples = await scrape(base)
            if value(samples, name, **labels) >= at_least:
                return samples
            await asyncio.sleep(0.05)


START_OK = {"command": "start", "outcome": "ok"}


async def test_polling_serves_health_and_counts_a_start(tmp_path: Path, emulator: BotApiEmulator) -> None:
    bot, base = await started(tmp_path, emulator)
    try:
        async with httpx.AsyncClient(timeout=30) as client:  # a loaded CI machine answers slowly
            health = await client.get(f"{base}/healthz")
            missing = await client.get(f"{base}/nothing-here")
        assert (health.status_code, health.text) == (200, "ok\n")
        assert missing.status_code == 404

        before = await scrape(base)
        assert value(before, "newsbot_updates_total", **START_OK) == 0
        # read from the store at scrape time
        assert value(before, "newsbot_deliveries", state="queued") == 0
        assert ("newsbot_update_queue_depth", frozenset()) in before

        assert await greeted(emulator, 41)
        after = await until_counted(base, "newsbot_updates_total", 1, **START_OK)
        assert value(after, "newsbot_update_seconds_count", command="start") == 1
        assert value(after, "newsbot_bot_api_requests_total", method="sendMessage", status="200") >= 1
        assert value(after, "newsbot_updates_total", command="start", outcome="error") == 0
        # a command nobody has is counted under one label, not a new series per word
        emulator.user(41, "قارئ").send_text("/made_up_words")
        await until_counted(base, "newsbot_updates_total", 1, command="unknown_command", outcome="ok")
        assert not any(dict(labels).get("command") == "made_up_words" for _, labels in await scrape(base))
    finally:
        code, log = await bot.stop()
    assert code == 0, log
    assert "Traceback" not in log
    with pytest.raises(httpx.ConnectError):  # the server stopped with the bot
        async with httpx.AsyncClient(timeout=30) as client:  # a loaded CI machine answers slowly
            await client.get(f"{base}/healthz")


async def test_webhook_mode_serves_metrics_on_their_own_port(tmp_path: Path, emulator: BotApiEmulator) -> None:
    port = free_port()
    bot, base = await started(
        tmp_path,
        emulator,
        NEWSBOT_WEBHOOK_URL=f"http://127.0.0.1:{port}/telegram",
        NEWSBOT_WEBHOOK_SECRET="s3cret-value",
        NEWSBOT_LISTEN=f"127.0.0.1:{port}",
    )
    try:
        assert await greeted(emulator, 42)
        await until_counted(base, "newsbot_updates_total", 1, **START_OK)
        async with httpx.AsyncClient(timeout=30) as client:  # a loaded CI machine answers slowly
            health = await client.get(f"{base}/healthz")
        assert health.status_code == 200
    finally:
        code, log = await bot.stop()
    assert code == 0, log
    assert "Traceback" not in log


def multiprocess_dir(pid: int) -> Path:
    """The PROMETHEUS_MULTIPROC_DIR a worker was started with, from Linux /proc."""
    environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    [entry] = [e for e in environ if e.startswith(b"PROMETHEUS_MULTIPROC_DIR=")]
    return Path(entry.split(b"=", 1)[1].decode())


async def test_two_workers_figures_add_up_and_survive_a_dead_worker(tmp_path: Path, emulator: BotApiEmulator) -> None:
    bot, base = await started(tmp_path, emulator, NEWSBOT_WORKERS="2")
    try:
        worker = await bot.worker()
        shared = multiprocess_dir(worker)
        assert shared.is_dir()
        # Even user ids are the polling process's, odd ones the worker's.
        assert await greeted(emulator, 50) and await greeted(emulator, 51) and await greeted(emulator, 53)
        await until_counted(base, "newsbot_updates_total", 3, **START_OK)

        # The worker dies: what it counted stays in the totals, and its restarted self adds to them.
        os.kill(worker, signal.SIGKILL)
        await bot.logged("worker 1 started again")
        samples = await scrape(base)
        assert value(samples, "newsbot_updates_total", **START_OK) == 3
        assert value(samples, "newsbot_update_seconds_count", command="start") == 3
        assert await greeted(emulator, 55)
        await until_counted(base, "newsbot_updates_total", 4, **START_OK)
        [again] = children(bot.proc.pid)
        assert again != worker and multiprocess_dir(again) == shared
        async with httpx.AsyncClient(timeout=30) as client:  # a loaded CI machine answers slowly
            assert (await client.get(f"{base}/healthz")).status_code == 200
    finally:
        code, log = await bot.stop()
    assert code == 0, log
    assert "Traceback" not in log
    assert not shared.exists()  # the runner removed the figures' directory


async def test_a_malformed_address_names_the_setting(tmp_path: Path) -> None:
    proc = await start_bot(tmp_path, TELEGRAM_BOT_TOKEN=TEST_TOKEN, NEWSBOT_METRICS_LISTEN="9100")
    code, err = await finish(proc)
    assert code == 2
    assert err.strip() == (
        "newsbot: NEWSBOT_METRICS_LISTEN: expected HOST:PORT for /healthz and /metrics, like 127.0.0.1:9100, got '9100'"
    )


async def test_a_taken_port_is_one_line_and_exit_2(tmp_path: Path, emulator: BotApiEmulator) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = await start_bot(
            tmp_path,
            TELEGRAM_BOT_TOKEN=TEST_TOKEN,
            TELEGRAM_API_URL=emulator.base_url,
            NEWSBOT_METRICS_LISTEN=f"127.0.0.1:{port}",
        )
        code, err = await finish(proc)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"newsbot: NEWSBOT_METRICS_LISTEN: cannot listen on 127.0.0.1:{port}")
    assert "Traceback" not in err and "Unclosed" not in err
    assert not (tmp_path / "bot.db").exists()  # nothing had started
