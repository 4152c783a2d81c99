"""`newsbot stats --days N` (issue 17): the reading report after the counts; a period out of range is
one line and exit code 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.models import ParsedItem, TopicSpec
from bot.store import open_store
from tests.cli.test_failures import assert_clean, newsbot


async def test_stats_prints_the_reading_report(tmp_path: Path) -> None:
    store = await open_store(tmp_path / "news.db")
    try:
        topic = await store.topics.upsert(TopicSpec("a", "الرياضة"))
        await store.articles.upsert_many([(ParsedItem(guid="x", headline="خبر"), [topic.id])])
        await store.deliveries.fan_out()
        await store.readers.get_or_create(5)
        await store.subscriptions.subscribe(5, topic.id)
        [pushed] = await store.articles.upsert_many([(ParsedItem(guid="y", headline="خبر مدفوع"), [topic.id])])
        await store.deliveries.fan_out()
        [taken] = await store.deliveries.claim(5)
        await store.deliveries.mark_sent([(taken.id, 9)])
        await store.deliveries.mark_opened(5, pushed.article_id)
        await store.articles.record_miss("زلزال")
    finally:
        await store.close()
    code, output = await newsbot(tmp_path, "stats", "--days", "3", NEWSBOT_DB=str(tmp_path / "news.db"))
    assert code == 0, output
    assert_clean(output)
    assert "reading over the last 3 days:" in output
    assert f"#{pushed.article_id} خبر مدفوع: sent 1, opened 1" in output
    assert "الرياضة: +1 -0" in output
    assert "زلزال: 1" in output


@pytest.mark.parametrize("days", ["0", "367", "week", "-1"])
async def test_a_period_out_of_range_is_one_line_and_exit_2(tmp_path: Path, days: str) -> None:
    code, output = await newsbot(tmp_path, "stats", "--days", days, NEWSBOT_DB=str(tmp_path / "news.db"))
    assert code == 2
    assert "--days" in output and "from 1 to 366" in output
    assert "Traceback" not in output
