"""`newsbot run` with NEWSBOT_WORKERS=2: readers' updates shared by two real processes, over loopback."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.devtools.emulator.server import BotApiEmulator
from bot.devtools.emulator.state import StoredMessage
from bot.devtools.harness import TEST_TOKEN
from tests.cli.test_run import free_port, start_bot

pytestmark = pytest.mark.slow


def children(pid: int) -> list[int]:
    """Worker processes of `pid` (python -m bot.cli.worker), from Linux /proc."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid = stat.read_text().rsplit(")", 1)[1].split()[1]
            cmdline = (stat.parent / "cmdline").read_bytes()
        except OSError:
            continue
        if ppid == str(pid) and b"bot.cli.worker" in cmdline:
            found.append(int(stat.parent.name))
    return found


class Bot:
    """`newsbot run` in its own process, its log read line by line as it comes."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self.lines: list[str] = []
        self._logged = asyncio.Event()
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self.proc.stderr is not None
        while line := await self.proc.stderr.readline():
            self.lines.append(line.decode())
            self._logged.set()

    async def logged(self, text: str, timeout: float = 30) -> None:
        async with asyncio.timeout(timeout):
            while not any(text in line for line in self.lines):
                self._logged.clear()
                await self._logged.wait()

    async def worker(self) -> int:
        await self.logged("worker processes ready")
        [pid] = children(self.proc.pid)
        return pid

    async def stop(self, *, signalled: bool = False) -> tuple[int, str]:
        """SIGTERM (unless a signal was sent already: a second one cuts a graceful stop short), then wait."""
        if self.proc.returncode is None and not signalled:
            self.proc.send_signal(signal.SIGTERM)
        try:
            async with asyncio.timeout(60):
                code = await self.proc.wait()
                await self._reader
        except TimeoutError:
            self.proc.kill()
            await self.proc.wait()
            await self._reader  # its pipe closes at the process's end
            raise AssertionError("newsbot run did not stop:\n" + "".join(self.lines)) from None
        return code, "".join(self.lines)


async def start(tmp_path: Path, emulator: BotApiEmulator) -> Bot:
    proc = await start_bot(
        tmp_path, TELEGRAM_BOT_TOKEN=TEST_TOKEN, TELEGRAM_API_URL=emulator.base_url, NEWSBOT_WORKERS="2"
    )
    return Bot(proc)


async def greeted(emulator: BotApiEmulator, user_id: int, timeout: float = 30) -> bool:
    emulator.user(user_id, "قارئ").send_text("/start")
    [reply] = await emulator.wait_for_messages(user_id, 1, timeout=timeout)
    return "أهلًا بك" in reply.text


def answers(emulator: BotApiEmulator, user_id: int) -> list[StoredMessage]:
    return [m for m in emulator.chats[user_id].messages.values() if m.from_bot]


@pytest.fixture
async def emulator() -> AsyncIterator[BotApiEmulator]:
    async with BotApiEmulator(rate_limits=False) as emu:
        yield emu


async def test_two_processes_share_the_readers_and_stop_together(tmp_path: Path, emulator: BotApiEmulator) -> None:
    bot = await start(tmp_path, emulator)
    try:
        worker = await bot.worker()
        # Even user ids are the polling process's, odd ones the worker's.
        assert await greeted(emulator, 10) and await greeted(emulator, 11)

        # With the worker paused, its readers wait while the others are answered at once, even
        # with more waiting for it than its input pipe and buffer hold (1,000 updates, about 330 KB).
        os.kill(worker, signal.SIGSTOP)
        waiting = [13, *range(1001, 3001, 2)]
        for user_id in waiting:
            emulator.user(user_id, "قارئ").send_text("/start")
        await emulator.wait_for_updates_consumed(timeout=30)
        assert await greeted(emulator, 12)
        with pytest.raises(TimeoutError):
            await emulator.wait_for_messages(13, 1, timeout=1.5)
        os.kill(worker, signal.SIGCONT)
        for user_id in waiting:
            [late] = await emulator.wait_for_messages(user_id, 1, timeout=30)
            assert "أهلًا بك" in late.text

        # A worker that dies: its readers are answered here until a new worker has started.
        os.kill(worker, signal.SIGKILL)
        await bot.logged("worker 1 stopped")
        assert await greeted(emulator, 15)
        await bot.logged("worker 1 started again")
        [again] = children(bot.proc.pid)
        assert again != worker
        os.kill(again, signal.SIGSTOP)  # the new worker has the odd readers again
        emulator.user(17, "قارئ").send_text("/start")
        with pytest.raises(TimeoutError):
            await emulator.wait_for_messages(17, 1, timeout=1.5)
        os.kill(again, signal.SIGCONT)
        await emulator.wait_for_messages(17, 1, timeout=30)
        assert not emulator.refusals
    finally:
        code, log = await bot.stop()
    assert code == 0, log
    assert "Traceback" not in log
    assert children(bot.proc.pid) == []
    assert not emulator.updates  # everything handed to a worker was confirmed too
    # Updates the worker had not reported handled when it was killed are answered again (11 and
    # 13 may be); every other reader is answered exactly once.
    for user_id in (10, 12, 15, 17):
        assert len(answers(emulator, user_id)) == 1, user_id


async def test_a_stopped_bot_lets_its_worker_finish_what_it_was_given(tmp_path: Path, emulator: BotApiEmulator) -> None:
    bot = await start(tmp_path, emulator)
    try:
        worker = await bot.worker()
        os.kill(worker, signal.SIGSTOP)
        for user_id in (21, 23, 25):  # the worker's readers, handed on while it is paused
            emulator.user(user_id, "قارئ").send_text("/start")
        await emulator.wait_for_updates_consumed(timeout=30)
        # Ctrl-C reaches the whole group: the worker ignores it and finishes once its input closes;
        # a second signal does not cut the polling process's stop short.
        bot.proc.send_signal(signal.SIGINT)
        os.kill(worker, signal.SIGINT)
        await bot.logged("Application.stop() complete")
        bot.proc.send_signal(signal.SIGTERM)  # impatient: a second signal while it stops
        await bot.logged("already stopping")
        os.kill(worker, signal.SIGCONT)
    finally:
        code, log = await bot.stop(signalled=True)
    assert code == 0, log
    assert "Traceback" not in log
    for user_id in (21, 23, 25):
        [reply] = answers(emulator, user_id)
        assert "أهلًا بك" in reply.text


async def test_webhook_mode_says_it_runs_in_one_process(tmp_path: Path, emulator: BotApiEmulator) -> None:
    port = free_port()
    proc = await start_bot(
        tmp_path,
        TELEGRAM_BOT_TOKEN=TEST_TOKEN,
        TELEGRAM_API_URL=emulator.base_url,
        NEWSBOT_WORKERS="2",
        NEWSBOT_WEBHOOK_URL=f"http://127.0.0.1:{port}/telegram",
        NEWSBOT_WEBHOOK_SECRET="s3cret-value",
        NEWSBOT_LISTEN=f"127.0.0.1:{port}",
    )
    bot = Bot(proc)
    try:
        await bot.logged("webhook mode runs in one process")
        assert await greeted(emulator, 31) and await greeted(emulator, 32)
        assert children(proc.pid) == []
    finally:
        code, log = await bot.stop()
    assert code == 0, log
    assert "Traceback" not in log
