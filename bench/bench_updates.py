"""Reader updates per second and latency per command, against the local Bot API emulator.

A store of 100,000 articles (the seed items with variations) and 10,000 readers; many readers at
once send /latest, /article, /search, page turns and subscribe taps. Rate limits are off.

    .venv/bin/python bench/bench_updates.py [--articles 100000] [--readers 10000] [--seconds 20]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import random
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from bot.config import Settings
from bot.harness import BotHarness
from bot.ingest.service import seed_if_new
from bot.models import ParsedItem
from bot.store import Store


async def build_store(path: Path, articles: int, readers: int) -> None:
    store = await Store.open(path)
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


async def drive(path: Path, readers: int, seconds: float, concurrency: int) -> None:
    settings = dataclasses.replace(Settings(), db_path=path, flood_limit=10**9)
    async with BotHarness(settings) as harness:
        harness.emulator.record_calls = False
        latencies: dict[str, list[float]] = {}
        topic_ids = [t.id for t in await harness.news.store.topics.all()]
        max_id = await harness.news.store.articles.max_id()
        words = ["غزة", "سوريا", "اسرائيل", "ترامب", "النفط", "كأس", "روسيا", "لبنان"]
        deadline = time.perf_counter() + seconds
        done = 0

        async def timed(kind: str, action: asyncio.Future[object] | object) -> None:
            nonlocal done
            t0 = time.perf_counter()
            await action  # type: ignore[misc]
            latencies.setdefault(kind, []).append(time.perf_counter() - t0)
            done += 1

        async def user(index: int) -> None:
            rng = random.Random(index)
            reader = harness.reader(100_000 + 1 + rng.randrange(readers))
            first = await reader.send("/latest")
            latest_id = first.sent[0].message_id
            topics_msg = (await reader.send("/topics")).sent[0].message_id
            while time.perf_counter() < deadline:
                roll = rng.random()
                if roll < 0.25:
                    await timed("/latest", reader.send("/latest"))
                elif roll < 0.45:
                    await timed("/article", reader.send(f"/article {rng.randint(1, max_id)}"))
                elif roll < 0.65:
                    await timed("/search", reader.send("/search " + rng.choice(words)))
                elif roll < 0.85:
                    page = rng.randint(0, 50)
                    await timed("page turn", reader.press_data(latest_id, f"1:lt:{page}", strict=False))
                else:
                    topic = rng.choice(topic_ids)
                    await timed("subscribe tap", reader.press_data(topics_msg, f"1:tt:{topic}:0", strict=False))

        t0 = time.perf_counter()
        await asyncio.gather(*(user(i) for i in range(concurrency)))
        elapsed = time.perf_counter() - t0
        print(f"{done} updates in {elapsed:.1f} s from {concurrency} readers at once: {done / elapsed:.0f} updates/s")
        print(f"{'command':<14}{'count':>8}{'median ms':>12}{'p99 ms':>10}")
        for kind, values in sorted(latencies.items()):
            values.sort()
            p99 = values[min(len(values) - 1, int(len(values) * 0.99))]
            print(f"{kind:<14}{len(values):>8}{statistics.median(values) * 1000:>12.1f}{p99 * 1000:>10.1f}")
        print("refused calls:", len(harness.emulator.refusals))


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--readers", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--db", type=Path, default=None, help="reuse a store built before")
    args = parser.parse_args()
    path = args.db or Path(tempfile.mkdtemp()) / "bench.db"
    if not path.exists():
        await build_store(path, args.articles, args.readers)
    await drive(path, args.readers, args.seconds, args.concurrency)


if __name__ == "__main__":
    asyncio.run(main())
