from datetime import UTC, datetime

import pytest

from bot.ingest.parsers.antcorpus import parse_ant
from tests.conftest import DATA as ARABIC_NEWS

DATA = ARABIC_NEWS / "datasets"


@pytest.mark.parametrize(
    ("name", "count", "outlet"),
    [
        ("antcorpus-multisource_BBC-Arabic_sample12.txt", 12, "BBC Arabic"),
        ("antcorpus-multisource_AlArabiya_sample10.txt", 10, "Al Arabiya"),
        ("antcorpus-v1.1_JawharaFM_sample9.txt", 9, "Jawhara FM"),
    ],
)
def test_real_samples(name: str, count: int, outlet: str) -> None:
    result = parse_ant((DATA / name).read_text(encoding="utf-8"))
    assert len(result.items) == count and not result.rejections and not result.warnings
    for item in result.items:
        assert item.outlet == outlet and item.headline and item.lead and item.body
        assert item.url is not None and " " not in item.url and item.url.startswith("http://")
        assert item.published_at is not None and item.categories


def test_dates_in_both_formats() -> None:
    bbc = parse_ant((DATA / "antcorpus-multisource_BBC-Arabic_sample12.txt").read_text(encoding="utf-8"))
    assert bbc.items[0].published_at == datetime(2018, 2, 18, 17, 21, 49, tzinfo=UTC)
    jawhara = parse_ant((DATA / "antcorpus-v1.1_JawharaFM_sample9.txt").read_text(encoding="utf-8"))
    assert jawhara.items[0].published_at == datetime(2017, 1, 20, 20, 43, tzinfo=UTC)


def test_doc_without_title_is_rejected() -> None:
    result = parse_ant("<DOC>\n<DOCNO>X-1</DOCNO>\n<TITLE></TITLE>\n<TIME>never</TIME>\n</DOC>\n")
    assert result.items == [] and result.rejections[0].item == "X-1"
