"""Feed polling and the editors' /ingest, against a real HTTP server on loopback."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
from aiohttp import web

from bot.config import FeedSource, Settings
from bot.devtools.harness import BotHarness
from tests.conftest import ADMIN_ID, DATA

# The real Al Jazeera feed under new URLs: the seeds already hold its items at their own URLs.
REAL_FEED = (DATA / "feeds" / "al-jazeera.xml").read_bytes().replace(b"traffic_source=rss", b"traffic_source=poll")
EMPTY_FEED = b"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Al Jazeera - Article Feed</title></channel></rss>"""


@dataclass
class FeedServer:
    url: str
    published: asyncio.Event
    not_modified: asyncio.Event  # set once a conditional request was answered 304
    requests: list[str] = field(default_factory=list)  # "200" / "304" per request, in order


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The feeds here are served on loopback: NEWSBOT_FETCH_ALLOW_PRIVATE=1."""
    return dataclasses.replace(settings, fetch_allow_private=True)


@pytest.fixture
async def feed_server() -> AsyncIterator[FeedServer]:
    """Serves an empty feed until `published` is set, then the real Al Jazeera feed; honours ETags."""
    published = asyncio.Event()
    not_modified = asyncio.Event()
    requests: list[str] = []

    async def feed(request: web.Request) -> web.Response:
        body, etag = (REAL_FEED, '"full"') if published.is_set() else (EMPTY_FEED, '"empty"')
        if request.headers.get("If-None-Match") == etag:
            requests.append("304")
            not_modified.set()
            return web.Response(status=304, headers={"ETag": etag})
        requests.append("200")
        return web.Response(body=body, content_type="application/rss+xml", headers={"ETag": etag})

    async def missing(request: web.Request) -> web.Response:
        return web.Response(status=404, text="not here")

    app = web.Application()
    app.router.add_get("/feed.xml", feed)
    app.router.add_get("/missing.xml", missing)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    yield FeedServer(f"http://127.0.0.1:{port}", published, not_modified, requests)
    await runner.cleanup()


async def test_polled_feed_items_reach_subscribers_without_any_command(
    settings: Settings, feed_server: FeedServer
) -> None:
    url = f"{feed_server.url}/feed.xml"
    polled = dataclasses.replace(settings, feeds=(FeedSource(url, "middle-east"),), feed_interval=0.2)
    async with BotHarness(polled) as harness:
        reader = harness.reader(610, "هدى")
        await reader.send("/start tmiddle-east")
        await reader.press("اشترك")
        # the empty feed is polled again and again: the later polls are conditional, answered 304
        await asyncio.wait_for(feed_server.not_modified.wait(), 30)
        feed_server.published.set()
        # ten new items at once are past a reader's backlog of three: one message lists them all
        _, push = await harness.emulator.wait_for_messages(reader.chat_id, 2, timeout=30)  # the topic page first
        assert push.text.startswith("🔔 10 أخبار في مواضيعك")
        assert "غارات إسرائيلية على عدة مناطق في جنوب لبنان" in push.text
        assert push.reply_markup is not None and len(push.reply_markup["inline_keyboard"]) == 10
        async with asyncio.timeout(10):  # the confirmations are written in small batches
            while True:
                if (await harness.news.store.deliveries.count_by_state())["sent"] == 10:
                    break
                await asyncio.sleep(0.05)
        assert (await harness.news.store.deliveries.count_by_state())["queued"] == 0
        feed = await harness.news.store.feeds.get(url)
        assert feed is not None and feed.etag == '"full"'
        # every item of the feed is filed under the feed's configured topic
        topic = await harness.news.store.topics.by_slug("middle-east")
        assert topic is not None
        assert await harness.news.store.articles.count(topic_id=topic.id) >= 10
        assert not harness.emulator.refusals


async def test_an_editor_ingests_a_url_and_sees_the_report(harness: BotHarness, feed_server: FeedServer) -> None:
    feed_server.published.set()
    admin = harness.reader(ADMIN_ID, "المحرر")
    reply = await admin.send(f"/ingest {feed_server.url}/feed.xml")
    assert "جديد: 10" in reply.text
    again = await admin.send(f"/ingest {feed_server.url}/feed.xml")
    assert "لم يتغير شيء" in again.text
    broken = await admin.send(f"/ingest {feed_server.url}/missing.xml")
    assert "تعذّرت قراءة" in broken.text and "missing.xml" in broken.text
    assert "أجاب الخادم بالخطأ" in broken.text and "Not Found" not in broken.text  # the reason in Arabic
    usage = await admin.send("/ingest")
    assert "/ingest https://example.com/rss" in usage.text


async def test_a_reader_cannot_ingest(harness: BotHarness, feed_server: FeedServer) -> None:
    before = await harness.news.store.articles.count()
    reply = await harness.reader(611).send(f"/ingest {feed_server.url}/feed.xml")
    assert "جديد" not in reply.text
    assert feed_server.requests == []
    assert await harness.news.store.articles.count() == before
