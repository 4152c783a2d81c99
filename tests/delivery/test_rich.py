"""Rich pushes end to end: the item's picture with the summary as its caption, the outlet and the
whole-article button; text for an item without a picture, and when Telegram cannot fetch it."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot.devtools.emulator.telegram_html import utf16_len
from bot.devtools.harness import BotHarness
from tests.delivery.support import ingest_elsewhere, item, write_seed
from tests.delivery.test_push import service, settle, subscribe, topics_in_store

PICTURE = "https://cdn.example.com/images/2026/03/story.jpg"
BROKEN = "https://cdn.example.com/images/missing.jpg"


def with_picture(n: int, url: str | None, **kw: str) -> dict[str, object]:
    found = item(n, "t-alpha", **kw)
    found["source"] = "آر تي عربي"
    if url is not None:
        found["image_url"] = url
    return found


async def test_a_photo_push_for_an_item_with_a_picture_and_text_for_one_without(
    harness: BotHarness, tmp_path: Path
) -> None:
    await topics_in_store(harness, tmp_path)
    reader = harness.reader(810)
    await subscribe(reader, "t-alpha")
    long_lead = "تفاصيل الخبر الكاملة كما وردت من المراسل في الميدان. " * 60  # far past a caption's 1,024
    items = [with_picture(1, PICTURE, lead=long_lead), with_picture(2, None)]
    await ingest_elsewhere(harness.settings.db_path, write_seed(tmp_path / "a.json", items))
    counts = await settle(harness)
    assert counts["sent"] == 2 and counts["failed"] == 0
    photo = next(r for r in harness.emulator.sent if r.chat_id == 810 and r.method == "sendPhoto")
    text = next(
        r for r in harness.emulator.sent if r.chat_id == 810 and r.method == "sendMessage" and "رقم 2" in (r.text or "")
    )
    assert [m.photo for m in harness.emulator.bot_messages[810] if m.photo] == [PICTURE]
    assert photo.text is not None and "عنوان تجريبي رقم 1" in photo.text and "آر تي عربي" in photo.text
    assert 0 < utf16_len(photo.text) <= 1024  # the lead was shortened to fit the caption
    assert "تفاصيل الخبر" in photo.text
    assert photo.reply_markup is not None and "اقرأ الخبر كاملًا" in str(photo.reply_markup)
    assert text.text is not None and "آر تي عربي" in text.text
    assert text.reply_markup is not None and "اقرأ الخبر كاملًا" in str(text.reply_markup)


async def test_a_picture_telegram_cannot_fetch_goes_as_text(
    harness: BotHarness, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    await topics_in_store(harness, tmp_path)
    reader = harness.reader(811)
    await subscribe(reader, "t-alpha")
    harness.emulator.faults.unfetchable.add(BROKEN)
    with caplog.at_level(logging.WARNING, logger="bot.delivery.worker"):
        await ingest_elsewhere(harness.settings.db_path, write_seed(tmp_path / "b.json", [with_picture(3, BROKEN)]))
        counts = await settle(harness)
    assert counts["sent"] == 1 and counts["failed"] == 0
    sent = [r for r in harness.emulator.sent if r.chat_id == 811 and "رقم 3" in (r.text or "")]
    assert [r.method for r in sent] == ["sendMessage"]
    assert [r.status for r in harness.emulator.refusals if r.method == "sendphoto"] == [400]
    lines = [r for r in caplog.records if BROKEN in r.getMessage()]
    assert len(lines) == 1 and "sent as text" in lines[0].getMessage()
    assert service(harness).worker.counters.photo_fallbacks == 1
