"""Topics and feeds the newsroom runs itself (issue 11), end to end: the real bot on the emulator,
`newsbot topics …` and `newsbot ingest` in other processes, `newsbot run` as a process."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest

from bot.devtools.emulator.server import BotApiEmulator
from bot.devtools.harness import TEST_TOKEN, BotHarness
from tests.cli.test_run import bot_env, finish, start_bot
from tests.conftest import ADMIN_ID
from tests.delivery.support import REPO, ingest_elsewhere
from tests.delivery.test_push import pushes, service, settle, subscribe


def rss(path: Path, *items: tuple[str, str, tuple[str, ...]]) -> Path:
    """A feed file: (guid, title, categories) per item."""
    entries = "".join(
        f"<item><title>{title}</title><link>https://news.example/{guid}</link><guid>{guid}</guid>"
        f"<description>مقدمة الخبر {guid}.</description>"
        + "".join(f"<category>{c}</category>" for c in categories)
        + "<pubDate>Tue, 24 Mar 2026 23:31:31 +0000</pubDate></item>"
        for guid, title, categories in items
    )
    path.write_text(
        f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Example</title>{entries}'
        "</channel></rss>",
        encoding="utf-8",
    )
    return path


async def newsbot(db: Path, *args: str) -> tuple[int, str, str]:
    """`newsbot ARGS…` in another process on the same store."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "NEWSBOT_"))}
    env.update(NEWSBOT_DB=str(db), NEWSBOT_LOG_LEVEL="WARNING")
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args, cwd=REPO, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await proc.communicate()
    return proc.returncode if proc.returncode is not None else -1, out.decode(), err.decode()


async def test_items_labelled_with_a_story_or_its_alias_reach_every_subscriber_once(
    harness: BotHarness, tmp_path: Path
) -> None:
    await service(harness).round()  # the seeds leave the outbox before anyone subscribes
    readers = [harness.reader(7000 + n) for n in range(30)]
    for reader in readers:
        await subscribe(reader, "afcon-2025")
    code, out, err = await newsbot(harness.settings.db_path, "topics", "edit", "afcon-2025", "--add-alias", "CAN 2025")
    assert code == 0, err
    feed = rss(
        tmp_path / "feed.xml",
        ("a1", "المغرب يفوز في النهائي", ("كأس أمم إفريقيا 2025",)),  # the story's exact name
        ("a2", "السنغال تتأهل", ("كاس امم افريقيا 2025", "رياضة")),  # spelling variant, and a section
        ("a3", "جماهير في الرباط", ("CAN 2025",)),  # only the alias the editor just added
        ("a4", "خبر آخر لا علاقة له", ("منوعات",)),
    )
    await ingest_elsewhere(harness.settings.db_path, feed)
    counts = await settle(harness, timeout=60)
    assert counts["failed"] == 0
    for reader in readers:
        got = pushes(harness, reader.chat_id)
        assert len(got) == 3, got
        assert (
            sum("النهائي" in t for t in got) == sum("تتأهل" in t for t in got) == sum("الرباط" in t for t in got) == 1
        )
    # the label no topic knows is what `topics unmatched` offers the editor
    code, out, _ = await newsbot(harness.settings.db_path, "topics", "unmatched")
    assert code == 0 and "منوعات" in out and "CAN 2025" not in out


async def test_refiling_old_items_counts_them_at_once_and_pushes_nothing(harness: BotHarness, tmp_path: Path) -> None:
    await service(harness).round()
    reader = harness.reader(7101)
    newsroom = harness.news.services.editors.newsroom
    await newsroom.add_topic("جولة في الإقليم", slug="regional-tour")
    await subscribe(reader, "regional-tour")
    preview = await newsroom.edit_topic("regional-tour", add_keywords=["إيران"], dry_run=True)
    assert preview.dry_run and preview.filed > 0 and 1 <= len(preview.examples) <= 3
    assert (await harness.news.store.topics.by_slug("regional-tour")).article_count == 0  # type: ignore[union-attr]
    change = await newsroom.edit_topic("regional-tour", add_keywords=["إيران"])
    assert change.filed == preview.filed
    # /topics shows the filed count at once
    reply = await reader.send("/topics")
    assert "جولة في الإقليم" in reply.text
    topic = await harness.news.store.topics.by_slug("regional-tour")
    assert topic is not None and topic.article_count == change.filed
    await settle(harness)
    assert pushes(harness, reader.chat_id) == []  # old items are never pushed
    # an item stored after the subscription and the keyword is pushed, once
    await ingest_elsewhere(harness.settings.db_path, rss(tmp_path / "new.xml", ("n1", "وفد يصل إلى إيران اليوم", ())))
    await settle(harness)
    assert len(pushes(harness, reader.chat_id)) == 1


async def test_an_archived_story_leaves_topics_is_ended_in_mysubs_and_pushes_nothing(
    harness: BotHarness, tmp_path: Path
) -> None:
    await service(harness).round()
    reader = harness.reader(7201)
    await subscribe(reader, "trump-nato-greenland")
    await harness.news.services.editors.newsroom.archive("trump-nato-greenland")
    reply = await reader.send("/topics")
    assert "🗂 المواضيع" in reply.text and "ترامب والناتو وامتحان غرينلاند" not in reply.text
    reply = await reader.send("/mysubs")
    assert "ترامب والناتو وامتحان غرينلاند" in reply.text and "انتهت التغطية" in reply.text
    await ingest_elsewhere(harness.settings.db_path, rss(tmp_path / "g.xml", ("g1", "ترامب يتحدث عن غرينلاند", ())))
    await settle(harness)
    assert pushes(harness, reader.chat_id) == []


