"""Whole articles in Telegram: the real bot, the emulator, and the pages served on loopback."""

from __future__ import annotations

import asyncio
import dataclasses
import shutil
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web

from bot.cli.main import main
from bot.config import FeedSource, Settings
from bot.devtools.harness import BotHarness
from tests.conftest import ADMIN_ID, DATA, REPO
from tests.fulltext.support import PageServer, fulltext_settings, item, serve_pages

HEADLINE = "غارات إسرائيلية على عدة مناطق في جنوب لبنان"  # an item of the feed
FEED = (DATA / "feeds" / "al-jazeera.xml").read_bytes()


@pytest.fixture
def settings(settings: Settings, tmp_path: Path) -> Settings:
    """Full text on, and a store seeded with the topics only: the seeds' items link to the outlets'
    real pages, which no test reads."""
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    shutil.copy(REPO / "seeds" / "00_topics.json", seeds)
    return dataclasses.replace(fulltext_settings(settings), seeds_dir=seeds)


@pytest.fixture
async def pages() -> AsyncIterator[PageServer]:
    async for server in serve_pages():
        yield server


@pytest.fixture
async def feed_url(pages: PageServer) -> AsyncIterator[str]:
    """The real Al Jazeera feed, its links (and GUIDs) pointing at the loopback pages."""
    body = FEED.replace(b"https://www.aljazeera.net/", f"{pages.base}/aj/".encode())

    async def feed(request: web.Request) -> web.Response:
        return web.Response(body=body, content_type="application/rss+xml")

    app = web.Application()
    app.router.add_get("/feed.xml", feed)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    yield f"http://127.0.0.1:{runner.addresses[0][1]}/feed.xml"
    await runner.cleanup()


def _plain(text: str | None) -> str:
    """A message's text without the bidi isolates the templates put around Latin runs."""
    return (text or "").translate({c: None for c in range(0x2066, 0x206A)})


async def _until(check: object, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not await check():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise TimeoutError("not there in time")
        await asyncio.sleep(0.05)


async def test_a_polled_feed_gets_its_bodies_and_readers_read_them_whole(
    settings: Settings, pages: PageServer, feed_url: str
) -> None:
    polled = dataclasses.replace(settings, feeds=(FeedSource(feed_url, "middle-east"),), feed_interval=0.5)
    async with BotHarness(polled) as harness:
        store = harness.news.store

        async def polled() -> list[int]:
            found = await store.articles.latest(50)
            return [a.id for a in found if a.headline == HEADLINE and a.url and a.url.startswith(pages.base)]

        await _until(polled)
        (summary_id,) = await polled()

        async def filled() -> bool:
            article = await store.articles.get(summary_id)
            return article is not None and article.fulltext == "done"

        await _until(filled)
        article = await store.articles.get(summary_id)
        assert article is not None and article.url is not None and article.url.startswith(pages.base)
        reader = harness.reader(1401)
        reply = await reader.send(f"/article {summary_id}")
        (message,) = reply.sent
        assert message.text is not None
        assert article.headline in message.text and article.body[0][:40] in _plain(message.text)
        assert "⏳" not in message.text and "تعذّر" not in message.text
        # the picture opens the article: a large preview of the page's image, above the text
        preview = message.link_preview_options or {}
        assert preview.get("url") == article.image_url and preview.get("show_above_text") is True
        # editors see where the pages stand
        stats = await harness.reader(ADMIN_ID).send("/stats")
        assert "النص الكامل للأخبار" in stats.text and "✅ جُلب:" in stats.text
        assert harness.emulator.refusals == []


async def test_an_item_opened_before_its_page_was_read_is_completed_in_the_same_message(
    settings: Settings, pages: PageServer
) -> None:
    async with BotHarness(settings) as harness:
        store = harness.news.store
        (outcome,) = await store.articles.upsert_many([(item(pages.url("gated/story"), 7), [])])
        reader = harness.reader(1402)
        opening = asyncio.create_task(reader.send(f"/article {outcome.article_id}", timeout=60))
        (shown,) = await harness.emulator.wait_for_messages(reader.chat_id, 1, timeout=30)
        # the lead at once, saying the rest is on its way
        assert "مقدمة الخبر كما جاءت في الخلاصة" in shown.text and "⏳ جارٍ جلب نص الخبر كاملًا" in shown.text
        pages.gate.set()
        reply = await opening
        assert len(reply.sent) == 1 and len(reply.edited) == 1
        edited = reply.edited[0]
        assert edited.message_id == reply.sent[0].message_id and edited.text is not None
        assert "⏳" not in edited.text
        article = await store.articles.get(outcome.article_id)
        assert article is not None and article.fulltext == "done" and article.body
        assert article.body[0][:40] in _plain(edited.text)
        # kept for everyone else: the next reader gets it at once, the page is not asked again
        later = await harness.reader(1403).send(f"/article {outcome.article_id}")
        assert len(later.sent) == 1 and later.edited == [] and article.body[0][:40] in _plain(later.text)
        assert pages.hits["/gated/story"] == 1
        assert harness.emulator.refusals == []


async def test_a_page_that_cannot_be_read_shows_the_lead_the_link_and_a_note(
    settings: Settings, pages: PageServer, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    async with BotHarness(dataclasses.replace(settings, fulltext_attempts=1)) as harness:
        store = harness.news.store
        (outcome,) = await store.articles.upsert_many([(item(pages.url("down"), 8), [])])
        harness.news.kick_fulltext()  # stored here, not by feed polling: tell the filler

        async def given_up() -> bool:
            article = await store.articles.get(outcome.article_id)
            return article is not None and article.fulltext == "failed"

        await _until(given_up)
        reply = await harness.reader(1404).send(f"/article {outcome.article_id}")
        text = reply.text
        assert "مقدمة الخبر كما جاءت في الخلاصة" in text
        assert "📄 تعذّر جلب نص الخبر كاملًا، تجده على موقع الخبر." in text
        assert ("🌐 على الموقع", pages.url("down")) in reply.buttons()
        stats = await harness.reader(ADMIN_ID).send("/stats")
        assert "⚠️ تعذّر جلبه (الخبر بمقدمته ورابطه): 1" in stats.text
    monkeypatch.setenv("NEWSBOT_DB", str(settings.db_path))
    assert await asyncio.to_thread(main, ["stats"]) == 0  # its own event loop
    assert "failed 1 (lead and link only)" in capsys.readouterr().out
