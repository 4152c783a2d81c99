"""Whole articles in the background: how long 200 feed items take to get their bodies, against what
the concurrency limit allows, and what it costs readers' /latest meanwhile.

Each of `--sites` loopback HTTP servers (one site each: host and port) serves the real saved
article pages of tests/data/arabic-news/articles, every answer after `--latency` seconds (150 ms).
`--items` summaries (a headline and a lead, a link to one of those sites) are stored at once, as a
feed poll stores them, and the filler (bot.runtime.fulltext, NEWSBOT_FULLTEXT_CONCURRENCY and
NEWSBOT_FULLTEXT_PER_HOST) reads them all. The ideal time is what the limits allow when every page
takes exactly the latency: ceil(items / min(concurrency, sites × per-host)) × latency. The servers
run in a process of their own, so serving pages does not take the bot's process's time.

Floors are printed beside the time, and the largest one is what the machine allows:
- the concurrency floor, the ideal above (fetch concurrency, per-site limit, latency);
- the extraction floor: every page goes through trafilatura in the filler's extraction processes
  (NEWSBOT_FULLTEXT_PROCESSES, niced, bot.runtime.fulltext), so the fill cannot take less than their
  CPU time (measured here, from /proc, over the run) over the cores they can use at once,
  min(processes, cores);
- the machine's floor: all the CPU the run took (extraction, the bot's process with its readers and
  the emulator, the page servers) over the machine's cores.
On a machine whose cores are busy with other work, the processes get less than whole cores, and the
wall time stretches past the floors: the share of a core each part got is printed too.

Readers' side: the real bot (the same Application as `newsbot run`) against the Bot API emulator, in
this process; one reader sends /latest again and again, each as soon as the last is answered, first
with the filler idle (its queue empty), then while it fills. p99 is over each phase's answers.

`--rounds N` repeats the pair of phases N times with new items (N × 200 pages): each round's fill
time is printed and the median is the figure; the p99s are over all rounds' answers of each phase
(one round gives ~150 answers a phase, whose p99 is its second slowest answer: one stall moves it).

    .venv/bin/python bench/bench_fulltext.py [--items 200] [--latency 0.15] [--sites 8]
        [--concurrency 8] [--per-host 2] [--processes N (default: NEWSBOT_FULLTEXT_PROCESSES' default)]
        [--rounds 1]

Targets (issue 14): fill time within 10% of the ideal; /latest p99 while filling ≤ 1.2 × idle.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import math
import multiprocessing
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.config import Settings
from bot.devtools.harness import BotHarness
from bot.models import PageText, ParsedItem
from bot.text.arabic import fold

ARTICLES = Path(__file__).resolve().parent.parent / "tests" / "data" / "arabic-news" / "articles"
PAGES = [p.read_bytes() for p in sorted(ARTICLES.glob("*.html"))]
CORPUS = ARTICLES.parent / "datasets"


def headline_words() -> list[str]:
    """Distinct Arabic words (4 letters or more, distinct once folded) from the news corpus samples in
    tests/data: each item's headline is five of its own, as a feed's headlines differ from each other.
    (Headlines sharing their words, «خبر الخلاصة رقم N», made storing the 200 items the story
    matcher's worst case, every pair compared: 0.13-0.45 s of the fill's time.)"""
    words: dict[str, str] = {}
    for path in sorted(CORPUS.glob("*.txt")):
        for word in re.findall(r"[\u0621-\u064A]{4,}", path.read_text(encoding="utf-8")):
            words.setdefault(fold(word), word)
    return list(words.values())


WORDS = headline_words()


async def start_site(latency: float) -> tuple[web.AppRunner, str]:
    async def page(request: web.Request) -> web.Response:
        await asyncio.sleep(latency)
        body = PAGES[sum(request.path.encode()) % len(PAGES)]
        return web.Response(body=body, content_type="text/html", charset="utf-8")

    app = web.Application()
    app.router.add_get("/{tail:.*}", page)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, f"http://127.0.0.1:{runner.addresses[0][1]}"


def serve_sites(count: int, latency: float, bases: multiprocessing.SimpleQueue) -> None:  # type: ignore[type-arg]
    """The page servers' process: `count` sites, their base URLs put on `bases`, served until killed."""

    async def serve() -> None:
        for _ in range(count):
            _, base = await start_site(latency)
            bases.put(base)
        await asyncio.Event().wait()

    asyncio.run(serve())


