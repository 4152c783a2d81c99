"""Corrections and withdrawals end to end: the real bot against the emulator, items stored and
changed by `newsbot ingest` in another process, withdrawn by an editor in Telegram or on the
command line."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path
from typing import Any

from bot.devtools.harness import TEST_TOKEN, BotHarness
from bot.models import PushMode, ReaderStatus
from bot.store.records import TOO_OLD
from tests.delivery.support import REPO, ingest_elsewhere, item, write_seed
from tests.delivery.test_push import ADMIN, service, settle, subscribe, topics_in_store

PICTURE = "https://cdn.example.com/images/first.jpg"
NEW_PICTURE = "https://cdn.example.com/images/corrected.jpg"


def story(n: int, headline: str, lead: str = "مقدمة قصيرة للخبر.", picture: str | None = None) -> dict[str, Any]:
    found = item(n, "t-alpha", headline=headline, lead=lead)
    found["source"] = "آر تي عربي"
    if picture is not None:
        found["image_url"] = picture
    return found


async def corrected(h: BotHarness, timeout: float = 20.0) -> dict[str, int]:
    """Run a round (corrections planned) and wait until no edit or deletion is queued or in flight."""
    await service(h).round()
    async with asyncio.timeout(timeout):
        while True:
            counts = await h.news.store.messages.count_by_state()
            if counts["queued"] == 0 and counts["sending"] == 0:
                return counts
            service(h).jobs.wake()
            await asyncio.sleep(0.05)


def shown(h: BotHarness, chat_id: int) -> list[tuple[str, str | None]]:
    """The bot's messages in a chat as the reader sees them now: (text or caption, picture)."""
    return [(m.text, m.photo) for m in h.emulator.bot_messages.get(chat_id, []) if not m.deleted]


async def _article_id(h: BotHarness, n: int) -> int:
    found = await h.news.store.articles.by_guid(f"test-item-{n}")
    assert found is not None
    return found.id


async def test_an_edited_item_edits_the_delivered_text_and_photo_pushes(harness: BotHarness, tmp_path: Path) -> None:
    await topics_in_store(harness, tmp_path)
    readers = [harness.reader(i) for i in (701, 702)]
    for reader in readers:
        await subscribe(reader, "t-alpha")
    first = [story(1, "حريق في مصنع بالقاهرة", picture=PICTURE), story(2, "ارتفاع أسعار الذهب", lead="بنسبة 2%")]
    await ingest_elsewhere(harness.settings.db_path, write_seed(tmp_path / "a.json", first))
    assert (await settle(harness))["sent"] == 4
    for reader in readers:
        assert {p for _, p in shown(harness, reader.chat_id) if p} == {PICTURE}

    fixed = [
        story(1, "حريق محدود في مصنع بالجيزة", picture=NEW_PICTURE),
        story(2, "ارتفاع أسعار الذهب", lead="بنسبة 3% لا 2%"),
    ]
    mark = len(harness.emulator.sent)
    await ingest_elsewhere(harness.settings.db_path, write_seed(tmp_path / "b.json", fixed))
    counts = await corrected(harness)
    assert counts["done"] == 4 and counts["failed"] == counts["skipped"] == 0
    for reader in readers:
        messages = shown(harness, reader.chat_id)
        photo = [(t, p) for t, p in messages if p]
        assert len(photo) == 1 and photo[0][1] == NEW_PICTURE and "حريق محدود في مصنع بالجيزة" in photo[0][0]
        assert not any("بالقاهرة" in t for t, _ in messages)
        text = [t for t, p in messages if p is None and "أسعار الذهب" in t]
        assert len(text) == 1 and "بنسبة 3% لا 2%" in text[0]
    methods = sorted(r.method for r in harness.emulator.sent[mark:])
    assert methods == ["editMessageMedia", "editMessageMedia", "editMessageText", "editMessageText"]

    # A caption correction without a new picture edits the caption only; the same content again, nothing.
    await ingest_elsewhere(
        harness.settings.db_path, write_seed(tmp_path / "c.json", [story(1, "حريق محدود في مصنع", picture=NEW_PICTURE)])
    )
    await corrected(harness)
    await ingest_elsewhere(
        harness.settings.db_path, write_seed(tmp_path / "d.json", [story(1, "حريق محدود في مصنع", picture=NEW_PICTURE)])
    )
    await corrected(harness)
    assert [r.method for r in harness.emulator.sent[mark + 4 :]] == ["editMessageCaption", "editMessageCaption"]
    # A push sent after the correction shows the new text (the worker's remembered render was dropped).
    late = harness.reader(703)
    await subscribe(late, "t-alpha")
    await ingest_elsewhere(harness.settings.db_path, write_seed(tmp_path / "e.json", [story(3, "خبر ثالث")]))
    await settle(harness)
    assert [t for t, _ in shown(harness, late.chat_id) if "خبر ثالث" in t]


