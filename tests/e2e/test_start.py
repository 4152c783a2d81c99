"""/start, /help and unknown input through the emulator."""

from __future__ import annotations

import pytest

from bot.config import Settings
from bot.devtools.emulator.server import BotApiEmulator
from bot.devtools.harness import BotHarness
from bot.models import ReaderStatus


async def test_start_welcomes_in_arabic_with_the_main_keyboard(harness: BotHarness) -> None:
    reader = harness.reader(501, "سارة")
    reply = await reader.send("/start")
    assert "أهلًا بك يا سارة" in reply.text
    keyboard = harness.emulator.reply_keyboard(reader.chat_id)
    assert keyboard is not None
    labels = [b["text"] for row in keyboard["keyboard"] for b in row]
    assert "📰 آخر الأخبار" in labels and "🗂 المواضيع" in labels
    stored = await harness.news.store.readers.get(501)
    assert stored is not None and stored.status is ReaderStatus.ACTIVE
    again = await reader.send("/start")
    assert "أهلًا بعودتك" in again.text


async def test_help_lists_commands_and_admin_section_only_for_admins(harness: BotHarness) -> None:
    reply = await harness.reader(502).send("/help")
    assert "/latest" in reply.text and "/search" in reply.text
    assert "/broadcast" not in reply.text
    admin = await harness.reader(4242).send("/help")
    assert "/broadcast" in admin.text


async def test_unknown_command_and_text_get_the_way_forward(harness: BotHarness) -> None:
    reader = harness.reader(503)
    assert "لا أعرف هذا الأمر" in (await reader.send("/nonsense")).text
    assert "/search" in (await reader.send("كلام غير مفهوم")).text


async def test_menu_is_set_at_start(harness: BotHarness) -> None:
    commands = next(iter(harness.emulator.commands.values()))
    assert {"command": "latest", "description": "آخر الأخبار"} in commands


async def test_a_failed_menu_call_at_start_is_logged_and_the_bot_still_answers(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    emulator = BotApiEmulator(rate_limits=False)
    emulator.faults.fail_next("setMyCommands", 1, status=500)
    async with BotHarness(settings, emulator=emulator) as harness:
        reply = await harness.reader(504, "منى").send("/start")
        assert "أهلًا بك يا منى" in reply.text
    assert any("could not set the command menu" in r.getMessage() for r in caplog.records)


async def test_a_failing_handler_answers_in_arabic_and_logs_one_line(
    harness: BotHarness, caplog: pytest.LogCaptureFixture
) -> None:
    reader = harness.reader(505)
    await reader.send("/start")
    harness.emulator.faults.fail_next("sendMessage", 1, status=500)
    reply = await reader.send("/help")  # the help text fails to send: the error handler takes over
    assert "عذرًا، حدث خطأ" in reply.text
    [line] = [r for r in caplog.records if r.name == "newsbot.errors"]
    assert "update" in line.getMessage() and "\n" not in line.getMessage()
    assert "Traceback" not in reply.text
