"""Delivery throughput against the Bot API emulator running in a separate process.

    .venv/bin/python bench/bench_delivery.py limits [SUBSCRIBERS] [--mode both|sliding|bucket]
        [--jitter SECONDS] [--readers-per-second R]           # (1) Telegram's limits on
    .venv/bin/python bench/bench_delivery.py durable [DELIVERIES]    # (2) limits off: durable vs plain PTB
    .venv/bin/python bench/bench_delivery.py reach [SUBSCRIBERS] [--measure SECONDS] [--paid RATE]
        [--scale K] [--mode sliding|bucket] [--jitter SECONDS] [--readers-per-second R]  # (3) 30,000
    add --postgres[=ADMIN_URL] to either to run the store on PostgreSQL (a fresh database, dropped after)

(1) 3,000 subscribers, one item, the emulator's limits at Telegram's figures (30/s overall, 1/s a
    chat), in each model of the overall limit: ``sliding`` (a strict sliding one-second window, the
    strictest reasonable reading) and ``bucket`` (the emulator's token bucket); each call reaches
    the emulator after up to ``--jitter`` seconds of random network delay (default 0.01). Meanwhile
    ``--readers-per-second`` (default 5) readers' command answers are sent through the same bot
    (its HTTP layer draws them from the one budget, in the replies' lane, as handlers' answers
    are). Printed per model, counted by the emulator (as the server sees them): every message it
    accepted per second divided by the cap (NEWSBOT_RATE, target >= 0.97), 429 answers as a share
    of sends (target <= 0.5%), the most messages it saw in any one second, and every delivery sent.
    With SUBSCRIBERS 30000 the time for one item to reach them is Telegram's floor of 1,000 s.
(2) limits off: the durable path (recorded, taken, sent, marked) in deliveries/s, beside a plain
    non-durable python-telegram-bot send loop in the same run.
(3) breaking news (a broadcast of an item) to 30,000 subscribers (default) against the emulator's
    limits at Telegram's figures (sliding window and 10 ms jitter by default). Free (30/s): the whole
    run would take over 1,000 s, so it runs for --measure seconds of wall time (default 60; 0 runs to
    the last subscriber) and the time to reach every subscriber is computed from the rate the
    emulator accepted the pushes at over that span (the line printed says which). --paid 1000:
    NEWSBOT_PAID_BROADCAST_RATE=1000, sent with allow_paid_broadcast against the emulator's paid
    limit (1,000/s, a budget of its own), beside Telegram's floor of 30 s. A shared machine cannot
    send 1,000 messages a second through any Python client, so --scale K runs the emulator's clock
    (its limits, its record of each message's arrival, the network jitter) and the paid budget's
    clock K times slower than the wall: 1,000/s in that time is 1,000/K a second of real work, and
    the figures are in the slowed time.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import multiprocessing
import queue
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
from bot.delivery.worker import PAID_LATE, DeliveryPolicy, DeliveryWorker
from bot.devtools.emulator.server import BotApiEmulator
from bot.devtools.emulator.state import SentRecord
from bot.devtools.harness import TEST_TOKEN
from bot.models import ParsedItem, TopicSpec
from bot.runtime.context import NewsBot
from bot.runtime.limiter import RateLimiter
from bot.runtime.telegram_http import AiohttpRequest
from bot.runtime.workers import ShardingBot
from bot.store import Store, open_store
from bot.store.protocols import NewsStore

FIRST_READER = 100_000
LEAN = "--httpx" not in sys.argv


def serve_emulator(
    port_out: Any,
    stop: EventType,
    readers: int,
    limits: bool,
    mode: str = "bucket",
    jitter: float = 0.0,
    details: bool = False,
    scale: float = 1.0,
) -> None:
    async def serve() -> None:
        # scale > 1: the emulator's clock runs that many times slower than the wall (its limits and
        # the times it records are in that slowed time), and network jitter is stretched to match
        emulator = BotApiEmulator(rate_limits=limits, clock=lambda: time.monotonic() / scale)
        emulator.limits.mode = "sliding" if mode == "sliding" else "bucket"
        emulator.faults.jitter = jitter * scale
        emulator.record_calls = False
        await emulator.start()
        for reader_id in range(FIRST_READER, FIRST_READER + readers + READER_CHATS):
            emulator.user(reader_id, register=True)
        seen: list[float] = []  # when each accepted message reached the emulator
        pushed: list[float] = []  # the same, for messages to subscribers only (not readers' answers)
        subscribers = FIRST_READER + readers

        def count(record: SentRecord) -> None:
            if record.method.startswith("send"):
                seen.append(record.time)
                if record.chat_id is not None and record.chat_id < subscribers:
                    pushed.append(record.time)
            if len(emulator.sent) > 1000:
                emulator.sent.clear()

        emulator.listeners.append(count)
        port_out.put(emulator.base_url)
        while not stop.is_set():  # noqa: ASYNC110 - a multiprocessing Event cannot be awaited
            await asyncio.sleep(0.2)
        refused = sum(1 for r in emulator.refusals if r.status == 429)
        port_out.put((seen, refused, pushed, emulator.limits.paid_sent) if details else (seen, refused))
        await emulator.stop()

    asyncio.run(serve())


CPU_USED: list[float] = [0.0]  # CPU seconds the bot's process spent in the last run_durable (reach reports it)
READER_CHATS = 50  # chats of the readers using commands during the limits run (beyond the subscribers')


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


def new_bot(base_url: str, budget: RateLimiter | None = None) -> ExtBot[None]:
    """The bot as build_application makes it: its HTTP client draws readers' answers from `budget`."""
    return ShardingBot(
        TEST_TOKEN,
        base_url=base_url,
        defaults=Defaults(parse_mode=ParseMode.HTML),
        request=AiohttpRequest(connection_pool_size=128, read_timeout=30, pool_timeout=30, budget=budget)
        if LEAN
        else HTTPXRequest(connection_pool_size=128, read_timeout=30, pool_timeout=30),
        budget=budget,
    )