def process_cpu(pid: int) -> float:
    """User+system CPU seconds of one process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children(exclude: set[int]) -> list[int]:
    """This process's child processes (the extraction process among them), but those in `exclude`."""
    me, found = str(os.getpid()), []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if stat.read_text().rsplit(")", 1)[1].split()[1] == me and int(stat.parent.name) not in exclude:
                found.append(int(stat.parent.name))
        except (OSError, IndexError):
            continue
    return found


def p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(0.99 * len(ordered)) - 1)]


async def latest_loop(harness: BotHarness, stop: asyncio.Event, out: list[float], reader_id: int) -> None:
    reader = harness.reader(reader_id)
    while not stop.is_set():
        started = time.perf_counter()
        await reader.send("/latest")
        out.append(time.perf_counter() - started)


@dataclasses.dataclass
class Round:
    elapsed: float
    extraction_cpu: float
    own_cpu: float
    server_cpu: float
    idle_share: float  # of a core, the bot's process while only /latest was asked (the idle phase)
    storing: float  # seconds of `elapsed` the 200 items took to be stored (the feed poll's part)


async def fill_round(
    harness: BotHarness,
    args: argparse.Namespace,
    sites: list[tuple[None, str]],
    server_pid: int,
    number: int,
    idle: list[float],
    busy: list[float],
) -> Round:
    """One idle phase (answers into `idle`), then `--items` new items filled (answers into `busy`)."""
    news = harness.news
    store = news.store
    stop = asyncio.Event()
    idle_cpu, idle_wall = time.process_time(), time.perf_counter()
    loop_task = asyncio.create_task(latest_loop(harness, stop, idle, 2))
    await asyncio.sleep(args.idle_seconds)
    stop.set()
    await loop_task
    idle_share = (time.process_time() - idle_cpu) / (time.perf_counter() - idle_wall)

    items = [
        (
            ParsedItem(
                guid=f"bench:{number}:{n}",
                headline=" ".join(WORDS[((number * args.items + n) * 5 + k) % len(WORDS)] for k in range(5)),
                url=f"{sites[n % args.sites][1]}/story/{number}/{n}",
                lead="مقدمة الخبر كما جاءت في الخلاصة",
                origin="http://feeds.example/feed.xml",
            ),
            [],
        )
        for n in range(args.items)
    ]
    stop = asyncio.Event()
    extractors = children({server_pid})
    cpu_before = {pid: process_cpu(pid) for pid in extractors}
    server_before = process_cpu(server_pid)
    own_before = time.process_time()
    started = time.perf_counter()
    # When the last body was stored: the filler's own store call, timed (looking at the queue's counts
    # every 10 ms instead put a COUNT query on the store's connection, before readers' queries, 100
    # times a second); the queue is looked at every 0.1 s only to know that the fill is over.
    filled_at = [started]
    fill = store.fulltext.fill

    async def timed_fill(article_id: int, page: PageText) -> bool:
        stored = await fill(article_id, page)
        filled_at[0] = time.perf_counter()
        return stored

    store.fulltext.fill = timed_fill  # type: ignore[method-assign]
    await store.articles.upsert_many(items)
    storing = time.perf_counter() - started
    news.kick_fulltext()
    loop_task = asyncio.create_task(latest_loop(harness, stop, busy, 3))
    try:
        while (await store.fulltext.count_by_state())["pending"] > 0:  # noqa: ASYNC110 - the store is the clock
            await asyncio.sleep(0.1)
    finally:
        del store.fulltext.fill  # the class's own again
    elapsed = filled_at[0] - started
    own_cpu = time.process_time() - own_before
    server_cpu = process_cpu(server_pid) - server_before
    extractors = children({server_pid})  # a process the pool started during the run counts too
    extraction_cpu = sum(process_cpu(pid) - cpu_before.get(pid, 0.0) for pid in extractors)
    stop.set()
    await loop_task
    if args.rounds > 1:
        print(f"round {number + 1}: every body filled in {elapsed:.2f} s", flush=True)
    return Round(elapsed, extraction_cpu, own_cpu, server_cpu, idle_share, storing)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=200)
    parser.add_argument("--latency", type=float, default=0.15)
    parser.add_argument("--sites", type=int, default=8)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--per-host", type=int, default=2)
    parser.add_argument("--processes", type=int, default=Settings().fulltext_processes)
    parser.add_argument("--idle-seconds", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()

    bases: multiprocessing.SimpleQueue[str] = multiprocessing.get_context("spawn").SimpleQueue()
    server = multiprocessing.get_context("spawn").Process(
        target=serve_sites, args=(args.sites, args.latency, bases), daemon=True
    )
    server.start()
    sites = [(None, bases.get()) for _ in range(args.sites)]
    assert server.pid is not None
    with tempfile.TemporaryDirectory() as folder:
        settings = dataclasses.replace(
            Settings(),
            db_path=Path(folder) / "bench.db",
            seeds_dir=Path(folder),  # an empty store but for the items below
            flood_limit=10_000,
            fulltext=True,
            fetch_allow_private=True,
            fulltext_concurrency=args.concurrency,
            fulltext_per_host=args.per_host,
            fulltext_processes=args.processes,
        )
        async with BotHarness(settings) as harness:
            news = harness.news
            store = news.store
            filler = news.fulltext
            assert filler is not None
            # warm up: the extraction processes (one page each, at once), the templates, the first pages
            await store.articles.upsert_many(
                [(ParsedItem(guid=f"warm:{i}", headline=f"خبر {i}", lead="مقدمة"), []) for i in range(30)]
            )
            await harness.reader(1).send("/latest")
            warm = await store.articles.upsert_many(
                [
                    (ParsedItem(guid=f"warm:page{n}", headline="تسخين", url=f"{base}/warm", lead="مقدمة"), [])
                    for n, (_, base) in enumerate(sites[: args.processes])
                ]
            )
            await asyncio.gather(*(filler.read_now(outcome.article_id) for outcome in warm))

            idle: list[float] = []
            busy: list[float] = []
            rounds: list[Round] = []
            for number in range(args.rounds):
                rounds.append(await fill_round(harness, args, sites, server.pid, number, idle, busy))
            counts = await store.fulltext.count_by_state()

    server.kill()
    server.join()
    slots = min(args.concurrency, args.sites * args.per_host)
    ideal = math.ceil(args.items / slots) * args.latency
    middle = sorted(rounds, key=lambda r: r.elapsed)[len(rounds) // 2]  # the median round (upper, when even)
    elapsed, extraction_cpu, own_cpu, server_cpu = (
        middle.elapsed,
        middle.extraction_cpu,
        middle.own_cpu,
        middle.server_cpu,
    )
    cores = os.cpu_count() or 1
    per_page = extraction_cpu / args.items
    median_of = f" (median of {len(rounds)} rounds)" if len(rounds) > 1 else ""
    extraction_floor = extraction_cpu / min(args.processes, cores)
    machine_floor = (extraction_cpu + own_cpu + server_cpu) / cores
    print(
        f"items {args.items}, sites {args.sites}, latency {args.latency * 1000:.0f} ms, "
        f"concurrency {args.concurrency}, per host {args.per_host}: {slots} pages at once; "
        f"{args.processes} extraction process(es) on {cores} core(s)"
    )
    print(
        f"filled {counts['done'] - args.processes} in {len(rounds)} round(s), failed {counts['failed']}, "
        f"retrying {counts['retrying']}"
    )
    print(
        f"time until every body is filled{median_of}: {elapsed:.2f} s; ideal (concurrency floor) {ideal:.2f} s; "
        f"ratio {elapsed / ideal:.2f} (target ≤ 1.10); of it storing the items (the feed poll's part) "
        f"{middle.storing:.2f} s, and from the "
        f"items stored {elapsed - middle.storing:.2f} s, ratio {(elapsed - middle.storing) / ideal:.2f}"
    )
    print(
        f"CPU: extraction {extraction_cpu:.2f} s, {per_page * 1000:.1f} ms a page, "
        f"{extraction_cpu / elapsed:.0%} of a core while filling; the bot's process (fetching, storing, "
        f"/latest, emulator) {own_cpu:.2f} s, {own_cpu / elapsed:.0%} of a core ({middle.idle_share:.0%} in "
        f"the idle phase, /latest alone); the page servers "
        f"{server_cpu:.2f} s"
    )
    floors = {"concurrency": ideal, "extraction": extraction_floor, "machine": machine_floor}
    print(
        f"floors: concurrency {ideal:.2f} s, extraction {extraction_floor:.2f} s, machine {machine_floor:.2f} s; "
        f"the largest is the {max(floors, key=floors.__getitem__)} floor: time / it "
        f"{elapsed / max(floors.values()):.2f}"
    )
    print(
        f"/latest idle: {len(idle)} answers, median {statistics.median(idle) * 1000:.1f} ms, "
        f"p99 {p99(idle) * 1000:.1f} ms"
    )
    print(
        f"/latest while filling: {len(busy)} answers, median {statistics.median(busy) * 1000:.1f} ms, "
        f"p99 {p99(busy) * 1000:.1f} ms; ratio {p99(busy) / p99(idle):.2f} (target ≤ 1.20)"
    )


if __name__ == "__main__":
    asyncio.run(main())
