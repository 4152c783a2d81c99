"""Start-up time: `newsbot run` to its first getUpdates, and `newsbot console` to its prompt.

Both on a store that already exists (the usual restart) and on a new one (migrations + seeding).
Run: .venv/bin/python bench/bench_startup.py [runs]
"""

from __future__ import annotations

import asyncio
import os
import pty
import select
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.devtools.emulator.server import BotApiEmulator
from bot.devtools.harness import TEST_TOKEN


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "NEWSBOT_"))}
    env.update(extra)
    return env


async def run_to_first_get_updates(db: Path) -> float:
    async with BotApiEmulator(rate_limits=False) as emulator:
        env = clean_env(TELEGRAM_BOT_TOKEN=TEST_TOKEN, TELEGRAM_API_URL=emulator.base_url, NEWSBOT_DB=str(db))
        # An update waits in the queue, so the first getUpdates answers at once: the moment it is
        # consumed is the moment the bot first polled (the emulator records calls when answered).
        emulator.user(1, "قارئ").send_text("/help")
        started = time.perf_counter()
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", env=env, stderr=asyncio.subprocess.DEVNULL
        )
        try:
            await emulator.wait_for_updates_consumed(timeout=60)
            return time.perf_counter() - started
        finally:
            proc.terminate()
            await proc.wait()


def console_to_prompt(db: Path) -> float:
    master, slave = pty.openpty()
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "console", "--db", str(db)],
        stdin=slave,
        stdout=slave,
        stderr=subprocess.DEVNULL,
        env=clean_env(),
    )
    os.close(slave)
    seen = b""
    try:
        while "أنت ›".encode() not in seen:
            ready, _, _ = select.select([master], [], [], 30)
            if not ready:
                raise TimeoutError("console did not show its prompt within 30 s")
            seen += os.read(master, 4096)
        return time.perf_counter() - started
    finally:
        proc.terminate()
        proc.wait()
        os.close(master)


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    with tempfile.TemporaryDirectory() as tmp:
        for name, measure in (
            ("newsbot run → first getUpdates", lambda db: asyncio.run(run_to_first_get_updates(db))),
            ("newsbot console → prompt", console_to_prompt),
        ):
            fresh = [measure(Path(tmp) / f"fresh-{name[:7]}-{i}.db") for i in range(runs)]
            existing_db = Path(tmp) / f"existing-{name[:7]}.db"
            measure(existing_db)  # create and seed it once
            existing = [measure(existing_db) for _ in range(runs)]
            print(
                f"{name}: new store median {statistics.median(fresh) * 1000:.0f} ms "
                f"(max {max(fresh) * 1000:.0f}); existing store median {statistics.median(existing) * 1000:.0f} ms "
                f"(max {max(existing) * 1000:.0f}) over {runs} runs"
            )


if __name__ == "__main__":
    main()
