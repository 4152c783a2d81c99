"""Delivery throughput against the Bot API emulator running in a separate process.

    .venv/bin/python bench/bench_delivery.py limits [SUBSCRIBERS]    # (1) Telegram's default limits on
    .venv/bin/python bench/bench_delivery.py durable [DELIVERIES]    # (2) limits off: durable vs plain PTB
    add --postgres[=ADMIN_URL] to either to run the store on PostgreSQL (a fresh database, dropped after)

(1) 3,000 subscribers, one item, emulator limits at Telegram's defaults (30/s overall, 1/s a chat):
    achieved messages/s divided by NEWSBOT_RATE (target >= 0.97), 429s as a share of sends
    (target <= 0.5%), and every delivery sent.
(2) limits off: the durable path (recorded, taken, sent, marked) in deliveries/s, beside a plain
    non-durable python-telegram-bot send loop in the same run.
"""

from __future__ import annotations

import asyncio
import dataclasses
import multiprocessing
import sys
import tempfile
import time
from multiprocessing.synchronize import Event as EventType
from pathlib import Path
from typing import Any

from telegram.constants import ParseMode
from telegram.ext import Defaults, ExtBot
from telegram.request import HTTPXRequest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.pg import DEFAULT_ADMIN_URL, temporary_database
from bot.config import Settings
from bot.delivery.worker import DeliveryPolicy, DeliveryWorker
from bot.devtools.emulator.server import BotApiEmulator
from bot.devtools.harness import TEST_TOKEN
from bot.models import ParsedItem, TopicSpec
from bot.runtime.context import NewsBot
from bot.runtime.telegram_http import AiohttpRequest
from bot.store import Store, open_store
from bot.store.protocols import NewsStore

FIRST_READER = 100_000
LEAN = "--httpx" not in sys.argv


def serve_emulator(port_out: Any, stop: EventType, readers: int, limits: bool) -> None:
    async def serve() -> None:
        emulator = BotApiEmulator(rate_limits=limits)
        emulator.record_calls = False
        await emulator.start()
        for reader_id in range(FIRST_READER, FIRST_READER + readers):
            emulator.user(reader_id, register=True)
        emulator.listeners.append(lambda _: emulator.sent.clear() if len(emulator.sent) > 1000 else None)
        port_out.put(emulator.base_url)
        while not stop.is_set():  # noqa: ASYNC110 - a multiprocessing Event cannot be awaited
            await asyncio.sleep(0.2)
        await emulator.stop()

    asyncio.run(serve())


async def make_store(path: Path | str, readers: int) -> NewsStore:
    if isinstance(path, str):  # PostgreSQL: through the store's own methods
        pg = await open_store(path)
        topic = await pg.topics.upsert(TopicSpec("bench", "موضوع القياس"))
        await pg.deliveries.fan_out()
        for i in range(FIRST_READER, FIRST_READER + readers):
            await pg.readers.get_or_create(i, "قارئ")
            await pg.subscriptions.subscribe(i, topic.id)
        return pg
    store = await Store.open(path)
    topic = await store.topics.upsert(TopicSpec("bench", "موضوع القياس"))
    await store.deliveries.fan_out()
    now = int(time.time()) - 10
    async with store.db.write() as conn:  # bulk setup for the bench only
        await conn.executemany(
            "INSERT INTO readers (id, first_name, created_at, updated_at) VALUES (?, 'قارئ', ?, ?)",
            [(i, now, now) for i in range(FIRST_READER, FIRST_READER + readers)],
        )
        await conn.executemany(
            "INSERT INTO subscriptions (reader_id, topic_id, created_at) VALUES (?, ?, ?)",
            [(i, topic.id, now) for i in range(FIRST_READER, FIRST_READER + readers)],
        )
    return store


def new_bot(base_url: str) -> ExtBot[None]:
    return ExtBot(
        TEST_TOKEN,
        base_url=base_url,
        defaults=Defaults(parse_mode=ParseMode.HTML),
        request=AiohttpRequest(connection_pool_size=128, read_timeout=30, pool_timeout=30)
        if LEAN
        else HTTPXRequest(connection_pool_size=128, read_timeout=30, pool_timeout=30),
    )


