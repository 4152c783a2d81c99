"""The figures /metrics shows move with the work they count: pushes and 429s, feed polls and their
errors, items ingested. The real bot against the emulator, NEWSBOT_METRICS_LISTEN set."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

from bot.config import FeedSource, Settings
from bot.devtools.harness import BotHarness
from bot.runtime.metrics import Metrics
from tests.delivery.support import ingest_elsewhere, item, write_seed
from tests.delivery.test_feeds import FeedServer, feed_server  # noqa: F401 - the fixture
from tests.delivery.test_push import pushes, service, settle, subscribe, topics_in_store

METRICS_ON = ("127.0.0.1", 9)  # counted in process; no server is started without the runner's socket


def metrics_of(h: BotHarness) -> Metrics:
    metrics = h.news.metrics
    assert metrics is not None
    return metrics


def sample(h: BotHarness, name: str, **labels: str) -> float:
    return metrics_of(h).registry.get_sample_value(name, labels) or 0.0


async def test_pushes_and_429s_are_counted(settings: Settings, tmp_path: Path) -> None:
    async with BotHarness(dataclasses.replace(settings, metrics_listen=METRICS_ON), rate_limits=True) as h:
        await topics_in_store(h, tmp_path)
        readers = [h.reader(800 + i) for i in range(4)]
        for reader in readers:
            await subscribe(reader, "t-alpha")
        h.emulator.limits.global_rate = h.emulator.limits.global_burst = 2  # Telegram answers 429
        h.emulator.limits.reset()
        await ingest_elsewhere(settings.db_path, write_seed(tmp_path / "n.json", [item(n, "t-alpha") for n in (1, 2)]))
        counts = await settle(h, timeout=60)
        assert counts["failed"] == 0
        assert all(len(pushes(h, reader.chat_id)) == 2 for reader in readers)
        worker = service(h).worker
        assert sample(h, "newsbot_push_sends_total", result="sent") == worker.counters.sent == 8
        assert sample(h, "newsbot_push_sends_total", result="retry_after") == worker.counters.retry_after > 0
        refused = sample(h, "newsbot_bot_api_requests_total", method="sendMessage", status="429")
        assert refused >= worker.counters.retry_after


async def test_feed_polls_errors_and_ingested_items_are_counted(
    settings: Settings,
    feed_server: FeedServer,  # noqa: F811 - the fixture imported above
) -> None:
    feed_server.published.set()
    feeds = (FeedSource(f"{feed_server.url}/feed.xml"), FeedSource(f"{feed_server.url}/missing.xml"))
    polled = dataclasses.replace(
        settings, feeds=feeds, feed_interval=0.2, metrics_listen=METRICS_ON, fetch_allow_private=True
    )  # the feeds are served on loopback
    async with BotHarness(polled) as h:
        async with asyncio.timeout(30):  # until the first poll of both feeds has been counted
            while True:
                if sample(h, "newsbot_feed_polls_total") >= 2:
                    break
                await asyncio.sleep(0.05)  # a figure, not an event: looked at again shortly
        polls = sample(h, "newsbot_feed_polls_total")
        assert sample(h, "newsbot_feed_poll_errors_total") == polls / 2  # missing.xml, every time
        assert sample(h, "newsbot_items_ingested_total", outcome="added") == 10
