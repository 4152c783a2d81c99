"""Store size on disk per 1,000 articles (real texts with bodies, FTS index included).

.venv/bin/python bench/bench_store_size.py [ARTICLES]
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.fixtures import article_variations
from bot.store import Store


def size_on_disk(path: Path) -> int:
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))


async def main(total: int) -> None:
    articles = article_variations(total)
    text_bytes = sum(len(" ".join((a.headline, a.lead, *a.body)).encode()) for a in articles)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "size.db"
        store = await Store.open(path)
        for i in range(0, total, 2000):
            await store.articles.upsert_many([(a, ()) for a in articles[i : i + 2000]])
        await store.db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        await store.close()
        size = size_on_disk(path)
    print(f"{total:,} articles, {text_bytes / 1e6:.1f} MB of UTF-8 text")
    print(f"store on disk: {size / 1e6:.1f} MB = {size / total * 1000 / 1e6:.2f} MB per 1,000 articles")
    print(f"overhead over raw text: x{size / text_bytes:.2f} (rows + folded FTS5 index)")


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000))
