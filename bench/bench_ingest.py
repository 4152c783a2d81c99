"""Ingest 20,000 feed items (the real items multiplied with unique links) into a fresh store.

.venv/bin/python bench/bench_ingest.py [ITEMS]
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import fastfeedparser
import feedparser

from bench.fixtures import FEEDS, SEEDS, multiplied_feeds
from bot.ingest.parsers.feeds import compare_parsers, parse_feed, read_feed
from bot.ingest.service import ingest_sources
from bot.store import Store

EDGE_CASES = {
    "<script> in title kept as text": (
        b'<rss version="2.0"><channel><title>t</title><item><title>&lt;script&gt;x&lt;/script&gt; A</title>'
        b"<link>https://e.org/1</link></item></channel></rss>",
        lambda doc: doc.entries[0].title == "<script>x</script> A",
    ),
    "truncated feed: items recovered": (
        FEEDS[0].read_bytes()[:5000],
        lambda doc: len([e for e in doc.entries if e.title]) >= 2,
    ),
    "bad date kept as raw text": (
        b'<rss version="2.0"><channel><title>t</title><item><title>A</title><link>https://e.org/1</link>'
        b"<pubDate>yesterday</pubDate></item></channel></rss>",
        lambda doc: doc.entries[0].published_raw == "yesterday",
    ),
}


def rate(name: str, fn: object, docs: list[bytes], items: int) -> float:
    start = time.perf_counter()
    for doc in docs:
        fn(doc)  # type: ignore[operator]
    elapsed = time.perf_counter() - start
    print(f"  {name:<32} {items / elapsed:>10,.0f} items/s  ({elapsed:.2f} s)")
    return items / elapsed


async def main(total: int) -> None:
    print("Parser correctness on the real feeds (reference: feedparser)")
    for candidate in ("fastfeedparser", "feedparser-rs"):
        for path in FEEDS:
            diffs = compare_parsers(path.read_bytes(), candidate)
            print(f"  {candidate:<15} {path.name:<22} {'identical' if not diffs else f'{len(diffs)} differences'}")
            for d in diffs[:3]:
                print(f"      {d}")
    from bot.ingest.parsers.feeds import READERS

    print("Edge cases (True = right)")
    for label, (data, check) in EDGE_CASES.items():
        row = []
        for name, reader in READERS.items():
            try:
                ok = bool(check(reader(data)))
            except Exception as exc:  # a parser refusing the input counts as wrong here
                ok = False
                label_err = type(exc).__name__
                row.append(f"{name}={ok}({label_err})")
                continue
            row.append(f"{name}={ok}")
        row.append(f"ours={bool(check(read_feed(data)))}")
        print(f"  {label:<34} " + "  ".join(row))

    docs = multiplied_feeds(total)
    print(f"\n{total:,} items in {len(docs)} feeds, {sum(map(len, docs)) / 1e6:.1f} MB")
    print("Parse only (same bytes)")
    rate("feedparser.parse", feedparser.parse, docs, total)
    rate("fastfeedparser.parse", fastfeedparser.parse, docs, total)
    try:  # a Rust parser, compared when installed (pip install feedparser-rs); not a dependency
        import feedparser_rs
    except ImportError:
        print("feedparser_rs.parse: not installed, skipped")
    else:
        rate("feedparser_rs.parse", feedparser_rs.parse, docs, total)
    rate("bot.ingest.parsers.feeds.parse_feed", parse_feed, docs, total)

    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for i, doc in enumerate(docs):
            path = Path(tmp) / f"feed{i:03d}.xml"
            path.write_bytes(doc)
            paths.append(str(path))
        store = await Store.open(Path(tmp) / "bench.db")
        await ingest_sources(store, [str(SEEDS / "00_topics.json")])
        start = time.perf_counter()
        report = await ingest_sources(store, paths)
        elapsed = time.perf_counter() - start
        count = await store.articles.count()
        await store.close()
    print("End to end (read, detect, parse, topics, upsert with FTS index, 1,000-item transactions)")
    print(
        f"  ingest_sources: {report.added:,} added, {len(report.rejected)} rejected, {count:,} rows "
        f"in {elapsed:.2f} s = {total / elapsed:,.0f} items/s (target >= 5,000)"
    )


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 20_000))
