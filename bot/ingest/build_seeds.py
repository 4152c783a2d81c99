"""Build the starting set in seeds/ from the shared real data.

    .venv/bin/python -m bot.ingest.build_seeds /work/shared [OUT_DIR=seeds]

Per the data's SOURCES.md, feed and corpus items keep only their headline and lead with their
source URL and outlet name; whole article texts stay in the tests. The site's own page
(seed/*.txt) gives the story topics, its article and its related headlines.
"""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from bot.ingest.antcorpus import parse_ant
from bot.ingest.feeds import parse_feed
from bot.ingest.seedfile import item_to_json, topic_to_json
from bot.ingest.seedpage import parse_seed_page, seed_page_guid
from bot.ingest.topics import KNOWN_TOPICS, TopicAssigner
from bot.models import ArticleKind, ParsedItem

FEEDS = ("rt-arabic.xml", "sky-news-arabia.xml", "al-jazeera.xml")
ANT_SAMPLES = (
    "antcorpus-multisource_BBC-Arabic_sample12.txt",
    "antcorpus-multisource_AlArabiya_sample10.txt",
    "antcorpus-v1.1_JawharaFM_sample9.txt",
)


def _with_topics(items: list[ParsedItem], assigner: TopicAssigner) -> list[ParsedItem]:
    out: list[ParsedItem] = []
    for item in items:
        slugs = assigner.assign(item)
        kind = ArticleKind.VIDEO if "videos" in slugs else item.kind
        out.append(replace(item, topic_slugs=slugs, kind=kind))
    return out


def _document(items: list[ParsedItem], note: str, topics: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"note": note, "topics": topics or [], "items": [item_to_json(i) for i in items]}


def build(shared: Path) -> dict[str, dict[str, Any]]:
    """File name → seed document."""
    assigner = TopicAssigner(KNOWN_TOPICS)
    data = shared / "data" / "arabic-news"
    docs: dict[str, dict[str, Any]] = {}

    page_topics = []
    page_items: list[ParsedItem] = []
    for page in sorted((shared / "seed").glob("*.txt")):
        parsed = parse_seed_page(page.read_text(encoding="utf-8"), origin=page.name)
        page_topics.extend(parsed.topics)
        for article in parsed.items:
            page_items.append(article)
            # The related headlines are the site's own real headlines; they have no URL on the page.
            page_items.extend(
                ParsedItem(guid=seed_page_guid(link.headline), headline=link.headline, url=link.url)
                for link in article.related
            )
    slugs = {t.slug for t in page_topics}
    topics = list(page_topics) + [t for t in KNOWN_TOPICS if t.slug not in slugs]
    docs["00_topics.json"] = _document(
        [], "Stories from the site's story strip, then the standing sections", [topic_to_json(t) for t in topics]
    )
    docs["10_site_page.json"] = _document(
        _with_topics(page_items, assigner), "The site's page (seed/*.txt): its article and its related headlines"
    )

    feed_items: list[ParsedItem] = []
    for name in FEEDS:
        parsed = parse_feed((data / "feeds" / name).read_bytes(), origin=name)
        feed_items.extend(parsed.items)
    docs["20_feeds.json"] = _document(
        _with_topics(feed_items, assigner),
        "RT Arabic, Sky News Arabia and Al Jazeera feed items (headline and lead, with source URL and outlet)",
    )

    ant_items: list[ParsedItem] = []
    for name in ANT_SAMPLES:
        parsed = parse_ant((data / "datasets" / name).read_text(encoding="utf-8"), origin=name)
        ant_items.extend(replace(i, body=(), author=None) for i in parsed.items)
    docs["30_ant_corpus.json"] = _document(
        _with_topics(ant_items, assigner),
        "ANT corpus samples: BBC Arabic, Al Arabiya, Jawhara FM (headline and abstract, with URL and outlet)",
    )
    return docs


def main(argv: list[str]) -> int:
    if not argv:
        sys.stderr.write("usage: python -m bot.ingest.build_seeds SHARED_DIR [OUT_DIR]\n")
        return 2
    shared = Path(argv[0])
    out = Path(argv[1]) if len(argv) > 1 else Path("seeds")
    out.mkdir(parents=True, exist_ok=True)
    for name, doc in build(shared).items():
        text = json.dumps(doc, ensure_ascii=False, indent=1) + "\n"
        (out / name).write_text(text, encoding="utf-8")
        sys.stdout.write(f"{out / name}: {len(doc['items'])} items, {len(doc['topics'])} topics\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
