"""Fresh news, once per story, end to end: the real bot against the emulator, items stored by
`newsbot ingest` in another process (issue 12).

- an item three days old is stored and listed in /latest, never pushed (NEWSBOT_PUSH_MAX_AGE at
  its default, 24 h: these tests do not take the shared fixture's any-age setting);
- two outlets' copies of one story give one push, naming the other outlet;
- Sky News Arabia's items, seeded and then read again from the feed's address, are listed once,
  and so is the story the real feed carries twice (two addresses, two headlines).
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from bot.config import Settings
from bot.devtools.harness import BotHarness
from tests.conftest import DATA
from tests.delivery.support import ingest_elsewhere, item, write_seed
from tests.delivery.test_push import pushes, service, settle, subscribe, topics_in_store

DUBAI_SKY = "دبي الأولى إقليميا والسادسة عالمي ضمن مؤشر المدن الذكية 2026"
DUBAI_RT = "دبي السادسة عالمياً في مؤشر المدن الذكية 2026"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return dataclasses.replace(settings, push_max_age=Settings().push_max_age)  # the default: 24 h


def dated(n: int, headline: str, at: datetime, **extra: Any) -> dict[str, Any]:
    found = item(n, "t-alpha", headline=headline)
    found["published_at"] = at.isoformat()
    found.update(extra)
    return found


async def test_an_item_three_days_old_is_listed_but_not_pushed(harness: BotHarness, tmp_path: Path) -> None:
    assert harness.settings.push_max_age == 24 * 3600
    await topics_in_store(harness, tmp_path)
    reader = harness.reader(901)
    await subscribe(reader, "t-alpha")
    now = datetime.now(UTC)
    old = dated(1, "مصر تسجل 30 إصابة جديدة بفيروس كورونا", now - timedelta(days=3))
    fresh = dated(2, "الجابر: 33 كيلومتراً تفصل بين الازدهار والشدة", now - timedelta(hours=1))
    await ingest_elsewhere(harness.settings.db_path, write_seed(tmp_path / "a.json", [old, fresh]))
    counts = await settle(harness)
    assert counts["sent"] == 1 and counts["queued"] == 0
    sent = pushes(harness, 901)
    assert len(sent) == 1 and "الجابر" in sent[0]
    assert not any("كورونا" in text for text in sent)
    listed = await reader.send("/start tt-alpha")  # the topic's page (seeds' undated items fill /latest's first)
    assert "مصر تسجل" in listed.text and "كورونا" in listed.text and "الجابر" in listed.text  # stored, listed


async def test_two_outlets_copies_of_one_story_give_one_push_naming_both(harness: BotHarness, tmp_path: Path) -> None:
    await topics_in_store(harness, tmp_path)
    reader = harness.reader(902)
    await subscribe(reader, "t-alpha")
    # The seeds tell this story too, months earlier (a story of its own): only what this test adds counts.
    before = (await reader.send("/latest")).text.count("مؤشر المدن الذكية")
    now = datetime.now(UTC)
    sky = dated(1, DUBAI_SKY, now - timedelta(hours=2), outlet="Sky News Arabia", source="سكاي نيوز عربية")
    rt = dated(2, DUBAI_RT, now - timedelta(hours=1), outlet="آر تي عربي", url="https://arabic.rt.com/news/2")
    await ingest_elsewhere(harness.settings.db_path, write_seed(tmp_path / "a.json", [sky, rt]))
    counts = await settle(harness)
    assert counts["sent"] == 1
    (push,) = pushes(harness, 902)
    assert "الأولى إقليميا" in push  # the copy stored first tells the story
    assert "وأيضًا في:" in push and "آر تي عربي" in push
    listed = await reader.send("/latest")
    assert listed.text.count("مؤشر المدن الذكية") == before + 1
    # The second copy, polled again later from a third outlet, is not pushed again.
    late = dated(3, DUBAI_RT, now, outlet="Al Jazeera", url="https://www.aljazeera.net/news/3")
    await ingest_elsewhere(harness.settings.db_path, write_seed(tmp_path / "b.json", [late]))
    await settle(harness)
    assert len(pushes(harness, 902)) == 1
    assert service(harness).worker.counters.failed == 0


async def test_the_sky_items_stored_from_the_seeds_and_again_from_the_feed_are_listed_once(
    harness: BotHarness, tmp_path: Path
) -> None:
    """The bug as a reader saw it: the seeds hold Sky News Arabia's items (seeds/20_feeds.json, from
    tests/data's feed); reading the same feed from its address stores each item again (another
    origin, so another identity), and /latest listed every Sky item twice. The feed also carries the
    Dubai ranking under two addresses and two headlines: one story."""

    async def feed(_: web.Request) -> web.FileResponse:
        return web.FileResponse(DATA / "feeds" / "sky-news-arabia.xml")

    app = web.Application()
    app.router.add_get("/sky.xml", feed)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        port = runner.addresses[0][1]
        out = await ingest_elsewhere(
            harness.settings.db_path, f"http://127.0.0.1:{port}/sky.xml", NEWSBOT_FETCH_ALLOW_PRIVATE="1"
        )
    finally:
        await runner.cleanup()
    assert "15 added" in out  # stored again: each a copy of a seeded item
    reader = harness.reader(903)
    listed = await reader.send("/latest")
    assert "سننسحب من إيران" in listed.text  # the newest Sky item, on the first page
    assert listed.text.count("سننسحب من إيران") == 1
    every = await harness.news.store.articles.latest(500)
    headlines = [a.headline for a in every]
    assert len(headlines) == len(set(headlines))
    assert sum("مؤشر المدن الذكية" in h for h in headlines) == 1
