from pathlib import Path

import pytest

from bot.ingest.parsers.detect import SourceType, detect
from bot.ingest.result import SourceError
from tests.conftest import DATA, SEED_PAGE


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        (DATA / "feeds" / "rt-arabic.xml", SourceType.FEED),
        (DATA / "articles" / "youm7.com_1691196862.html", SourceType.HTML),
        (DATA / "articles" / "arabic.cnn.com_arabic_article.html", SourceType.HTML),
        (DATA / "datasets" / "antcorpus-multisource_BBC-Arabic_sample12.txt", SourceType.ANT),
        (SEED_PAGE, SourceType.SEED_PAGE),
        (Path(__file__).resolve().parents[2] / "seeds" / "00_topics.json", SourceType.SEED_JSON),
    ],
)
def test_real_files(path: Path, kind: SourceType) -> None:
    assert detect(path.read_bytes()) is kind


def test_content_not_name_decides() -> None:
    assert detect(b'\xef\xbb\xbf<?xml version="1.0"?>\n<!-- x -->\n<feed xmlns="a"></feed>') is SourceType.FEED


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b" \n\t", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "binary"),
        (b"\xff\xfe\xfa text", "not UTF-8"),
        (b"just some words", "unknown content"),
    ],
)
def test_refused(data: bytes, message: str) -> None:
    with pytest.raises(SourceError, match=message):
        detect(data)
