"""/start, /help and unknown input through the emulator."""

from __future__ import annotations

from bot.harness import BotHarness
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
