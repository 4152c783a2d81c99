"""Emulator capacity: sendMessage calls answered per second, rate limits off.

The emulator runs in its own process (as it does beside a bot under test); several concurrent
aiohttp clients in this process send form-encoded sendMessage calls, as python-telegram-bot does,
over loopback. Usage: ``.venv/bin/python bench/bench_emulator.py [--calls N] [--clients C]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import sys
import time
from multiprocessing.connection import Connection
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.devtools.emulator.server import BotApiEmulator

CHATS = 200


def serve(conn: Connection) -> None:
    async def main() -> None:
        emulator = BotApiEmulator(rate_limits=False)
        for user_id in range(1, CHATS + 1):
            emulator.user(user_id, register=True)
        await emulator.start()
        conn.send(emulator.base_url)
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, conn.recv)  # wait for "stop"
        conn.send(len(emulator.sent))
        await emulator.stop()

    asyncio.run(main())


async def drive(base_url: str, calls: int, clients: int) -> tuple[float, int]:
    markup = json.dumps({"inline_keyboard": [[{"text": "افتح الخبر", "callback_data": "a:123"}]]})
    url = f"{base_url}123:bench/sendMessage"
    counter = iter(range(200))  # warm-up: open the connections, fill the emulator's caches
    failures = 0

    async def client(session: aiohttp.ClientSession) -> None:
        nonlocal failures
        for i in counter:
            form = {
                "chat_id": str(i % CHATS + 1),
                "text": f"<b>عاجل</b>: خبر رقم {i} من <i>المصدر</i>",
                "parse_mode": "HTML",
                "reply_markup": markup,
            }
            async with session.post(url, data=form) as response:
                await response.read()
                if response.status != 200:
                    failures += 1

    connector = aiohttp.TCPConnector(limit=clients)
    async with aiohttp.ClientSession(connector=connector) as session:
        await asyncio.gather(*(client(session) for _ in range(clients)))
        counter = iter(range(calls))
        failures = 0
        started = time.perf_counter()
        await asyncio.gather(*(client(session) for _ in range(clients)))
        elapsed = time.perf_counter() - started
    return elapsed, failures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=20_000)
    parser.add_argument("--clients", type=int, default=16)
    args = parser.parse_args()

    ctx = multiprocessing.get_context("spawn")
    ours, theirs = ctx.Pipe()
    server = ctx.Process(target=serve, args=(theirs,), daemon=True)
    server.start()
    base_url = ours.recv()
    try:
        elapsed, failures = asyncio.run(drive(base_url, args.calls, args.clients))
    finally:
        ours.send("stop")
        recorded = ours.recv()
        server.join(10)
    rate = args.calls / elapsed
    print(f"sendMessage: {args.calls} calls, {args.clients} clients, {elapsed:.2f} s, {rate:,.0f} calls/s")
    print(f"non-200 answers: {failures}; messages recorded by the emulator (with 200 warm-up): {recorded}")


if __name__ == "__main__":
    main()
