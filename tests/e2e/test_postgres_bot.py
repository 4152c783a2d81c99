"""The real bot on the PostgreSQL store (NEWSBOT_DB=postgresql://…) through the emulator: seeded on
first start, readers' search and subscriptions, and items stored by `newsbot ingest` in another
process pushed to each subscriber once."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.config import Settings
from bot.devtools.harness import BotHarness
from bot.store.postgres import PostgresStore
from tests.delivery.support import ingest_elsewhere, item, write_seed
from tests.delivery.test_push import pushes, settle, subscribe
from tests.postgres import PostgresDatabase


@pytest.fixture
async def pg_harness(settings: Settings, postgres: PostgresDatabase) -> AsyncIterator[BotHarness]:
    url = await postgres.fresh_schema()
    async with BotHarness(dataclasses.replace(settings, db_url=url)) as h:
        yield h


async def test_the_bot_runs_on_postgresql(pg_harness: BotHarness, tmp_path: Path) -> None:
    h = pg_harness
    assert isinstance(h.news.store, PostgresStore)
    assert await h.news.store.articles.count() > 0  # seeded on first start, as a new SQLite store is
    reader = h.reader(901)
    folded = await reader.send("/search غزه")
    exact = await reader.send("/search غزة")
    assert "🔎 نتائج البحث" in folded.text and "غزة" in folded.text
    assert folded.text.split("\n", 2)[2] == exact.text.split("\n", 2)[2]
    assert "إسرائيل" in (await reader.send("/search اسرائيل")).text

    url = h.settings.db_url
    assert url is not None
    await ingest_elsewhere(url, write_seed(tmp_path / "topics.json", [item(0, "t-alpha")]))  # type: ignore[arg-type]
    await h.news.delivery.round()  # type: ignore[union-attr]
    both, alpha = h.reader(902), h.reader(903)
    await subscribe(both, "t-alpha")
    await subscribe(both, "t-beta")
    await subscribe(alpha, "t-alpha")
    await ingest_elsewhere(
        url,  # type: ignore[arg-type]
        write_seed(tmp_path / "new.json", [item(1, "t-alpha", "t-beta"), item(2, "t-alpha")]),
    )
    counts = await settle(h)
    assert counts["failed"] == 0 and counts["sent"] == 4
    assert len(pushes(h, both.chat_id)) == 2  # item 1 once, though in both of their topics
    assert len(pushes(h, alpha.chat_id)) == 2
    assert not any("رقم 0" in t for t in pushes(h, both.chat_id))
    assert h.emulator.refusals == []
