"""Build the starting set in seeds/ from real data: a developer tool, not part of the running bot.

    .venv/bin/python -m bot.ingest.build_seeds tests/data [OUT_DIR=seeds]

DATA_DIR is laid out like the repository's tests/data: ``arabic-news/feeds/*.xml`` (the feeds in
:data:`FEEDS`), ``arabic-news/datasets/`` (the ANT corpus samples in :data:`ANT_SAMPLES`) and
``seed/*.txt`` (the site's pages in plain-text form). As tests/data/SOURCES.md says of these files,
feed and corpus items keep only their headline and lead with their source URL and outlet name;
whole article texts stay in the tests. The site's own page gives the story topics, its article and
its related headlines.
"""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from bot.ingest.parsers.antcorpus import parse_ant
from bot.ingest.parsers.feeds import parse_feed
from bot.ingest.parsers.seedfile import item_to_json, topic_to_json
from bot.ingest.parsers.seedpage import parse_seed_page, seed_page_guid
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


def missing_files(root: Path) -> list[Path]:
    """The files :func:`build` reads that ``root`` lacks (an empty list when it is laid out like tests/data)."""
    data = root / "arabic-news"
    needed = [data / "feeds" / name for name in FEEDS] + [data / "datasets" / name for name in ANT_SAMPLES]
    missing = [path for path in needed if not path.is_file()]
    if not any((root / "seed").glob("*.txt")):
        missing.append(root / "seed" / "*.txt")
    return missing


def build(root: Path) -> dict[str, dict[str, Any]]:
    """File name → seed document, from ``root`` laid out like tests/data."""
    assigner = TopicAssigner(KNOWN_TOPICS)
    data = root / "arabic-news"
    docs: dict[str, dict[str, Any]] = {}

    page_topics = []
    page_items: list[ParsedItem] = []
    for page in sorted((root / "seed").glob("*.txt")):
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
    if not argv or len(argv) > 2:
        sys.stderr.write("usage: python -m bot.ingest.build_seeds DATA_DIR [OUT_DIR]  (DATA_DIR: like tests/data)\n")
        return 2
    root = Path(argv[0])
    out = Path(argv[1]) if len(argv) > 1 else Path("seeds")
    missing = missing_files(root)
    if missing:
        sys.stderr.write(f"build_seeds: {root} is not laid out like tests/data: {missing[0]} is missing\n")
        return 2
    out.mkdir(parents=True, exist_ok=True)
    for name, doc in build(root).items():
        text = json.dumps(doc, ensure_ascii=False, indent=1) + "\n"
        (out / name).write_text(text, encoding="utf-8")
        sys.stdout.write(f"{out / name}: {len(doc['items'])} items, {len(doc['topics'])} topics\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
