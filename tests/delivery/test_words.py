"""Readers' own words end to end: the real bot against the emulator, items stored by `newsbot
ingest` in another process, as a feed poll or an editor would store them."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.config import Settings
from bot.devtools.harness import BotHarness
from bot.store.postgres import PostgresStore
from tests.delivery.support import ingest_elsewhere, item, write_seed
from tests.delivery.test_push import MovableClock, pushes, service, settle, subscribe, topics_in_store
from tests.postgres import PostgresDatabase

RSS = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>أخبار محلية</title><link>https://example.org/</link>
<description>خلاصة بلا موضوع في البوت</description>
{items}
</channel></rss>
"""
RSS_ITEM = """<item><title>{title}</title><link>https://example.org/news/{n}</link>
<guid>https://example.org/news/{n}</guid><description>{lead}</description>
<category>محليات</category><pubDate>Tue, 24 Mar 2026 23:31:31 +0000</pubDate></item>"""


@pytest.fixture(params=["sqlite", "postgres"])
def engine(request: pytest.FixtureRequest) -> PostgresDatabase | None:
    """The store a test runs on: a SQLite file (None), or PostgreSQL (tests/postgres.py)."""
    return request.getfixturevalue("postgres") if request.param == "postgres" else None


@pytest.fixture
async def any_store_harness(engine: PostgresDatabase | None, settings: Settings) -> AsyncIterator[BotHarness]:
    """The real bot on the test's engine (a fresh schema on PostgreSQL)."""
    if engine is not None:
        settings = dataclasses.replace(settings, db_url=await engine.fresh_schema())
    async with BotHarness(settings) as h:
        assert isinstance(h.news.store, PostgresStore) == (engine is not None)
        yield h


def write_feed(path: Path, *items: tuple[int, str, str]) -> Path:
    body = "\n".join(RSS_ITEM.format(n=n, title=title, lead=lead) for n, title, lead in items)
    path.write_text(RSS.format(items=body), encoding="utf-8")
    return path


async def test_a_followed_word_brings_items_from_a_feed_without_its_topic_once(
    any_store_harness: BotHarness, tmp_path: Path
) -> None:
    harness = any_store_harness  # on both engines: the fan-out's word matching is each engine's
    await topics_in_store(harness, tmp_path)
    word_only, word_and_topic, nobody = (harness.reader(i) for i in (671, 672, 673))
    answer = await word_only.send("/follow الرقة")
    assert "✅ تتابع الآن «الرقة»" in answer.text
    await word_and_topic.send("/follow الرقه")  # another spelling of the same word
    await subscribe(word_and_topic, "t-alpha")
    await nobody.send("/start")

    # A feed no topic is configured for: its item names the city and reaches the two followers.
    await ingest_elsewhere(
        harness.settings.store_location,
        write_feed(tmp_path / "local.xml", (1, "اشتباكات في محيط الرقة", "قوات تتقدم شمال المدينة.")),
    )
    # An item of the subscribed topic naming the city: still one push for the reader with both.
    await ingest_elsewhere(
        harness.settings.store_location,
        write_seed(tmp_path / "alpha.json", [item(2, "t-alpha", headline="وفد يزور الرقة اليوم")]),
    )
    # A word inside another word («الرقاوي») is not the word.
    await ingest_elsewhere(
        harness.settings.store_location, write_feed(tmp_path / "other.xml", (3, "لقاء مع الفنان الرقاوي", "حوار."))
    )
    counts = await settle(harness)
    assert counts["failed"] == 0
    only = pushes(harness, word_only.chat_id)
    assert len(only) == 2 and "محيط الرقة" in only[0] and "وفد يزور الرقة" in only[1]
    both = pushes(harness, word_and_topic.chat_id)
    assert len(both) == 2 and "محيط الرقة" in both[0] and "وفد يزور الرقة" in both[1]
    assert pushes(harness, nobody.chat_id) == []
    assert harness.emulator.refusals == []


async def test_a_muted_word_keeps_a_subscribed_topics_item_out_of_pushes_and_the_digest(
    settings: Settings, tmp_path: Path
) -> None:
    tz = settings.timezone
    real_now = datetime.now(UTC)
    clock = MovableClock(real_now)
    digest_hour = (real_now.astimezone(tz).hour + 2) % 24
    async with BotHarness(settings, clock=clock) as h:
        await topics_in_store(h, tmp_path)
        instant, digest, other = (h.reader(i) for i in (681, 682, 683))
        for reader in (instant, digest, other):
            await subscribe(reader, "t-alpha")
        await h.news.store.readers.change_settings(682, push_mode="digest", digest_hours=(digest_hour,))
        for reader in (instant, digest):
            answer = await reader.send("/mute كرة القدم")
            assert "✅ أخفيت «كرة القدم»" in answer.text
        await ingest_elsewhere(
            settings.db_path,
            write_seed(
                tmp_path / "n.json",
                [
                    item(1, "t-alpha", headline="نتائج مباريات كرة القدم الليلة"),
                    item(2, "t-alpha", headline="افتتاح معرض الكتاب"),
                ],
            ),
        )
        await settle(h, waiting=1)
        assert [("معرض الكتاب" in t) for t in pushes(h, instant.chat_id)] == [True]
        assert len(pushes(h, other.chat_id)) == 2  # a reader who muted nothing gets both

        local = real_now.astimezone(tz)
        at = local.replace(hour=digest_hour, minute=0, second=30, microsecond=0)
        if at <= local:
            at += timedelta(days=1)
        clock.now = at.astimezone(UTC)
        mark = len(h.emulator.sent)
        await service(h).round()
        message = await h.emulator.wait_for_sent(
            lambda r: r.chat_id == digest.chat_id and "موجز" in (r.text or ""), timeout=10, since=mark
        )
        assert message.text is not None and "معرض الكتاب" in message.text and "كرة القدم" not in message.text
        assert h.emulator.refusals == []