async def run_durable(base_url: str, readers: int, items: int, rate: float, tmp: Path | str) -> tuple[float, Any, int]:
    store = await make_store(tmp if isinstance(tmp, str) else tmp / "bench.db", readers)
    topic = await store.topics.by_slug("bench")
    assert topic is not None
    await store.articles.upsert_many(
        [
            (ParsedItem(guid=f"bench-{n}", headline=f"خبر القياس {n}", lead="مقدمة " * 40), [topic.id])
            for n in range(items)
        ]
    )
    expected = await store.deliveries.fan_out()
    settings = dataclasses.replace(Settings(), rate=rate, push_interval=0.2)
    news = NewsBot(settings)
    news.store = store
    bot = new_bot(base_url)
    await bot.initialize()
    chat_interval = 1.0 if rate < 1000 else 0.0
    worker = DeliveryWorker(news, bot, policy=DeliveryPolicy(batch=1024, concurrency=96, chat_interval=chat_interval))
    start = time.perf_counter()
    await worker.start()
    while (await store.deliveries.count_by_state())["sent"] < expected:
        if worker.counters.failed:
            break
        await asyncio.sleep(0.1)
    elapsed = time.perf_counter() - start
    await worker.stop()
    counts = await store.deliveries.count_by_state()
    await bot.shutdown()
    await store.close()
    assert counts["sent"] == expected, counts
    return elapsed, worker.counters, expected


async def run_plain(base_url: str, readers: int, count: int) -> float:
    bot = new_bot(base_url)
    await bot.initialize()
    gate = asyncio.Semaphore(96)

    async def one(n: int) -> None:
        async with gate:
            await bot.send_message(FIRST_READER + n % readers, f"<b>خبر القياس {n}</b>\n" + "مقدمة " * 40)

    start = time.perf_counter()
    await asyncio.gather(*(one(n) for n in range(count)))
    elapsed = time.perf_counter() - start
    await bot.shutdown()
    return elapsed


def main() -> None:
    postgres = next((a.partition("=")[2] or DEFAULT_ADMIN_URL for a in sys.argv if a.startswith("--postgres")), None)
    argv = [a for a in sys.argv if not a.startswith("--postgres")]
    mode = argv[1] if len(argv) > 1 else "limits"
    n = int(argv[2]) if len(argv) > 2 else (3000 if mode == "limits" else 20_000)
    limits = mode == "limits"
    readers = n if limits else 2000
    port_out: Any = multiprocessing.Queue()
    stop = multiprocessing.Event()
    server = multiprocessing.Process(target=serve_emulator, args=(port_out, stop, readers, limits))
    server.start()
    try:
        base_url = port_out.get(timeout=60)
        with temporary_database(postgres) if postgres else tempfile.TemporaryDirectory() as made:
            tmp: Path | str = made if postgres else Path(made)
            print(f"store: {'PostgreSQL' if postgres else 'SQLite'}")
            if limits:
                rate = 30.0
                elapsed, counters, sent = asyncio.run(run_durable(base_url, readers, 1, rate, tmp))
                achieved = sent / elapsed
                share = counters.retry_after / max(1, counters.sent + counters.retry_after)
                print(f"(1) {sent:,} deliveries to {readers:,} subscribers in {elapsed:.1f} s, nothing lost")
                print(f"    achieved {achieved:.2f} msg/s / limit {rate:.0f} = {achieved / rate:.3f} (target >= 0.97)")
                print(f"    429 answers: {counters.retry_after} = {share:.2%} of sends (target <= 0.5%)")
            else:
                items = max(1, n // readers)
                elapsed, counters, sent = asyncio.run(run_durable(base_url, readers, items, 1e9, tmp))
                plain = asyncio.run(run_plain(base_url, readers, sent))
                print(f"(2) limits off, {sent:,} messages each way")
                print(f"    durable (recorded, taken, sent, marked): {sent / elapsed:,.0f} deliveries/s")
                print(f"    plain PTB send loop (no store):          {sent / plain:,.0f} messages/s")
    finally:
        stop.set()
        server.join(timeout=10)


if __name__ == "__main__":
    main()