async def test_admins_manage_topics_and_feeds_in_arabic_and_others_cannot(harness: BotHarness) -> None:
    admin, reader = harness.reader(ADMIN_ID), harness.reader(7301)
    reply = await reader.send("/topic add قصة جديدة")
    assert "للمحررين" in reply.text
    reply = await admin.send("/topic add غرينلاند تحت المجهر")
    assert "أُضيف الموضوع" in reply.text and "غرينلاند تحت المجهر" in reply.text
    slug = next(t.slug for t in await harness.news.store.topics.all() if t.name == "غرينلاند تحت المجهر")
    reply = await admin.send(f"/topic keyword {slug} الجزيرة القطبية")
    assert "عُدّل الموضوع" in reply.text and "الجزيرة القطبية" in reply.text
    reply = await admin.send(f"/topic keyword {slug} في")
    assert "لم يتغير شيء" in reply.text
    reply = await admin.send("/topic add رياضة")  # a name that is a topic's already
    assert "لم يتغير شيء" in reply.text and "اسم موضوع موجود" in reply.text
    reply = await admin.send("/topic merge sport sport")
    assert "لا يُدمج موضوع في نفسه" in reply.text
    reply = await admin.send("/topic archive no-such-topic")
    assert "لا يوجد موضوع" in reply.text
    reply = await admin.send("/topic add <b>x</b>\u202e\u200bعنوان")  # markup and bidi controls stay text
    shown = reply.text.replace("\u2068", "").replace("\u2069", "")
    assert "&lt;b&gt;" not in shown and "<b>x</b>عنوان" in shown and "\u202e" not in shown  # seen as text
    assert any(t.name == "<b>x</b>عنوان" for t in await harness.news.store.topics.all())
    reply = await admin.send("/feeds add ftp://example.com/x")
    assert "ليس رابط" in reply.text
    reply = await admin.send(f"/feeds add https://example.com/rss {slug}")
    assert "أُضيفت الخلاصة" in reply.text
    reply = await admin.send("/feeds")
    assert "example.com/rss" in reply.text
    reply = await admin.send("/topic list")
    assert slug in reply.text


@pytest.mark.slow
async def test_a_story_and_keyword_added_while_newsbot_run_runs_reach_its_readers(tmp_path: Path) -> None:
    """`newsbot run` running; `newsbot topics add/edit` and `newsbot ingest` in other processes."""
    db = tmp_path / "bot.db"
    async with BotApiEmulator(rate_limits=False) as emulator:
        proc = await start_bot(
            tmp_path,
            TELEGRAM_BOT_TOKEN=TEST_TOKEN,
            TELEGRAM_API_URL=emulator.base_url,
            NEWSBOT_PUSH_INTERVAL="0.2",
            NEWSBOT_PUSH_MAX_AGE="36500d",  # the feed's items are dated March 2026: pushed as news here
        )
        try:
            user = emulator.user(7401, "سارة")
            user.send_text("/start")
            await emulator.wait_for_messages(7401, 1, timeout=60)  # seeded and answering
            code, _, err = await newsbot(db, "topics", "add", "غرينلاند الآن", "--slug", "greenland-now")
            assert code == 0, err
            user.send_text("/start tgreenland-now")
            [page] = await emulator.wait_for_messages(7401, 1, timeout=30)
            data = next(
                b["callback_data"]
                for row in (page.reply_markup or {})["inline_keyboard"]
                for b in row
                if "➕" in b["text"]
            )
            user.press_button(page.message_id, data)
            async with asyncio.timeout(30):  # the bot's process records the tap in the store file
                while not await _subscribed(db, 7401):  # noqa: ASYNC110 - another process's write
                    await asyncio.sleep(0.1)
            code, _, err = await newsbot(db, "topics", "edit", "greenland-now", "--add-keyword", "الجزيرة القطبية")
            assert code == 0, err
            feed = rss(tmp_path / "feed.xml", ("p1", "رحلة إلى الجزيرة القطبية", ()), ("p2", "خبر لا يخصها", ()))
            code, _, err = await newsbot(db, "ingest", str(feed))
            assert code == 0, err
            [push] = await emulator.wait_for_messages(7401, 1, timeout=30)
            assert "الجزيرة القطبية" in push.text
            await asyncio.sleep(1)
            assert not [m for m in emulator.chat_view(7401) if m.from_bot and "لا يخصها" in m.text]
        finally:
            proc.send_signal(signal.SIGTERM)
            code, err = await finish(proc, timeout=30)
    assert code == 0, err
    assert "Traceback" not in err


async def _subscribed(db: Path, reader_id: int) -> bool:
    import sqlite3

    with sqlite3.connect(db) as con:
        return con.execute("SELECT count(*) FROM subscriptions WHERE reader_id = ?", (reader_id,)).fetchone()[0] > 0


__all__ = ["bot_env"]