async def test_a_blocked_reader_is_skipped_and_a_too_old_message_recorded_and_skipped(
    harness: BotHarness, tmp_path: Path
) -> None:
    await topics_in_store(harness, tmp_path)
    fine, blocked, old = (harness.reader(i) for i in (711, 712, 713))
    for reader in (fine, blocked, old):
        await subscribe(reader, "t-alpha")
    await ingest_elsewhere(harness.settings.db_path, write_seed(tmp_path / "a.json", [story(1, "عنوان أول")]))
    assert (await settle(harness))["sent"] == 3
    article_id = await _article_id(harness, 1)
    await blocked.block()
    assert (await harness.news.store.readers.get(blocked.chat_id)).status is ReaderStatus.BLOCKED  # type: ignore[union-attr]
    (old_message,) = [m for m in harness.emulator.bot_messages[old.chat_id] if "عنوان أول" in m.text]
    harness.emulator.backdate(old.chat_id, old_message.message_id, 48 * 3600)  # Telegram's clock says: too old

    mark, calls = len(harness.emulator.sent), len(harness.emulator.calls)
    await ingest_elsewhere(harness.settings.db_path, write_seed(tmp_path / "b.json", [story(1, "عنوان مصحح")]))
    await corrected(harness)
    assert [(r.method, r.chat_id) for r in harness.emulator.sent[mark:]] == [("editMessageText", fine.chat_id)]
    tried = [
        str(c.params.get("chat_id")) for c in harness.emulator.calls[calls:] if c.method.lower() == "editmessagetext"
    ]
    assert sorted(tried) == [str(fine.chat_id), str(old.chat_id)]  # never the reader who blocked the bot
    refused = [r for r in harness.emulator.refusals if r.method.lower() == "editmessagetext"]
    assert [r.description for r in refused] == ["Bad Request: message can't be edited"]
    jobs = sorted(await harness.news.store.messages.jobs_for_article(article_id), key=lambda j: j[1])
    assert [(a, s) for a, s, _ in jobs] == [("edit", "done"), ("edit", "skipped"), ("edit", "skipped")]
    reasons = sorted(r or "" for _, s, r in jobs if s == "skipped")
    assert reasons[0].startswith("blocked") and "can't be edited" in reasons[1]
    assert "عنوان أول" in old_message.text  # left as it was

    # Past the window by the bot's own record, a message is not even tried.
    service(harness).jobs.policy = type(service(harness).jobs.policy)(window=1, margin=0)
    await asyncio.sleep(1.1)
    calls = len(harness.emulator.calls)
    await ingest_elsewhere(harness.settings.db_path, write_seed(tmp_path / "c.json", [story(1, "عنوان مصحح ثانية")]))
    await corrected(harness)
    assert not [c for c in harness.emulator.calls[calls:] if c.method.lower().startswith("editmessage")]
    latest = (await harness.news.store.messages.jobs_for_article(article_id))[-2:]
    assert {(s, r) for _, s, r in latest} == {("skipped", TOO_OLD)}


