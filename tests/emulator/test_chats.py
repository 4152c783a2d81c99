"""Groups, supergroups and channels in the emulator, driven over HTTP by python-telegram-bot's Bot:
chat types and negative ids, @username, membership and rights, privacy mode, the group limit,
a group's upgrade to a supergroup, and the refusals Telegram gives."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from telegram import Bot, ChatMember
from telegram.error import BadRequest, ChatMigrated, Forbidden, RetryAfter

from bot.devtools.emulator.server import BotApiEmulator

TOKEN = "123456:TEST-token"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def emu(clock: FakeClock) -> AsyncIterator[BotApiEmulator]:
    emulator = BotApiEmulator(clock=clock)
    await emulator.start()
    try:
        yield emulator
    finally:
        await emulator.stop()


@pytest.fixture
async def bot(emu: BotApiEmulator) -> AsyncIterator[Bot]:
    async with Bot(TOKEN, base_url=emu.base_url) as the_bot:
        yield the_bot


async def test_chat_types_negative_ids_and_channel_usernames(bot: Bot, emu: BotApiEmulator) -> None:
    group = emu.group("مجموعة", owner=1)
    supergroup = emu.group("مجموعة كبرى", owner=1, supergroup=True)
    channel = emu.channel("قناة", owner=1, username="news_channel")
    assert str(group.chat_id).startswith("-") and not str(group.chat_id).startswith("-100")
    assert str(supergroup.chat_id).startswith("-100") and str(channel.chat_id).startswith("-100")
    # A public channel is visible to anyone by @username; a private group only to its members.
    found = await bot.get_chat("@news_channel")
    assert (found.id, found.type, found.title, found.username) == (channel.chat_id, "channel", "قناة", "news_channel")
    with pytest.raises(BadRequest, match=r"[Cc]hat not found"):
        await bot.get_chat(group.chat_id)
    with pytest.raises(BadRequest, match=r"[Cc]hat not found"):
        await bot.get_chat("@no_such_channel")


async def test_posting_needs_membership_and_in_a_channel_the_right_to_post(bot: Bot, emu: BotApiEmulator) -> None:
    channel = emu.channel("قناة", owner=1, username="news_channel")
    with pytest.raises(Forbidden, match="not a member of the channel chat"):
        await bot.send_message("@news_channel", "x")
    channel.add_bot(1, can_post_messages=False)
    with pytest.raises(BadRequest, match=r"(?i)need administrator rights in the channel chat"):
        await bot.send_message(channel.chat_id, "x")
    assert (await bot.get_chat_member(channel.chat_id, emu.bot_user["id"])).can_post_messages is False
    channel.promote_bot(1)
    sent = await bot.send_message("@news_channel", "خبر")
    assert sent.chat.id == channel.chat_id and sent.sender_chat is not None and sent.from_user is None
    channel.remove_bot(1)
    with pytest.raises(Forbidden, match="bot was kicked from the channel chat"):
        await bot.send_message(channel.chat_id, "x")
    updates = [u.my_chat_member for u in await bot.get_updates()]
    assert [(c.old_chat_member.status, c.new_chat_member.status) for c in updates if c] == [
        ("left", "administrator"),
        ("administrator", "administrator"),
        ("administrator", "kicked"),
    ]


async def test_members_rights_and_counts(bot: Bot, emu: BotApiEmulator) -> None:
    group = emu.group("مجموعة", owner=1, supergroup=True)
    group.add_member(2)
    group.add_member(3, "administrator")
    # Only an administrator (or anyone, in a group) adds the bot; the count includes it.
    group.add_bot(2)
    assert await bot.get_chat_member_count(group.chat_id) == 4
    assert (await bot.get_chat_member(group.chat_id, 1)).status == ChatMember.OWNER
    assert (await bot.get_chat_member(group.chat_id, 2)).status == ChatMember.MEMBER
    assert (await bot.get_chat_member(group.chat_id, 3)).status == ChatMember.ADMINISTRATOR
    with pytest.raises(ValueError, match="not an administrator"):
        group.promote_bot(2)
    group.promote_bot(3)
    assert len(await bot.get_chat_administrators(group.chat_id)) == 3
    group.restrict_bot(1)
    with pytest.raises(BadRequest, match=r"(?i)not enough rights to send text messages"):
        await bot.send_message(group.chat_id, "x")
    group.remove_bot(1, ban=False)
    with pytest.raises(Forbidden, match="bot is not a member of the supergroup chat"):
        await bot.send_message(group.chat_id, "x")
    changes = [u.my_chat_member for u in await bot.get_updates()]
    assert [c.new_chat_member.status for c in changes if c] == ["member", "administrator", "restricted", "left"]


async def test_privacy_mode_shows_commands_for_this_bot_and_replies_only(bot: Bot, emu: BotApiEmulator) -> None:
    group = emu.group("مجموعة", owner=1)
    group.add_member(2)
    assert group.send_text(1, "/latest") is None  # the bot is not in the group yet
    group.add_bot(1)
    assert group.send_text(2, "صباح الخير") is None
    assert group.send_text(2, "/latest@otherbot") is None
    seen = [group.send_text(2, f"/latest@{emu.bot_username}"), group.send_text(2, "/latest")]
    assert all(u is not None for u in seen)
    posted = await bot.send_message(group.chat_id, "أهلًا")
    assert group.send_text(2, "شكرًا", reply_to=posted.message_id) is not None
    # An administrator bot sees every message; so does one with privacy mode off.
    group.promote_bot(1)
    assert group.send_text(2, "صباح الخير") is not None
    assert group.send_text(2, "/latest@otherbot") is not None
    updates = await bot.get_updates()
    messages = [u.message for u in updates if u.message]
    assert [m.text for m in messages] == [
        f"/latest@{emu.bot_username}", "/latest", "شكرًا", "صباح الخير", "/latest@otherbot",
    ]  # fmt: skip
    assert {m.chat.type for m in messages} == {"group"} and {m.from_user.id for m in messages} == {2}
    assert (await bot.get_me()).can_read_all_group_messages is False


async def test_a_group_takes_20_messages_a_minute(bot: Bot, emu: BotApiEmulator, clock: FakeClock) -> None:
    group = emu.group("مجموعة", owner=1)
    group.add_bot(1)
    for n in range(20):
        clock.now += 1.1  # within the per-chat pace of one a second
        await bot.send_message(group.chat_id, f"رسالة {n}")
    clock.now += 1.1
    with pytest.raises(RetryAfter) as refused:
        await bot.send_message(group.chat_id, "الحادية والعشرون")
    assert 30 <= refused.value.retry_after.total_seconds() <= 60  # type: ignore[union-attr]
    clock.now += 60
    await bot.send_message(group.chat_id, "بعد دقيقة")
    assert emu.limits.group_sent(group.chat_id, clock.now) <= 20


async def test_migration_to_a_supergroup(bot: Bot, emu: BotApiEmulator) -> None:
    group = emu.group("مجموعة", owner=1)
    group.add_member(2)
    group.add_bot(1)
    bigger = group.migrate_to_supergroup()
    assert str(bigger.chat_id).startswith("-100")
    with pytest.raises(ChatMigrated) as moved:
        await bot.send_message(group.chat_id, "x")
    assert moved.value.new_chat_id == bigger.chat_id
    await bot.send_message(bigger.chat_id, "x")
    assert await bot.get_chat_member_count(bigger.chat_id) == 3
    messages = [u.message for u in await bot.get_updates() if u.message]
    assert [(m.migrate_to_chat_id, m.migrate_from_chat_id) for m in messages] == [
        (bigger.chat_id, None),
        (None, group.chat_id),
    ]
