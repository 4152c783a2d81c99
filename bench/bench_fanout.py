"""Fan-out of one item to 1,000,000 subscriptions: time to record the deliveries and peak memory.

    .venv/bin/python bench/bench_fanout.py [SUBSCRIBERS] [--postgres [ADMIN_URL]]

The store is built in a child process (so its memory does not count); this process opens it,
stores one item and times `fan_out()`. Targets: <= 10 s, <= 300 MB peak RSS.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import multiprocessing
import resource
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.pg import DEFAULT_ADMIN_URL, HELP, temporary_database
from bot.models import ParsedItem, TopicSpec
from bot.store import open_store


def build(path: str, subscribers: int) -> None:
    async def prepare() -> None:
        store = await open_store(path)
        await store.topics.upsert(TopicSpec("bench", "موضوع القياس"))
        await store.deliveries.fan_out()  # the first round: later items are pushed
        await store.close()

    asyncio.run(prepare())
    if path.startswith("postgresql://"):
        asyncio.run(build_postgres(path, subscribers))
        return
    conn = sqlite3.connect(path)
    now = int(time.time()) - 10
    with conn:
        conn.executemany(
            "INSERT INTO readers (id, first_name, created_at, updated_at) VALUES (?, 'قارئ', ?, ?)",
            ((i, now, now) for i in range(1, subscribers + 1)),
        )
        topic_id = conn.execute("SELECT id FROM topics WHERE slug = 'bench'").fetchone()[0]
        conn.executemany(
            "INSERT INTO subscriptions (reader_id, topic_id, created_at) VALUES (?, ?, ?)",
            ((i, topic_id, now) for i in range(1, subscribers + 1)),
        )
    conn.close()


async def build_postgres(url: str, subscribers: int) -> None:
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        now = int(time.time()) - 10
        topic_id = await conn.fetchval("SELECT id FROM topics WHERE slug = 'bench'")
        await conn.copy_records_to_table(
            "readers",
            records=((i, "قارئ", now, now) for i in range(1, subscribers + 1)),
            columns=["id", "first_name", "created_at", "updated_at"],
        )
        await conn.copy_records_to_table(
            "subscriptions",
            records=((i, topic_id, now) for i in range(1, subscribers + 1)),
            columns=["reader_id", "topic_id", "created_at"],
        )
        await conn.execute("ANALYZE")
    finally:
        await conn.close()


async def measure(path: str) -> tuple[int, float]:
    store = await open_store(path)
    topic = await store.topics.by_slug("bench")
    assert topic is not None
    await store.articles.upsert_many([(ParsedItem(guid="bench-1", headline="خبر القياس"), [topic.id])])
    start = time.perf_counter()
    recorded = await store.deliveries.fan_out()
    elapsed = time.perf_counter() - start
    await store.close()
    return recorded, elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("subscribers", type=int, nargs="?", default=1_000_000)
    parser.add_argument("--postgres", metavar="ADMIN_URL", nargs="?", const=DEFAULT_ADMIN_URL, help=HELP)
    args = parser.parse_args()
    subscribers = args.subscribers
    with contextlib.ExitStack() as stack:
        if args.postgres:
            path = stack.enter_context(temporary_database(args.postgres))
        else:
            path = str(Path(stack.enter_context(tempfile.TemporaryDirectory())) / "fanout.db")
        t0 = time.perf_counter()
        child = multiprocessing.Process(target=build, args=(path, subscribers))
        child.start()
        child.join()
        print(f"store with {subscribers:,} subscriptions built in {time.perf_counter() - t0:.1f} s")
        recorded, elapsed = asyncio.run(measure(path))
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"fan-out: {recorded:,} deliveries recorded in {elapsed:.2f} s ({recorded / elapsed:,.0f}/s)")
        print(f"peak memory (RSS) of the fan-out process: {peak_mb:.0f} MB")
        print(
            f"targets: time <= 10 s -> {'OK' if elapsed <= 10 else 'MISSED'}; memory <= 300 MB -> "
            f"{'OK' if peak_mb <= 300 else 'MISSED'}"
        )


if __name__ == "__main__":
    main()