async def run_durable(
    base_url: str,
    readers: int,
    items: int,
    rate: float,
    tmp: Path | str,
    replies_per_second: float = 0.0,
    *,
    broadcast: bool = False,
    paid_rate: float = 0.0,
    stop_after: float | None = None,
    scale: float = 1.0,
) -> tuple[float, Any, int]:
    """Send `items` items to `readers` subscribers (or, with `broadcast`, one breaking-news item to
    them as an editor's broadcast); with `stop_after`, stop after that many seconds (what was sent
    is returned, the rest stays queued)."""
    store = await make_store(tmp if isinstance(tmp, str) else tmp / "bench.db", readers)
    topic = await store.topics.by_slug("bench")
    assert topic is not None
    outcomes = await store.articles.upsert_many(
        [
            (ParsedItem(guid=f"bench-{n}", headline=f"خبر القياس {n}", lead="مقدمة " * 40), [topic.id])
            for n in range(items)
        ]
    )
    if broadcast:  # the item as breaking news, as `newsbot broadcast --item ID --yes` stores it (no fan-out)
        _, expected = await store.deliveries.create_broadcast("", None, article_id=outcomes[0].article_id)
    else:
        expected = await store.deliveries.fan_out()
    settings = dataclasses.replace(Settings(), rate=rate, push_interval=0.2, paid_broadcast_rate=paid_rate)
    news = NewsBot(settings)
    news.store = store
    chat_interval = 1.0 if rate < 1000 else 0.0
    bot = new_bot(base_url, RateLimiter(rate, chat_interval=chat_interval))  # as build_application does
    await bot.initialize()
    assert isinstance(bot, ShardingBot)
    policy = DeliveryPolicy(batch=1024, concurrency=96, chat_interval=chat_interval)
    paid = None
    if paid_rate and scale != 1.0:  # the paid budget on the emulator's slowed clock (reach --scale)

        async def slowed(seconds: float) -> None:
            await asyncio.sleep(seconds * scale)

        paid = RateLimiter(
            paid_rate, chat_interval=chat_interval, late=PAID_LATE, clock=lambda: time.monotonic() / scale, sleep=slowed
        )
    worker = DeliveryWorker(news, bot, policy=policy, paid_limiter=paid)
    start = time.perf_counter()
    cpu_start = time.process_time()
    await worker.start()
    replies = asyncio.create_task(answer_readers(bot, readers, replies_per_second)) if replies_per_second else None
    while (await store.deliveries.count_by_state())["sent"] < expected:
        if worker.counters.failed or (stop_after is not None and time.perf_counter() - start >= stop_after):
            break
        await asyncio.sleep(0.1)
    elapsed = time.perf_counter() - start
    CPU_USED[0] = time.process_time() - cpu_start
    if replies is not None:
        replies.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await replies
    await worker.stop()
    counts = await store.deliveries.count_by_state()
    await bot.shutdown()
    await store.close()
    if stop_after is None:
        assert counts["sent"] == expected, counts
    else:
        # stopped part-way: what was taken and not sent is 'sending' until the next start requeues it
        assert counts["failed"] == 0 and counts["sent"] + counts["queued"] + counts["sending"] == expected, counts
    return elapsed, worker.counters, counts["sent"]


