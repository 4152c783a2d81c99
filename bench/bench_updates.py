"""Reader updates per second and latency per command, the bot and the Bot API emulator in their own processes.

A store of 100,000 articles (the seed items with variations) and 10,000 readers; many readers at
once send /latest, /article, /search, page turns and subscribe taps. Rate limits are off
(the emulator's, and the bot's sending budget is at its highest, NEWSBOT_RATE=1000).

This process runs the emulator and the readers; the bot runs in a child process exactly as
`newsbot run` does (`bot.cli.run.run`: the Application from `bot.app.build_application`, long
polling the emulator over loopback HTTP), with `--workers` processes sharing the readers
(NEWSBOT_WORKERS; 2 by default, the issue's two cores). Latency is measured on the emulator's clock, from the
moment an update is queued to the moment the bot's answering call arrives: the message that
completes the answer (for /article, the last part, the one with the buttons) or the callback
answer (which the bot sends after editing the message in place). The CPU the bot's processes
and this one used during the measured window is printed, so a saturated emulator shows.

Two ways to load the bot. By default a closed loop: `--concurrency` readers each send their next
update as soon as the last is answered, so the bot runs flat out and updates/s is its capacity;
latency then includes waiting behind the other readers' updates (Little's law: about readers /
throughput). With `--rate R`, an open loop: updates arrive at random (Poisson) times, R a second
on average, each from an idle reader, whatever the bot's pace: the latency at that load.

    .venv/bin/python bench/bench_updates.py [--articles 100000] [--readers 10000] [--seconds 20]
        [--db PATH] [--concurrency 32 | --rate 500] [--workers 2]
        [--only 'page turn']   # one kind of action alone: its CPU an update (/latest, /article, /search,
                               # 'page turn', 'subscribe tap')
        [--profile bot.prof]   # CPU-time cProfile of the polling process
        [--metrics]            # serve /healthz and /metrics (NEWSBOT_METRICS_LISTEN): their cost
        [--postgres [ADMIN_URL]]  # the store on PostgreSQL: a fresh database, dropped afterwards
        [--fulltext]           # the full-text filler on (off: the readers' path alone, as before it existed)
        [--instances 1,2,3]    # PostgreSQL only: N `newsbot run` instances in webhook mode behind the
                               # emulator's load balancer (round-robin, webhook_backends), one run each

With `--instances`, each instance is one process in webhook mode (the deployment of docs/deploy.md:
several machines, one database); the emulator posts up to `--concurrency` updates at once, spread
round-robin over the instances as a proxy would. One of them leads (fan-out, delivery), idle here.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import gc
import os
import random
import socket
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.pg import DEFAULT_ADMIN_URL, HELP, temporary_database
from bot.config import Settings
from bot.devtools.emulator.client import EmulatedUser
from bot.devtools.emulator.server import BotApiEmulator
from bot.devtools.emulator.state import SentRecord
from bot.devtools.harness import TEST_TOKEN
from bot.ingest.service import seed_if_new
from bot.models import ParsedItem
from bot.store import open_store

WORDS = ["غزة", "سوريا", "اسرائيل", "ترامب", "النفط", "كأس", "روسيا", "لبنان"]
ANSWER_TIMEOUT = 15.0


async def build_store(path: Path | str, articles: int, readers: int) -> None:
    store = await open_store(path)
    await seed_if_new(store, Settings().seeds_dir)
    base = [await store.articles.get(s.id) for s in await store.articles.latest(500)]
    items = [a for a in base if a is not None]
    rng = random.Random(1)
    batch: list[tuple[ParsedItem, list[int]]] = []
    made = 0
    start = time.perf_counter()
    while made < articles:
        a = items[made % len(items)]
        when = (a.published_at or a.stored_at) - timedelta(minutes=made)
        batch.append(
            (
                ParsedItem(
                    guid=f"bench:{made}",
                    headline=f"{a.headline} ({made})",
                    url=f"https://arabic.rt.com/bench/{made}/",
                    lead=a.lead,
                    body=a.body,
                    published_at=when,
                    source=a.source,
                    author=a.author,
                    kind=a.kind,
                ),
                [t.id for t in a.topics],
            )
        )
        made += 1
        if len(batch) == 5000:
            await store.articles.upsert_many(batch)
            batch = []
    if batch:
        await store.articles.upsert_many(batch)
    print(f"stored {articles} articles in {time.perf_counter() - start:.1f} s")
    start = time.perf_counter()
    topics = [t.id for t in await store.topics.all()]
    for reader_id in range(1, readers + 1):
        await store.readers.get_or_create(100_000 + reader_id, f"قارئ {reader_id}")
        if reader_id % 3 == 0:
            await store.subscriptions.subscribe(100_000 + reader_id, rng.choice(topics))
    print(f"stored {readers} readers in {time.perf_counter() - start:.1f} s")
    await store.close()


# -- the bot process ---------------------------------------------------------------------------


WEBHOOK_PATH = "/bench/webhook"
WEBHOOK_SECRET = "bench-webhook-secret"


def run_bot(
    api_url: str,
    db: Path | str,
    profile: Path | None,
    workers: int,
    metrics_port: int | None,
    fulltext: bool = False,
    listen_port: int | None = None,
) -> int:
    """The child process: `newsbot run` against the emulator, until SIGTERM (with `listen_port`,
    in webhook mode behind the emulator's load balancer)."""
    from bot.cli.run import run
    from bot.runtime import logs

    logs.configure("WARNING")
    settings = dataclasses.replace(
        Settings(),
        token=TEST_TOKEN,
        api_url=api_url,
        db_path=db if isinstance(db, Path) else Settings().db_path,
        db_url=db if isinstance(db, str) else None,
        flood_limit=10**9,
        # Rate limits are off: the sending budget (every answer draws a slot) at its highest setting.
        rate=1000.0,
        workers=workers,
        # The full-text filler reads the page of every stored item without a body: with the 100,000
        # items here that is a backlog of unreachable pages, which --fulltext measures beside readers.
        fulltext=fulltext,
        metrics_listen=("127.0.0.1", metrics_port) if metrics_port else None,
    )
    if listen_port is not None:
        settings = dataclasses.replace(
            settings,
            webhook_url="http://127.0.0.1:9" + WEBHOOK_PATH,  # the proxy's public address: the emulator plays it
            webhook_secret=WEBHOOK_SECRET,
            listen=("127.0.0.1", listen_port),
            workers=1,
        )
    if profile is None:
        return run(settings)
    import cProfile

    profiler = cProfile.Profile(time.process_time)  # CPU time: waiting on the other process is not cost
    try:
        return profiler.runcall(run, settings)
    finally:
        profiler.dump_stats(profile)


def cpu_seconds(pid: int) -> float:
    """User+system CPU time so far of a process and its children (the workers), from Linux /proc."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # a process that just ended
            continue
        if stat.parent.name == str(pid) or fields[1] == str(pid):
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


# -- the readers, beside the emulator ----------------------------------------------------------


class Answers:
    """Waits for the bot's answer in a chat; times come from the emulator's clock at each call."""

    def __init__(self, emulator: BotApiEmulator) -> None:
        self.emulator = emulator
        self._pending: dict[int, tuple[Callable[[SentRecord], bool], asyncio.Future[SentRecord]]] = {}
        emulator.listeners.append(self._on_sent)

    def _on_sent(self, record: SentRecord) -> None:
        entry = self._pending.get(record.chat_id or 0)
        if entry is not None and not entry[1].done() and entry[0](record):
            entry[1].set_result(record)

    async def send(self, user: EmulatedUser, text: str, *, last: bool = False) -> tuple[float, SentRecord]:
        """Write `text`; (seconds to the answer, the answering message). With `last`, the message
        with buttons (a long article comes in several parts, the buttons under the last)."""

        def complete(record: SentRecord) -> bool:
            return record.method == "sendMessage" and (not last or record.reply_markup is not None)

        future: asyncio.Future[SentRecord] = asyncio.get_running_loop().create_future()
        self._pending[user.chat_id] = (complete, future)
        try:
            queued = self.emulator.clock()
            user.send_text(text)
            async with asyncio.timeout(ANSWER_TIMEOUT):
                record = await future
        finally:
            del self._pending[user.chat_id]
        return record.time - queued, record

    async def press(self, user: EmulatedUser, message_id: int, data: str) -> float:
        queued = self.emulator.clock()
        query_id = user.press_button(message_id, data, strict=False)
        await self.emulator.wait_for_callback_answer(query_id, ANSWER_TIMEOUT)
        answered_at = self.emulator.callback_queries[query_id].answered_at
        assert answered_at is not None
        return answered_at - queued


@dataclasses.dataclass
class Reader:
    """One emulated reader with the messages its buttons are pressed on."""

    account: EmulatedUser
    latest_id: int = 0
    topics_id: int = 0


class Mix:
    """The readers' actions, in the issue's proportions, each timed on the emulator's clock."""

    KINDS = ("/latest", "/article", "/search", "page turn", "subscribe tap")
    SHARES = (0.25, 0.45, 0.65, 0.85, 1.0)  # each kind's upper bound on the roll

    def __init__(self, answers: Answers, topic_ids: list[int], max_id: int, only: str | None = None) -> None:
        self.answers = answers
        self.topic_ids = topic_ids
        self.max_id = max_id
        self.latencies: dict[str, list[float]] = {}
        # --only: every action of one kind (its CPU an update alone); the roll then lands in its share
        self._roll: tuple[float, float] | None = None
        if only is not None:
            index = self.KINDS.index(only)
            self._roll = (self.SHARES[index - 1] if index else 0.0, self.SHARES[index])

    async def prepare(self, reader: Reader) -> None:
        """The reader's first contact: a /latest and a /topics to press buttons on (not timed)."""
        reader.latest_id = (await self.answers.send(reader.account, "/latest"))[1].message_id or 0
        reader.topics_id = (await self.answers.send(reader.account, "/topics"))[1].message_id or 0

    async def act(self, reader: Reader, rng: random.Random) -> None:
        account, roll = reader.account, rng.random()
        if self._roll is not None:
            low, high = self._roll
            roll = low + (high - low) * roll
        if roll < 0.25:
            kind, took = "/latest", (await self.answers.send(account, "/latest"))[0]
        elif roll < 0.45:
            kind, took = (
                "/article",
                (await self.answers.send(account, f"/article {rng.randint(1, self.max_id)}", last=True))[0],
            )
        elif roll < 0.65:
            kind, took = "/search", (await self.answers.send(account, "/search " + rng.choice(WORDS)))[0]
        elif roll < 0.85:
            kind, took = "page turn", await self.answers.press(account, reader.latest_id, f"1:lt:{rng.randint(0, 50)}")
        else:
            topic = rng.choice(self.topic_ids)
            kind, took = "subscribe tap", await self.answers.press(account, reader.topics_id, f"1:tt:{topic}:0")
        self.latencies.setdefault(kind, []).append(took)


async def drive(
    path: Path | str,
    readers: int,
    seconds: float,
    concurrency: int,
    rate: float | None,
    profile: Path | None,
    workers: int,
    metrics: bool,
    fulltext: bool = False,
    instances: int = 0,
    only: str | None = None,
) -> None:
    emulator = BotApiEmulator(rate_limits=False)
    emulator.record_calls = False
    await emulator.start()
    command = [sys.executable, __file__, "--serve-bot", emulator.base_url, "--db", str(path), "--workers", str(workers)]
    if profile is not None:
        command += ["--profile", str(profile)]
    metrics_port = free_port() if metrics else None
    if metrics_port is not None:
        command += ["--metrics-port", str(metrics_port)]
    if fulltext:
        command += ["--fulltext"]
    ports = [free_port() for _ in range(instances)]
    if ports:
        emulator.webhook_backends = [f"http://127.0.0.1:{port}{WEBHOOK_PATH}" for port in ports]
        emulator.webhook_connections = concurrency
        bots = [await asyncio.create_subprocess_exec(*command, "--listen-port", str(port)) for port in ports]
    else:
        bots = [await asyncio.create_subprocess_exec(*command)]
    try:
        if ports:
            await until_listening(ports, emulator)
        else:
            await emulator.wait_for_long_poll(timeout=60)
        store = await open_store(path)
        mix = Mix(Answers(emulator), [t.id for t in await store.topics.all()], await store.articles.max_id(), only)
        await store.close()
        picked = random.Random(0).sample(range(100_001, 100_001 + readers), k=min(readers, max(concurrency, 256)))
        pool = [Reader(emulator.user(user_id, "قارئ")) for user_id in picked]
        if rate is None:
            pool = pool[:concurrency]
        for start in range(0, len(pool), concurrency):
            await asyncio.gather(*(mix.prepare(r) for r in pool[start : start + concurrency]))
        # The emulator stands in for Telegram: its collector walking every stored chat is not the
        # bot's latency. Frozen as the bot freezes its own start-up objects.
        gc.collect()
        gc.freeze()
        t0, bot_cpu0, emu_cpu0 = time.perf_counter(), sum(cpu_seconds(b.pid) for b in bots), time.process_time()
        deadline = t0 + seconds
        if rate is None:
            head = f"from {concurrency} readers at once (closed loop: each sends again on its answer)"
            await closed_loop(mix, pool, deadline)
        else:
            head = f"offered at {rate:.0f}/s (open loop: Poisson arrivals over {len(pool)} readers)"
            late = await open_loop(mix, pool, deadline, rate)
            head += f", {late} arrivals found every reader waiting" if late else ""
        elapsed = time.perf_counter() - t0
        bot_cpu, emu_cpu = sum(cpu_seconds(b.pid) for b in bots) - bot_cpu0, time.process_time() - emu_cpu0
        print_report(mix, head, elapsed, bot_cpu, emu_cpu, len(emulator.refusals))
        if metrics_port is not None:
            print(f"/metrics (NEWSBOT_METRICS_LISTEN on): {await counted_updates(metrics_port):.0f} updates counted")
        if ports:
            print("updates per instance:", sorted(emulator.webhook_deliveries_by_url.values()))
    finally:
        for one in bots:
            if one.returncode is None:
                one.terminate()
        for one in bots:
            await one.wait()
        await emulator.stop()


async def until_listening(ports: list[int], emulator: BotApiEmulator, timeout: float = 90.0) -> None:
    """Until every instance accepts connections and one has set the webhook."""
    async with asyncio.timeout(timeout):
        for port in ports:
            while True:
                try:
                    _, writer = await asyncio.open_connection("127.0.0.1", port)
                except OSError:
                    await asyncio.sleep(0.2)
                    continue
                writer.close()
                await writer.wait_closed()
                break
        await emulator.waiters.until(lambda: bool(emulator.webhook_url), None)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def counted_updates(port: int) -> float:
    """The updates the bot's processes counted, from one scrape of its /metrics."""
    from prometheus_client.parser import text_string_to_metric_families

    async with httpx.AsyncClient() as client:
        page = await client.get(f"http://127.0.0.1:{port}/metrics")
    return sum(
        sample.value
        for family in text_string_to_metric_families(page.text)
        for sample in family.samples
        if sample.name == "newsbot_updates_total"
    )


async def closed_loop(mix: Mix, pool: list[Reader], deadline: float) -> None:
    async def user(index: int, reader: Reader) -> None:
        rng = random.Random(index)
        while time.perf_counter() < deadline:
            await mix.act(reader, rng)

    await asyncio.gather(*(user(i, r) for i, r in enumerate(pool)))


async def open_loop(mix: Mix, pool: list[Reader], deadline: float, rate: float) -> int:
    """Updates arrive at exponential intervals whatever the bot's pace; returns how many found no idle reader."""
    rng = random.Random(1)
    idle = list(pool)
    running: set[asyncio.Task[None]] = set()
    late = 0

    async def one(reader: Reader) -> None:
        try:
            await mix.act(reader, rng)
        finally:
            idle.append(reader)

    due = time.perf_counter()
    while due < deadline:
        due += rng.expovariate(rate)
        await asyncio.sleep(max(0.0, due - time.perf_counter()))
        if not idle:
            late += 1
            continue
        task = asyncio.create_task(one(idle.pop(rng.randrange(len(idle)))))
        running.add(task)
        task.add_done_callback(running.discard)
    if running:
        await asyncio.gather(*running)
    return late


def print_report(mix: Mix, head: str, elapsed: float, bot_cpu: float, emu_cpu: float, refused: int) -> None:
    done = sum(len(v) for v in mix.latencies.values())
    print(f"{done} updates in {elapsed:.1f} s {head}: {done / elapsed:.0f} updates/s")
    print(
        f"CPU: bot processes {bot_cpu / elapsed:.0%} of a core ({bot_cpu / max(done, 1) * 1000:.2f} ms an update), "
        f"emulator and readers {emu_cpu / elapsed:.0%}"
    )
    print(f"{'command':<14}{'count':>8}{'median ms':>12}{'p99 ms':>10}")
    for kind, values in sorted(mix.latencies.items()):
        values.sort()
        p99 = values[min(len(values) - 1, int(len(values) * 0.99))]
        print(f"{kind:<14}{len(values):>8}{statistics.median(values) * 1000:>12.1f}{p99 * 1000:>10.1f}")
    print("refused calls:", refused)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--readers", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--concurrency", type=int, default=32, help="readers at once in the closed loop")
    parser.add_argument("--rate", type=float, default=None, help="open loop: updates offered per second")
    parser.add_argument("--db", default=None, help="reuse a store built before (a SQLite file or a PostgreSQL URL)")
    parser.add_argument("--postgres", metavar="ADMIN_URL", nargs="?", const=DEFAULT_ADMIN_URL, help=HELP)
    parser.add_argument("--workers", type=int, default=2, help="bot processes (NEWSBOT_WORKERS)")
    parser.add_argument("--profile", type=Path, default=None, help="write a cProfile of the bot process here")
    parser.add_argument("--metrics", action="store_true", help="serve /healthz and /metrics, to measure their cost")
    parser.add_argument(
        "--fulltext", action="store_true", help="run the full-text filler (NEWSBOT_FULLTEXT) beside the readers"
    )
    parser.add_argument(
        "--instances", default=None, help="PostgreSQL: comma-separated instance counts in webhook mode, e.g. 1,2,3"
    )
    parser.add_argument(
        "--only", choices=Mix.KINDS, default=None, help="every reader action of this one kind (its CPU an update)"
    )
    parser.add_argument("--listen-port", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--serve-bot", metavar="API_URL", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--metrics-port", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    location: Path | str = Path(args.db) if args.db and "://" not in args.db else args.db
    if args.serve_bot:
        raise SystemExit(
            run_bot(
                args.serve_bot,
                location,
                args.profile,
                args.workers,
                args.metrics_port,
                args.fulltext,
                args.listen_port,
            )
        )
    with contextlib.ExitStack() as stack:
        if location is None:
            location = (
                stack.enter_context(temporary_database(args.postgres))
                if args.postgres
                else Path(tempfile.mkdtemp()) / "bench.db"
            )
            asyncio.run(build_store(location, args.articles, args.readers))
        elif isinstance(location, Path) and not location.exists():
            asyncio.run(build_store(location, args.articles, args.readers))
        if args.instances:
            if not isinstance(location, str):
                raise SystemExit("--instances needs the store on PostgreSQL (--postgres or --db postgresql://…)")
            for n in (int(x) for x in args.instances.split(",")):
                print(f"\nstore: PostgreSQL, {n} instance(s) in webhook mode behind the emulator's load balancer")
                asyncio.run(
                    drive(
                        location,
                        args.readers,
                        args.seconds,
                        args.concurrency,
                        args.rate,
                        None,
                        1,
                        False,
                        False,
                        n,
                    )
                )
            return
        print(f"store: {'PostgreSQL' if isinstance(location, str) else location}, {args.workers} bot process(es)")
        asyncio.run(
            drive(
                location,
                args.readers,
                args.seconds,
                args.concurrency,
                args.rate,
                args.profile,
                args.workers,
                args.metrics,
                args.fulltext,
                only=args.only,
            )
        )


if __name__ == "__main__":
    main()
