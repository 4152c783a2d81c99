"""Fan-out of one item to 1,000,000 subscriptions: time to record the deliveries and peak memory.

    .venv/bin/python bench/bench_fanout.py [SUBSCRIBERS]

The store is built in a child process (so its memory does not count); this process opens it,
stores one item and times `fan_out()`. Targets: <= 10 s, <= 300 MB peak RSS.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import resource
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

from bot.models import ParsedItem, TopicSpec
from bot.store import Store


def build(path: str, subscribers: int) -> None:
    async def prepare() -> None:
        store = await Store.open(path)
        await store.topics.upsert(TopicSpec("bench", "موضوع القياس"))
        await store.deliveries.fan_out()  # the first round: later items are pushed
        await store.close()

    asyncio.run(prepare())
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


async def measure(path: str) -> tuple[int, float]:
    store = await Store.open(path)
    topic = await store.topics.by_slug("bench")
    assert topic is not None
    await store.articles.upsert_many([(ParsedItem(guid="bench-1", headline="خبر القياس"), [topic.id])])
    start = time.perf_counter()
    recorded = await store.deliveries.fan_out()
    elapsed = time.perf_counter() - start
    await store.close()
    return recorded, elapsed


def main() -> None:
    subscribers = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "fanout.db")
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
