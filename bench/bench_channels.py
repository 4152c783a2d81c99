"""One new item to a linked channel, a subscribed group and 1,000 private subscribers in one round
(issue 15): how long until each has it, and how many Bot API calls it took.

    .venv/bin/python bench/bench_channels.py [SUBSCRIBERS]

The real delivery worker (bot/delivery) on a SQLite store in a temporary folder sends through the
one sending budget (NEWSBOT_RATE 30) to the Bot API emulator in another process, its limits on at
Telegram's figures in the strict sliding-window model (30 a second overall, 1 a second a chat, 20
a minute a group or channel). Times are from the fan-out round that records the deliveries to the
emulator's acceptance of the message (its clock, the system's monotonic one). Calls are every Bot
API call the emulator answered or refused meanwhile.
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

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.config import Settings
from bot.delivery.worker import DeliveryPolicy, DeliveryWorker
from bot.devtools.emulator.server import BotApiEmulator
from bot.devtools.emulator.state import SentRecord
from bot.devtools.harness import TEST_TOKEN
from bot.models import ChatKind, ParsedItem, TopicSpec
from bot.runtime.context import NewsBot
from bot.runtime.limiter import RateLimiter
from bot.runtime.telegram_http import AiohttpRequest
from bot.runtime.workers import ShardingBot
from bot.store import Store

FIRST_READER = 100_000
OWNER = 5001


def serve(out: Any, stop: EventType, readers: int) -> None:
    async def run() -> None:
        emulator = BotApiEmulator(rate_limits=True)
        emulator.limits.mode = "sliding"
        await emulator.start()
        for reader_id in range(FIRST_READER, FIRST_READER + readers):
            emulator.user(reader_id, register=True)
        channel = emulator.channel("قناة الموقع", owner=OWNER, username="site_news")
        channel.add_bot(OWNER)
        for n in range(250):
            channel.add_member(200_000 + n)
        group = emulator.group("مجموعة القراء", owner=OWNER)
        for n in range(40):
            group.add_member(300_000 + n)
        group.add_bot(OWNER)
        emulator.updates.clear()
        arrivals: dict[int, float] = {}

        def seen(record: SentRecord) -> None:
            if record.method.startswith("send") and record.chat_id is not None:
                arrivals.setdefault(record.chat_id, record.time)

        emulator.listeners.append(seen)
        out.put((emulator.base_url, channel.chat_id, group.chat_id))
        while not stop.is_set():  # noqa: ASYNC110 - a multiprocessing Event cannot be awaited
            await asyncio.sleep(0.1)
        calls = len(emulator.calls)
        refused = sum(1 for r in emulator.refusals if r.status == 429)
        out.put((arrivals, calls, refused, [c.method for c in emulator.calls]))
        await emulator.stop()

    asyncio.run(run())


async def bench(readers: int) -> None:
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    stop = ctx.Event()
    server = ctx.Process(target=serve, args=(out, stop, readers), daemon=True)
    server.start()
    base_url, channel_id, group_id = out.get(timeout=60)
    with tempfile.TemporaryDirectory() as tmp:
        store = await Store.open(Path(tmp) / "bench.db")
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
        await store.chats.save(channel_id, ChatKind.CHANNEL, "قناة الموقع", "site_news", linked_by=OWNER)
        await store.chats.save(group_id, ChatKind.GROUP, "مجموعة القراء", None, linked_by=OWNER)
        for chat_id in (channel_id, group_id):
            await store.subscriptions.subscribe(chat_id, topic.id)
        await store.articles.upsert_many(
            [
                (
                    ParsedItem(
                        guid="bench-1", headline="خبر القياس", lead="مقدمة " * 40, url="https://example.com/a/1",
                        image_url="https://cdn.example.com/a/1.jpg",
                    ),
                    [topic.id],
                )
            ]
        )  # fmt: skip
        settings = dataclasses.replace(Settings(), rate=30, push_interval=0.2)
        news = NewsBot(settings)
        news.store = store
        budget = RateLimiter(30, chat_interval=1.0)
        bot = ShardingBot(
            TEST_TOKEN, base_url=base_url,
            request=AiohttpRequest(connection_pool_size=128, read_timeout=30, pool_timeout=30, budget=budget),
            budget=budget,
        )  # fmt: skip
        await bot.initialize()
        worker = DeliveryWorker(news, bot, policy=DeliveryPolicy(batch=1024, concurrency=96))
        cpu0 = time.process_time()
        start = time.monotonic()
        expected = await store.deliveries.fan_out()
        await worker.start()
        while (await store.deliveries.count_by_state())["sent"] < expected:
            if worker.counters.failed:
                break
            await asyncio.sleep(0.05)
        elapsed = time.monotonic() - start
        cpu = time.process_time() - cpu0
        await worker.stop()
        counts = await store.deliveries.count_by_state()
        await bot.shutdown()
        await store.close()
    stop.set()
    arrivals, calls, refused, methods = out.get(timeout=60)
    server.join(timeout=30)
    private = [t for chat, t in arrivals.items() if chat > 0]
    print(f"deliveries: {expected} recorded, {counts['sent']} sent, {counts['failed']} failed")
    print(f"channel: {arrivals[channel_id] - start:.2f} s; group: {arrivals[group_id] - start:.2f} s")
    print(
        f"{len(private)} private subscribers: first {min(private) - start:.2f} s, last {max(private) - start:.2f} s; "
        f"whole round {elapsed:.2f} s wall, {cpu:.2f} s CPU in the bot's process"
    )
    sends = sum(1 for m in methods if m.startswith("send"))
    print(f"Bot API calls: {calls} ({sends} sends, {refused} answered 429)")


if __name__ == "__main__":
    asyncio.run(bench(int(sys.argv[1]) if len(sys.argv) > 1 else 1000))
