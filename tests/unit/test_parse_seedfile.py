import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.ingest.parsers.seedfile import parse_seed_json
from bot.ingest.result import SourceError

SEEDS = Path(__file__).resolve().parents[2] / "seeds"


def _doc(items: list[object], topics: list[object] | None = None) -> bytes:
    return json.dumps({"topics": topics or [{"slug": "sport", "name": "رياضة"}], "items": items}).encode()


def test_committed_seed_files_are_valid() -> None:
    topics = parse_seed_json((SEEDS / "00_topics.json").read_bytes())
    slugs = frozenset(t.slug for t in topics.topics)
    assert not topics.rejections and "afcon-2025" in slugs
    total = 0
    for path in sorted(SEEDS.glob("[1-9]*.json")):
        result = parse_seed_json(path.read_bytes(), known_slugs=slugs)
        assert result.rejections == [], path
        total += len(result.items)
    assert total >= 70


def test_valid_item() -> None:
    data = _doc(
        [
            {
                "guid": "g1",
                "url": "https://example.org/1",
                "headline": "هدف",
                "lead": "مقدمة",
                "body": ["فقرة"],
                "published_at": "2026-03-24T10:00:00+03:00",
                "outlet": "RT Arabic",
                "kind": "video",
                "topics": ["sport"],
                "related": ["عنوان", {"headline": "آخر", "url": "https://example.org/2"}],
            }
        ]
    )
    (item,) = parse_seed_json(data).items
    assert item.published_at == datetime(2026, 3, 24, 7, 0, tzinfo=UTC)
    assert item.topic_slugs == ("sport",) and item.kind == "video"
    assert [r.url for r in item.related] == [None, "https://example.org/2"]


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ({"guid": "a"}, "no headline"),
        ({"headline": "x"}, "no guid and no url"),
        ({"guid": "a", "headline": "x", "published_at": "yesterday"}, "not an ISO 8601 date"),
        ({"guid": "a", "headline": "x", "published_at": "2026-01-01T00:00:00"}, "no time zone"),
        ({"guid": "a", "headline": "x", "published_at": "2999-01-01T00:00:00+00:00"}, "date in the future"),
        ({"guid": "a", "headline": "x", "topics": ["nope"]}, "unknown topic slug"),
        ({"guid": "a", "headline": "x", "kind": "podcast"}, "unknown kind"),
        ({"guid": "a", "headline": "x", "url": "javascript:alert(1)"}, "not http(s)"),
        ({"guid": "a", "headline": "x", "body": "text"}, "list of strings"),
    ],
)
def test_bad_items_are_rejected_with_reason_and_others_kept(raw: dict[str, object], reason: str) -> None:
    result = parse_seed_json(_doc([raw, {"guid": "ok", "headline": "سليم"}]))
    assert [i.guid for i in result.items] == ["ok"]
    assert reason in result.rejections[0].reason


def test_bad_topic_slug_is_rejected() -> None:
    result = parse_seed_json(_doc([], [{"slug": "Bad Slug!", "name": "x"}]))
    assert result.topics == [] and "slug" in result.rejections[0].reason


def test_not_json_is_a_source_error() -> None:
    with pytest.raises(SourceError, match="not valid JSON"):
        parse_seed_json(b"{nope")