async def answer_readers(bot: ExtBot[None], subscribers: int, per_second: float) -> None:
    """Readers' commands answered meanwhile: `per_second` answers through the bot's HTTP layer,
    which draws each from the budget in the replies' lane (as the handlers' answers do)."""
    answers: set[asyncio.Task[Any]] = set()
    n = 0
    try:
        while True:
            chat = FIRST_READER + subscribers + n % READER_CHATS
            text = f"<b>آخر الأخبار</b>\n{n}. " + "عنوان خبر " * 30
            task = asyncio.create_task(bot.send_message(chat, text))
            answers.add(task)
            task.add_done_callback(answers.discard)
            n += 1
            await asyncio.sleep(1.0 / per_second)
    finally:
        for task in answers:
            task.cancel()
        await asyncio.gather(*answers, return_exceptions=True)


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


def most_in_any_second(times: list[float]) -> int:
    times = sorted(times)
    best = start = 0
    for end, t in enumerate(times):
        while times[start] <= t - 1.0:
            start += 1
        best = max(best, end - start + 1)
    return best


def store_place(postgres: str | None) -> contextlib.AbstractContextManager[str]:
    """A fresh PostgreSQL database (its URL) when `postgres` names a server, else a temporary folder."""
    return temporary_database(postgres) if postgres else tempfile.TemporaryDirectory()


def limits_run(
    subscribers: int, mode: str, jitter: float, replies_per_second: float, rate: float, postgres: str | None = None
) -> None:
    port_out: Any = multiprocessing.Queue()
    stop = multiprocessing.Event()
    server = multiprocessing.Process(target=serve_emulator, args=(port_out, stop, subscribers, True, mode, jitter))
    server.start()
    try:
        base_url = port_out.get(timeout=60)
        with store_place(postgres) as made:
            tmp: Path | str = made if postgres else Path(made)
            elapsed, _counters, sent = asyncio.run(run_durable(base_url, subscribers, 1, rate, tmp, replies_per_second))
        stop.set()
        seen, refused = port_out.get(timeout=60)
    finally:
        stop.set()
        server.join(timeout=10)
    accepted = len(seen)
    span = max(seen) - min(seen) if len(seen) > 1 else elapsed
    per_second = (accepted - 1) / span if span > 0 else 0.0
    print(
        f"[store {'PostgreSQL' if postgres else 'SQLite'}, {mode}, jitter up to {jitter * 1000:.0f} ms, "
        f"{replies_per_second:g} reader answers/s]"
    )
    print(f"    {sent:,} deliveries to {subscribers:,} subscribers in {elapsed:.1f} s, all sent (nothing lost)")
    print(f"    emulator accepted {accepted:,} messages (pushes and answers) at {per_second:.2f}/s")
    print(f"    share of the cap {rate:.0f}/s: {per_second / rate:.3f} (target >= 0.97)")
    print(f"    429 answers: {refused} = {refused / max(1, accepted + refused):.2%} of sends (target <= 0.5%)")
    print(f"    most messages the emulator saw in any one second: {most_in_any_second(seen)}")
    if subscribers >= 30_000:
        print(
            f"    one item to {subscribers:,} subscribers: {elapsed:.0f} s"
            f" (Telegram's floor {subscribers / rate:.0f} s)"
        )


