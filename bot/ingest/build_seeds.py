"""Build the starting set in seeds/ from real data: a developer tool, not part of the running bot.

    .venv/bin/python -m bot.ingest.build_seeds tests/data [OUT_DIR=seeds]

DATA_DIR is laid out like the repository's tests/data: ``arabic-news/feeds/*.xml`` (the feeds in
:data:`FEEDS`), ``arabic-news/datasets/`` (the ANT corpus samples in :data:`ANT_SAMPLES`) and
``seed/*.txt`` (the site's pages in plain-text form). As tests/data/SOURCES.md says of these files,
feed and corpus items keep only their headline and lead with their source URL and outlet name;
whole article texts stay in the tests. The site's own page gives its article and its related headlines;
the topics (and the rules that file items under them) are read from the existing
``OUT_DIR/00_topics.json``, which editors and this tool keep as the one place topics are defined.
"""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from bot.ingest.parsers.antcorpus import parse_ant
from bot.ingest.parsers.feeds import parse_feed
from bot.ingest.parsers.seedfile import item_to_json, parse_seed_json, topic_to_json
from bot.ingest.parsers.seedpage import parse_seed_page, seed_page_guid
from bot.ingest.topics import TopicMatcher, fold_label
from bot.models import ArticleKind, ParsedItem, TopicSpec

TOPICS_FILE = "00_topics.json"

FEEDS = ("rt-arabic.xml", "sky-news-arabia.xml", "al-jazeera.xml")
ANT_SAMPLES = (
    "antcorpus-multisource_BBC-Arabic_sample12.txt",
    "antcorpus-multisource_AlArabiya_sample10.txt",
    "antcorpus-v1.1_JawharaFM_sample9.txt",
)


def read_topics(path: Path) -> list[TopicSpec]:
    """The topics of a seed file (the starting set, seeds/00_topics.json)."""
    return list(parse_seed_json(path.read_bytes(), origin=path.name).topics)


def _with_topics(items: list[ParsedItem], assigner: TopicMatcher) -> list[ParsedItem]:
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


def build(root: Path, known: list[TopicSpec]) -> dict[str, dict[str, Any]]:
    """File name → seed document, from ``root`` laid out like tests/data and the topics `known`."""
    assigner = TopicMatcher(known)
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
    names = {fold_label(label) for t in known for label in (t.name, *t.aliases)}
    topics = list(known) + [t for t in page_topics if fold_label(t.name) not in names]
    docs[TOPICS_FILE] = _document(
        [],
        "The starting topics: stories of the site's strip (pinned in its order), then the standing sections, "
        "each with its aliases (other names, feeds' category labels and URL sections) and keywords. "
        "Editors change them with `newsbot topics`.",
        [topic_to_json(t) for t in topics],
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
    if not (out / TOPICS_FILE).is_file():
        sys.stderr.write(f"build_seeds: {out / TOPICS_FILE} is missing: the topics are defined there\n")
        return 2
    known = read_topics(out / TOPICS_FILE)
    for name, doc in build(root, known).items():
        text = json.dumps(doc, ensure_ascii=False, indent=1) + "\n"
        (out / name).write_text(text, encoding="utf-8")
        sys.stdout.write(f"{out / name}: {len(doc['items'])} items, {len(doc['topics'])} topics\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
