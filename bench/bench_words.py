"""Readers' words: items assigned per second with 100,000 followed words across readers (issue 17).

    .venv/bin/python bench/bench_words.py [WORDS] [--items N] [--postgres [ADMIN_URL]]

Two figures, over real Arabic items (bench/fixtures.py: feed items, corpus articles with bodies,
shuffled into variations):

1. the index alone (bot.store.words.WordIndex): WORDS followed words and phrases of 10 per reader
   and 2,000 muted. A share of the followed ones (--in-the-news, 5 %) are the items' own words and
   two-word phrases found in at most 1 % of the items, as names and places are; the rest are names
   today's news does not mention (two real words never next to each other in the items). A second
   line, the stress case: every followed word in the news (hundreds of pushes per item); CPU
   seconds to build it and to match N items, and
   the (reader, item) pairs assigned;
2. the store's fan-out round (SQLite, or PostgreSQL with --postgres): the same words in the
   store, N items stored in one batch, then `fan_out()` timed: the round that first loads the
   index, and a second batch whose round finds it built.

Target: >= 5,000 items/s assigned with 100,000 followed words (the index's figure, in CPU time: on
a shared machine wall time measures the neighbours). The store's round also writes every delivery
(tens per item here), which is the fan-out's own cost (bench_fanout.py), not the matching's.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import itertools
import random
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.fixtures import article_variations
from bench.pg import DEFAULT_ADMIN_URL, HELP, temporary_database
from bot.models import ParsedItem, WordKind
from bot.store import open_store
from bot.store.search_terms import words
from bot.store.words import WordChange, WordIndex, item_text

PER_READER = 10
MUTED = 2_000
TARGET = 5_000


def text_of(item: ParsedItem) -> str:
    return item_text(item.headline, item.lead, "\n\n".join(item.body))


def vocabulary(items: list[ParsedItem], seed: int = 17) -> tuple[list[str], list[str]]:
    """What readers follow: names, places, things. Real folded words of three letters or more found
    in at most 1 % of the items, and real two-word runs as rare, in random order."""
    singles: collections.Counter[str] = collections.Counter()
    pairs: collections.Counter[str] = collections.Counter()
    for item in items:
        tokens = words(text_of(item))
        singles.update({t for t in tokens if len(t) > 2})
        pairs.update({f"{a} {b}" for a, b in itertools.pairwise(tokens) if len(a) > 2 and len(b) > 2})
    most = max(2, len(items) // 100)
    rng = random.Random(seed)
    chosen = [
        sorted((w for w, n in found.items() if n <= most), key=lambda _: rng.random()) for found in (singles, pairs)
    ]
    return chosen[0], chosen[1]


def planned_words(
    total: int, items: list[ParsedItem], in_the_news: float, seed: int = 23
) -> list[tuple[int, WordKind, str]]:
    """(reader id, kind, folded key): `total` followed, 10 a reader, then MUTED muted.

    A share `in_the_news` of the followed words are the items' own rare words and phrases; the
    rest are names the sample's news does not mention: two real words that are never neighbours
    in the items (they cost the index lookups all the same)."""
    singles, phrases = vocabulary(items)
    known = set(phrases)
    rng = random.Random(seed)
    absent: list[str] = []
    while len(absent) < total:
        key = f"{rng.choice(singles)} {rng.choice(singles)}"
        if key not in known:
            absent.append(key)
    out: list[tuple[int, WordKind, str]] = []
    for n in range(total):
        news = rng.random() < in_the_news
        key = (rng.choice(phrases) if n % 5 == 0 else rng.choice(singles)) if news else absent[n]
        out.append((n // PER_READER + 1, WordKind.FOLLOW, key))
    readers = max(1, total // PER_READER)
    out.extend((rng.randint(1, readers), WordKind.MUTE, rng.choice(singles)) for _ in range(MUTED))
    # one row per (reader, kind, key), as the store keeps them
    return list(dict.fromkeys(out))


def index_figure(label: str, planned: list[tuple[int, WordKind, str]], items: list[ParsedItem]) -> None:
    texts = [(n + 1, n + 1, text_of(item)) for n, item in enumerate(items)]
    index = WordIndex()
    cpu = time.process_time()
    index.apply(WordChange(n, reader, kind, key, 0, True, n) for n, (reader, kind, key) in enumerate(planned, 1))
    built = time.process_time() - cpu
    cpu = time.process_time()
    matches = index.match(texts)
    matched = time.process_time() - cpu
    rate = len(texts) / matched
    followed = sum(1 for _, kind, _ in planned if kind is WordKind.FOLLOW)
    print(
        f"index, {label}: {followed:,} followed + {len(planned) - followed:,} muted words, built in {built:.2f} s CPU; "
        f"{len(texts):,} items matched in {matched:.2f} s CPU = {rate:,.0f} items/s "
        f"({sum(map(len, matches.follows.values())):,} pushes assigned, "
        f"{sum(map(len, matches.muted.values())):,} kept out by a mute) "
        f"-> {'OK' if rate >= TARGET else 'MISSED'}"
    )


def build_sqlite(path: str, planned: list[tuple[int, WordKind, str]]) -> None:
    conn = sqlite3.connect(path)
    now = int(time.time()) - 10
    with conn:
        readers = sorted({reader for reader, _, _ in planned})
        conn.executemany(
            "INSERT INTO readers (id, first_name, created_at, updated_at) VALUES (?, 'قارئ', ?, ?)",
            ((r, now, now) for r in readers),
        )
        conn.executemany(
            "INSERT INTO reader_words (reader_id, kind, phrase, folded, changed, created_at) VALUES (?, ?, ?, ?, ?, ?)",
            ((r, kind.value, key, key, n, now) for n, (r, kind, key) in enumerate(planned, 1)),
        )
        conn.execute("UPDATE meta SET value = ? WHERE key = 'word_seq'", (str(len(planned)),))
    conn.close()


async def build_postgres(url: str, planned: list[tuple[int, WordKind, str]]) -> None:
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        now = int(time.time()) - 10
        readers = sorted({reader for reader, _, _ in planned})
        await conn.copy_records_to_table(
            "readers",
            records=((r, "قارئ", now, now) for r in readers),
            columns=["id", "first_name", "created_at", "updated_at"],
        )
        await conn.copy_records_to_table(
            "reader_words",
            records=((r, kind.value, key, key, n, now) for n, (r, kind, key) in enumerate(planned, 1)),
            columns=["reader_id", "kind", "phrase", "folded", "changed", "created_at"],
        )
        await conn.execute("UPDATE word_version SET n = $1 WHERE id = 1", len(planned))
        await conn.execute("ANALYZE")
    finally:
        await conn.close()


async def store_figure(path: str, planned: list[tuple[int, WordKind, str]], items: list[ParsedItem]) -> None:
    store = await open_store(path)
    try:
        await store.deliveries.fan_out()  # the first round: later items are pushed
    finally:
        await store.close()
    if path.startswith("postgresql://"):
        await build_postgres(path, planned)
    else:
        build_sqlite(path, planned)
    store = await open_store(path)
    try:
        half = len(items) // 2
        for label, batch in (("first round (loads the index)", items[:half]), ("next round", items[half:])):
            await store.articles.upsert_many([(item, []) for item in batch])
            start, cpu = time.perf_counter(), time.process_time()
            recorded = await store.deliveries.fan_out()
            wall, cpu = time.perf_counter() - start, time.process_time() - cpu
            print(
                f"fan-out, {label}: {len(batch):,} items, {recorded:,} deliveries in {wall:.2f} s "
                f"({cpu:.2f} s CPU in this process, SQLite's thread included) = {len(batch) / wall:,.0f} items/s, "
                f"{len(batch) / cpu:,.0f} items/s of CPU"
            )
    finally:
        await store.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("words", type=int, nargs="?", default=100_000, help="followed words across readers")
    parser.add_argument("--items", type=int, default=10_000, help="items to assign (default 10,000)")
    parser.add_argument(
        "--in-the-news", type=float, default=0.05, help="share of followed words the items mention (default 0.05)"
    )
    parser.add_argument("--postgres", metavar="ADMIN_URL", nargs="?", const=DEFAULT_ADMIN_URL, help=HELP)
    args = parser.parse_args()
    items = article_variations(args.items)
    planned = planned_words(args.words, items, args.in_the_news)
    index_figure(f"{args.in_the_news:.0%} of the words in the news", planned, items)
    index_figure("stress: every word in the news", planned_words(args.words, items, 1.0), items)
    with contextlib.ExitStack() as stack:
        if args.postgres:
            path = stack.enter_context(temporary_database(args.postgres))
        else:
            path = str(Path(stack.enter_context(tempfile.TemporaryDirectory())) / "words.db")
        asyncio.run(store_figure(path, planned, items))


if __name__ == "__main__":
    main()
