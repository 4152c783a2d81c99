"""Topic assignment with 500 topics of 20 keywords and 5 aliases each: items per second on one core.

.venv/bin/python bench/bench_topics.py [ITEMS]

The items are the real items in tests/data (feeds, the ANT corpus samples and the site's page:
headline, lead, category labels and URL),
repeated to ITEMS (default 50,000). Every topic's keywords are real words of those items mixed
with made-up ones, so the matcher finds matches and misses as in a newsroom's store. Also times
building the matcher (once per change of the store's topic version, in each process).
Target: ≥ 20,000 items/s.
"""

from __future__ import annotations

import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.fixtures import real_articles
from bot.ingest.topics import TopicMatcher, folded_words
from bot.models import ParsedItem, TopicKind, TopicSpec

TOPICS, KEYWORDS, ALIASES = 500, 20, 5
TARGET = 20_000


def topics(items: list[ParsedItem], rng: random.Random) -> list[TopicSpec]:
    words = sorted({w for item in items for w in folded_words(f"{item.headline} {item.lead}") if len(w) > 3})
    labels = sorted({label for item in items for label in item.categories})
    out = []
    for n in range(TOPICS):
        keywords = []
        for k in range(KEYWORDS):
            if k == 0 and n % 5 == 0 and words:  # a real word (or two) for one topic in five
                keywords.append(" ".join(rng.sample(words, 1 + (n % 10 == 0))))
            else:
                keywords.append(f"كلمة{n}س{k}")
        aliases = [f"alias-{n}-{a}" for a in range(ALIASES - 1)]
        if labels and n % 25 == 0:
            aliases.append(labels[n % len(labels)])
        else:
            aliases.append(f"وسم {n}")
        kind = TopicKind.STORY if n % 3 == 0 else TopicKind.SECTION
        out.append(TopicSpec(f"t{n}", f"موضوع رقم {n}", kind, tuple(keywords), tuple(aliases), (f"استثناء{n}",)))
    return out


def main(argv: list[str]) -> int:
    total = int(argv[0]) if argv else 50_000
    real = real_articles()
    rng = random.Random(11)
    specs = topics(real, rng)
    start = time.perf_counter()
    matcher = TopicMatcher(specs)
    built = time.perf_counter() - start
    items = [real[i % len(real)] for i in range(total)]
    matcher.assign(items[0])  # warm
    start = time.perf_counter()
    filed = 0
    for item in items:
        filed += len(matcher.assign(item))
    elapsed = time.perf_counter() - start
    rate = total / elapsed
    print(f"topics: {TOPICS} × {KEYWORDS} keywords × {ALIASES} aliases; {len(real)} real items repeated to {total}")
    print(f"matcher built in {built * 1000:.1f} ms")
    print(f"assigned {total} items in {elapsed:.2f} s: {rate:,.0f} items/s, {filed / total:.2f} topics/item")
    print(f"target ≥ {TARGET:,} items/s: {'met' if rate >= TARGET else 'NOT met'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
