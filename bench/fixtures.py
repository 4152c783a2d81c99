"""Bench data built from the real files: feed items multiplied with unique links, article variations."""

from __future__ import annotations

import random
from dataclasses import replace
from pathlib import Path
from xml.sax.saxutils import escape

from bot.ingest.parsers.antcorpus import parse_ant
from bot.ingest.parsers.feeds import parse_feed
from bot.ingest.parsers.seedpage import parse_seed_page
from bot.models import ParsedItem

REPO = Path(__file__).resolve().parent.parent
TEST_DATA = REPO / "tests" / "data"  # the real files the tests use, sources in tests/data/SOURCES.md
DATA = TEST_DATA / "arabic-news"
FEEDS = [DATA / "feeds" / n for n in ("rt-arabic.xml", "sky-news-arabia.xml", "al-jazeera.xml")]
ANT = sorted((DATA / "datasets").glob("antcorpus-*.txt"))
SEEDS = REPO / "seeds"


def real_feed_items() -> list[ParsedItem]:
    items: list[ParsedItem] = []
    for path in FEEDS:
        items.extend(parse_feed(path.read_bytes(), origin=path.name).items)
    return items


def real_articles() -> list[ParsedItem]:
    """Every real item with text: feeds (headline+lead), ANT (with bodies), the site's article."""
    items = real_feed_items()
    for path in ANT:
        items.extend(parse_ant(path.read_text(encoding="utf-8")).items)
    items.extend(parse_seed_page((TEST_DATA / "seed" / "000_2023eb9965469087.txt").read_text(encoding="utf-8")).items)
    return items


def multiplied_feeds(total: int, per_feed: int = 200) -> list[bytes]:
    """RSS documents holding `total` items: the real items again and again, each with a unique link."""
    real = real_feed_items()
    docs: list[bytes] = []
    n = 0
    while n < total:
        parts = ['<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>']
        parts.append(f"<title>Bench {len(docs)} - Article Feed</title>")
        for _ in range(min(per_feed, total - n)):
            item = real[n % len(real)]
            link = escape(f"{item.url}?copy={n}")
            date = (item.published_at or item.published_at).strftime("%a, %d %b %Y %H:%M:%S +0000")  # type: ignore[union-attr]
            enclosure = f'<enclosure url="{escape(item.image_url)}" type="image/jpeg"/>' if item.image_url else ""
            parts.append(
                f"<item><title>{escape(item.headline)}</title><link>{link}</link>"
                f"<description>{escape(item.lead)}</description>"
                f'<guid isPermaLink="false">{link}</guid>{enclosure}<pubDate>{date}</pubDate></item>'
            )
            n += 1
        parts.append("</channel></rss>")
        docs.append("".join(parts).encode())
    return docs


def article_variations(total: int, seed: int = 7) -> list[ParsedItem]:
    """`total` articles made from the real texts: shuffled paragraphs, mixed headlines, unique GUIDs."""
    rng = random.Random(seed)
    real = real_articles()
    paragraphs = [p for item in real for p in (item.lead, *item.body) if p]
    out: list[ParsedItem] = []
    for n in range(total):
        base = real[n % len(real)]
        body = tuple(rng.sample(paragraphs, k=min(len(paragraphs), rng.randint(2, 6))))
        other = real[rng.randrange(len(real))]
        headline = base.headline if n < len(real) else f"{base.headline} | {other.headline.split(' ', 3)[0]}"
        out.append(
            replace(
                base,
                guid=f"bench:{n}",
                url=f"{base.url or 'https://example.org/a'}?v={n}",
                headline=headline,
                body=body,
                topic_slugs=(),
                related=(),
            )
        )
    return out