async def test_a_withdrawn_items_messages_are_deleted_and_pending_ones_never_sent(
    harness: BotHarness, tmp_path: Path
) -> None:
    await topics_in_store(harness, tmp_path)
    readers = [harness.reader(i) for i in (721, 722, 723)]
    for reader in readers:
        await subscribe(reader, "t-alpha")
    waiting = harness.reader(724)  # a digest reader: their copy waits for the digest hour
    await subscribe(waiting, "t-alpha")
    await harness.news.store.readers.change_settings(waiting.chat_id, push_mode=PushMode.DIGEST, digest_hours=())
    await ingest_elsewhere(harness.settings.db_path, write_seed(tmp_path / "a.json", [story(1, "خبر خاطئ سيسحب")]))
    await settle(harness, waiting=1)
    article_id = await _article_id(harness, 1)

    admin = harness.reader(ADMIN)
    assert "للمحررين فقط" in (await readers[0].send(f"/withdraw {article_id}")).text
    assert "لا يوجد خبر" in (await admin.send("/withdraw 999999")).text
    assert "اكتب رقم الخبر" in (await admin.send("/withdraw abc")).text
    preview = await admin.send(f"/withdraw {article_id}")
    assert "خبر خاطئ سيسحب" in preview.text and "3 رسائل" in preview.text
    result = await admin.press("اسحب")
    assert "حُذف: 3 رسائل" in result.text, result.text
    assert "أُلغي قبل الإرسال: رسالة واحدة" in result.text
    for reader in readers:
        assert not [t for t, _ in shown(harness, reader.chat_id) if "خبر خاطئ" in t]
    assert len([r for r in harness.emulator.sent if r.method == "deleteMessage"]) == 3
    # Not listed, not opened, never sent to the digest reader.
    latest = await readers[0].send("/latest")
    assert "خبر خاطئ" not in latest.text
    assert "خبر خاطئ" not in (await readers[0].send(f"/article {article_id}")).text
    await harness.news.store.readers.change_settings(waiting.chat_id, push_mode=PushMode.INSTANT)
    await settle(harness)
    assert not [r for r in harness.emulator.sent if r.chat_id == waiting.chat_id and "خبر خاطئ" in (r.text or "")]
    # The feed bringing it again does not bring it back.
    await ingest_elsewhere(harness.settings.db_path, write_seed(tmp_path / "b.json", [story(1, "خبر خاطئ سيسحب")]))
    await settle(harness)
    assert len([r for r in harness.emulator.sent if (r.text or "").startswith("🔔 خبر خاطئ")]) == 3


async def test_newsbot_items_withdraw_deletes_reports_and_names_an_unknown_id(
    harness: BotHarness, tmp_path: Path
) -> None:
    await topics_in_store(harness, tmp_path)
    fresh, old = harness.reader(731), harness.reader(732)
    for reader in (fresh, old):
        await subscribe(reader, "t-alpha")
    await ingest_elsewhere(harness.settings.db_path, write_seed(tmp_path / "a.json", [story(1, "خبر للسحب")]))
    await settle(harness)
    article_id = await _article_id(harness, 1)
    (old_message,) = [m for m in harness.emulator.bot_messages[old.chat_id] if "خبر للسحب" in m.text]
    harness.emulator.backdate(old.chat_id, old_message.message_id, 49 * 3600)

    code, out, err = await _newsbot(harness, "items", "withdraw", str(article_id))
    assert code == 0, err
    assert f"withdrew item {article_id} «خبر للسحب»" in out
    assert "1 messages deleted, 1 too old to delete" in out and "0 pending pushes cancelled" in out
    assert not [t for t, _ in shown(harness, fresh.chat_id) if "خبر للسحب" in t]
    assert [t for t, _ in shown(harness, old.chat_id) if "خبر للسحب" in t]  # Telegram would not let it go

    code, out, err = await _newsbot(harness, "items", "withdraw", "987654")
    assert code == 1 and err.strip() == "newsbot: items withdraw: no item with id 987654"
    code, _, err = await _newsbot(harness, "items", "withdraw", "abc")
    assert code == 2 and "invalid int value" in err


async def _newsbot(h: BotHarness, *args: str) -> tuple[int, str, str]:
    env = {
        **os.environ,
        "NEWSBOT_DB": str(h.settings.db_path),
        "TELEGRAM_BOT_TOKEN": TEST_TOKEN,
        "TELEGRAM_API_URL": h.emulator.base_url,
        "NEWSBOT_LOG_LEVEL": "WARNING",
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args, cwd=REPO, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await proc.communicate()
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()
