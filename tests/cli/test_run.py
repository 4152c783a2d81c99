"""`newsbot run` as a user starts it: a real process against the local emulator over loopback."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sqlite3
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from bot.devtools.emulator.server import BotApiEmulator
from bot.devtools.harness import TEST_TOKEN

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def bot_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "NEWSBOT_"))}
    # The seeds link to the outlets' real pages, which the full-text filler would try to read
    # (there is no network here): off unless a test turns it on, as the in-process fixtures do.
    env.update(NEWSBOT_DB=str(tmp_path / "bot.db"), NEWSBOT_LOG_LEVEL="INFO", NEWSBOT_FULLTEXT="0")
    env.update(extra)
    return env


async def start_bot(tmp_path: Path, **extra: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        cwd=tmp_path,  # no .env there: only the environment configures it
        env=bot_env(tmp_path, **extra),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def finish(proc: asyncio.subprocess.Process, timeout: float = 20) -> tuple[int, str]:
    _, err = await asyncio.wait_for(proc.communicate(), timeout)
    return proc.returncode if proc.returncode is not None else -1, err.decode()


@pytest.fixture
async def emulator() -> AsyncIterator[BotApiEmulator]:
    async with BotApiEmulator(rate_limits=False) as emu:
        yield emu


async def test_polling_answers_start_and_stops_cleanly_on_sigterm(tmp_path: Path, emulator: BotApiEmulator) -> None:
    proc = await start_bot(tmp_path, TELEGRAM_BOT_TOKEN=TEST_TOKEN, TELEGRAM_API_URL=emulator.base_url)
    try:
        emulator.user(77, "ليلى").send_text("/start")
        [reply] = await emulator.wait_for_messages(77, 1, timeout=30)
        assert "أهلًا بك يا ليلى" in reply.text
        assert not emulator.refusals
    finally:
        proc.send_signal(signal.SIGTERM)
        code, err = await finish(proc)
    assert code == 0, err
    assert "Traceback" not in err
    # the update was confirmed: nothing is pending for the next start
    assert not emulator.updates
    # the store was closed cleanly and holds the reader
    with sqlite3.connect(tmp_path / "bot.db") as con:
        assert con.execute("SELECT first_name FROM readers WHERE id = 77").fetchone() == ("ليلى",)


async def test_webhook_mode_answers_start_and_refuses_a_wrong_secret(tmp_path: Path, emulator: BotApiEmulator) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram"
    proc = await start_bot(
        tmp_path,
        TELEGRAM_BOT_TOKEN=TEST_TOKEN,
        TELEGRAM_API_URL=emulator.base_url,
        NEWSBOT_WEBHOOK_URL=url,
        NEWSBOT_WEBHOOK_SECRET="s3cret-value",
        NEWSBOT_LISTEN=f"127.0.0.1:{port}",
    )
    try:
        emulator.user(78, "عمر").send_text("/start")
        [reply] = await emulator.wait_for_messages(78, 1, timeout=30)
        assert "أهلًا بك يا عمر" in reply.text
        assert emulator.webhook_url == url and emulator.webhook_secret == "s3cret-value"
        update = {"update_id": 1, "message": {"message_id": 1, "date": 0, "chat": {"id": 1, "type": "private"}}}
        async with httpx.AsyncClient() as client:
            wrong = await client.post(url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "nope"})
            missing = await client.post(url, json=update)
        assert wrong.status_code == 403 and missing.status_code == 403
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGINT)
        code, err = await finish(proc)
    assert code == 0, err


async def test_without_a_token_it_says_how_to_set_one(tmp_path: Path) -> None:
    proc = await start_bot(tmp_path)
    code, err = await finish(proc)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "TELEGRAM_BOT_TOKEN" in lines[0] and "newsbot console" in lines[0]


async def test_a_refused_token_gives_one_clear_line(tmp_path: Path, emulator: BotApiEmulator) -> None:
    emulator.valid_token = "999:another-token-that-is-the-valid-one"
    proc = await start_bot(tmp_path, TELEGRAM_BOT_TOKEN=TEST_TOKEN, TELEGRAM_API_URL=emulator.base_url)
    code, err = await finish(proc)
    assert code == 2
    assert "Traceback" not in err
    assert "refused TELEGRAM_BOT_TOKEN" in err


async def test_an_unreachable_api_gives_one_clear_line(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}/bot"
    proc = await start_bot(tmp_path, TELEGRAM_BOT_TOKEN=TEST_TOKEN, TELEGRAM_API_URL=url)
    code, err = await finish(proc, timeout=60)
    assert code == 2
    assert "Traceback" not in err
    assert "cannot reach the Bot API" in err and "TELEGRAM_API_URL" in err


async def test_a_wrong_setting_names_the_variable(tmp_path: Path) -> None:
    proc = await start_bot(tmp_path, NEWSBOT_RATE="fast")
    code, err = await finish(proc)
    assert code == 2
    assert err.strip() == "newsbot: NEWSBOT_RATE: expected messages per second from 0.1 to 1,000, got 'fast'"
