"""What aiosqlite's private API buys: a subscribe toggle as one call vs the public per-statement path.

    .venv/bin/python bench/bench_store_tx.py [TOGGLES]

The same read-modify-write (is there such a topic? delete the subscription, else insert it), done
TOGGLES times on a fresh store two ways:
- `Database.transaction()`: one call on aiosqlite's thread, BEGIN IMMEDIATE to COMMIT, through
  `bot/store/sqlite/aiosqlite_adapter.py` (aiosqlite's private `_execute`/`_conn`) - what the bot does;
- `Database.write()`: public aiosqlite only, one trip to that thread per statement (BEGIN, SELECT,
  DELETE, maybe INSERT, COMMIT), the write lock held throughout.
Each runs alone (one reader tapping) and with 50 readers tapping at once while 8 tasks keep the
connection busy with page reads (the bot under load). Prints toggles/s and p99 per toggle.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.models import TopicSpec
from bot.store import Store
from bot.store.sqlite.db import now_ts

Toggle = Callable[[int, int], Awaitable[bool | None]]


def public_toggle(store: Store) -> Toggle:
    """SubscriptionRepository.toggle's work written against aiosqlite's public API only."""

    async def toggle(reader_id: int, topic_id: int) -> bool | None:
        async with store.db.write() as conn:
            async with conn.execute("SELECT 1 FROM topics WHERE id = ?", (topic_id,)) as cur:
                if await cur.fetchone() is None:
                    return None
            cur = await conn.execute(
                "DELETE FROM subscriptions WHERE reader_id = ? AND topic_id = ?", (reader_id, topic_id)
            )
            if cur.rowcount == 1:
                return False
            await conn.execute(
                "INSERT INTO subscriptions (reader_id, topic_id, created_at, after_article) "
                "SELECT ?, ?, ?, (SELECT coalesce(max(id), 0) FROM articles)",
                (reader_id, topic_id, now_ts()),
            )
            return True

    return toggle


async def timed(toggle: Toggle, readers: list[int], topic_id: int, per_reader: int) -> tuple[float, list[float]]:
    latencies: list[float] = []

    async def tap(reader_id: int) -> None:
        for _ in range(per_reader):
            start = time.perf_counter()
            await toggle(reader_id, topic_id)
            latencies.append(time.perf_counter() - start)

    start = time.perf_counter()
    await asyncio.gather(*(tap(r) for r in readers))
    return time.perf_counter() - start, latencies


async def run(store: Store, name: str, toggle: Toggle, topic_id: int, total: int) -> None:
    for label, readers, background in (("alone", [1], 0), ("50 readers + 8 page readers", list(range(1, 51)), 8)):
        stop = asyncio.Event()

        async def page_reads(stop: asyncio.Event) -> None:
            while not stop.is_set():
                await store.db.fetch_all("SELECT id, headline FROM articles ORDER BY id DESC LIMIT 10")

        busy = [asyncio.create_task(page_reads(stop)) for _ in range(background)]
        elapsed, latencies = await timed(toggle, readers, topic_id, max(1, total // len(readers)))
        stop.set()
        await asyncio.gather(*busy)
        p99 = statistics.quantiles(latencies, n=100)[98] * 1000 if len(latencies) >= 100 else max(latencies) * 1000
        print(f"  {name:<34} {label:<28} {len(latencies) / elapsed:>8,.0f} toggles/s   p99 {p99:6.2f} ms")


async def main(total: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store = await Store.open(Path(tmp) / "tx.db")
        topic = await store.topics.upsert(TopicSpec("bench", "موضوع القياس"))
        for reader_id in range(1, 51):
            await store.readers.get_or_create(reader_id, "قارئ")
        print(f"{total:,} subscribe toggles (read, delete or insert) per run")
        await run(store, "transaction() (private _execute)", store.subscriptions.toggle, topic.id, total)
        await run(store, "write() (public, per statement)", public_toggle(store), topic.id, total)
        await store.close()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 5_000))