def reach_run(
    subscribers: int,
    paid_rate: float,
    measure: float,
    mode: str,
    jitter: float,
    replies_per_second: float,
    postgres: str | None = None,
    scale: float = 1.0,
) -> None:
    """(3) One breaking-news item to `subscribers`: free at 30/s or paid at `paid_rate`, measured over
    `measure` seconds of wall time (0: to the last subscriber), the whole time computed from the rate
    the emulator accepted the pushes at; with `scale`, the paid run on a clock `scale` times slower."""
    port_out: Any = multiprocessing.Queue()
    stop = multiprocessing.Event()
    server = multiprocessing.Process(
        target=serve_emulator, args=(port_out, stop, subscribers, True, mode, jitter, True, scale)
    )
    server.start()
    rate = 30.0
    answered = False
    try:
        base_url = port_out.get(timeout=120)
        with store_place(postgres) as made:
            tmp: Path | str = made if postgres else Path(made)
            run = run_durable(
                base_url, subscribers, 1, rate, tmp, replies_per_second, broadcast=True,
                paid_rate=paid_rate, stop_after=measure or None, scale=scale,
            )  # fmt: skip
            elapsed, counters, sent = asyncio.run(run)
        stop.set()
        seen, refused, pushed, paid_sent = port_out.get(timeout=120)
        answered = True
    finally:
        stop.set()
        if not answered:  # a failed run: take the emulator's answer so that its process can end
            with contextlib.suppress(Exception):
                port_out.get(timeout=30)
        server.join(timeout=10)
    span = max(pushed) - min(pushed) if len(pushed) > 1 else elapsed
    push_rate = (len(pushed) - 1) / span if span > 0 else 0.0
    budget = f"paid {paid_rate:g}/s" if paid_rate else "free 30/s"
    print(
        f"[reach: store {'PostgreSQL' if postgres else 'SQLite'}, {mode}, jitter up to {jitter * 1000:.0f} ms, "
        f"{replies_per_second:g} reader answers/s, {budget}]"
    )
    print(f"    emulator accepted {len(seen):,} messages, {len(pushed):,} of them breaking news to subscribers")
    share = refused / max(1, len(seen) + refused)
    print(f"    429 answers: {refused} = {share:.2%} of sends; paid sends: {paid_sent:,}")
    print(f"    most messages the emulator saw in any one second: {most_in_any_second(seen)}")
    cap = paid_rate or rate
    how = (
        f"measured to the last one, {elapsed / scale:.1f} s"
        if sent == subscribers
        else f"computed from the rate over the first {span:.1f} s ({sent:,} sent)"
    )
    clock = f", the emulator's and the budget's clock {scale:g}x slower than the wall" if scale != 1.0 else ""
    print(
        f"    one item to {subscribers:,} subscribers ({budget}): {subscribers / push_rate:.1f} s, {how}{clock}; "
        f"{push_rate:.1f} pushes/s = {push_rate / cap:.3f} of {cap:g}/s; Telegram's floor {subscribers / cap:.0f} s"
    )
    cpu = CPU_USED[0] / max(1, sent)
    print(
        f"    the bot's process: {cpu * 1000:.2f} ms of CPU a message sent (the emulator's apart): one core "
        f"sends {1 / cpu:,.0f} a second, so {subscribers:,} in {subscribers * cpu:.0f} s of its CPU"
    )
    if paid_rate:
        print(f"    estimated cost {subscribers * 0.1:,.0f} Stars at 0.1 a message; sent paid: {counters.paid:,}")


def option(name: str, default: str) -> str:
    return sys.argv[sys.argv.index(name) + 1] if name in sys.argv else default


def main() -> None:
    postgres = next((a.partition("=")[2] or DEFAULT_ADMIN_URL for a in sys.argv if a.startswith("--postgres")), None)
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    valued = ("--mode", "--jitter", "--readers-per-second", "--measure", "--paid", "--scale")
    args = [a for a in args if a not in {option(name, "") for name in valued}]
    mode = args[0] if args else "limits"
    n = int(args[1]) if len(args) > 1 else {"limits": 3000, "reach": 30_000}.get(mode, 20_000)
    if mode == "reach":
        reach_run(
            n, float(option("--paid", "0")), float(option("--measure", "60")), option("--mode", "sliding"),
            float(option("--jitter", "0.01")), float(option("--readers-per-second", "0")), postgres,
            float(option("--scale", "1")),
        )  # fmt: skip
        return
    if mode == "limits":
        models = option("--mode", "both")
        jitter = float(option("--jitter", "0.01"))
        replies = float(option("--readers-per-second", "5"))
        for model in ("sliding", "bucket") if models == "both" else (models,):
            limits_run(n, model, jitter, replies, 30.0, postgres)
        return
    readers = 2000
    port_out: Any = multiprocessing.Queue()
    stop = multiprocessing.Event()
    server = multiprocessing.Process(target=serve_emulator, args=(port_out, stop, readers, False))
    server.start()
    try:
        base_url = port_out.get(timeout=60)
        with store_place(postgres) as made:
            tmp: Path | str = made if postgres else Path(made)
            print(f"store: {'PostgreSQL' if postgres else 'SQLite'}")
            items = max(1, n // readers)
            elapsed, _counters, sent = asyncio.run(run_durable(base_url, readers, items, 1e9, tmp))
            plain = asyncio.run(run_plain(base_url, readers, sent))
            print(f"(2) limits off, {sent:,} messages each way")
            print(f"    durable (recorded, taken, sent, marked): {sent / elapsed:,.0f} deliveries/s")
            print(f"    plain PTB send loop (no store):          {sent / plain:,.0f} messages/s")
    finally:
        stop.set()
        # the emulator's process sends what it saw when stopped; read it, or its queue's feeder
        # blocks on a full pipe and neither process exits
        with contextlib.suppress(queue.Empty):
            port_out.get(timeout=30)
        server.join(timeout=10)


if __name__ == "__main__":
    main()
