"""Channels and groups end to end (issue 15): the real bot against the emulator's channels, groups
and supergroups; items stored by `newsbot ingest` in another process."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from bot.delivery.service import DeliveryService
from bot.devtools.emulator.client import EmulatedChat
from bot.devtools.emulator.state import JSONDict
from bot.devtools.harness import BotHarness, ChatClient
from bot.models import ReaderStatus
from tests.conftest import ADMIN_ID
from tests.delivery.support import ingest_elsewhere, item, write_seed

PICTURE = "https://cdn.example.com/images/2026/03/story.jpg"
OWNER = 5001


def service(h: BotHarness) -> DeliveryService:
    found = h.news.delivery
    assert isinstance(found, DeliveryService)
    return found


async def settle(h: BotHarness, timeout: float = 30.0) -> dict[str, int]:
    """Until nothing is queued or in flight (a round run after, to be sure nothing more is due)."""
    async with asyncio.timeout(timeout):
        while True:
            counts = await h.news.store.deliveries.count_by_state()
            if counts["queued"] == 0 and counts["sending"] == 0 and service(h).worker.in_flight == 0:
                await service(h).round()
                counts = await h.news.store.deliveries.count_by_state()
                if counts["queued"] == 0 and counts["sending"] == 0:
                    await asyncio.sleep(service(h).worker.policy.flush_interval * 3)
                    return await h.news.store.deliveries.count_by_state()
            await asyncio.sleep(0.05)


async def topics_in_store(h: BotHarness, tmp_path: Path) -> None:
    await ingest_elsewhere(h.settings.db_path, write_seed(tmp_path / "topics.json", [item(0, "t-alpha")]))
    await service(h).round()  # item 0 is history: it reaches nobody


async def publish(h: BotHarness, tmp_path: Path, *items: dict[str, Any]) -> None:
    name = f"{items[0]['guid']}-{len(items)}"
    await ingest_elsewhere(h.settings.db_path, write_seed(tmp_path / f"{name}.json", list(items)))
    await service(h).round()


def with_picture(found: dict[str, Any]) -> dict[str, Any]:
    return {**found, "image_url": PICTURE}


async def handled(h: BotHarness, update: JSONDict | None) -> None:
    assert update is not None, "Telegram would not have shown this to the bot"
    await h.wait_handled(update["update_id"])


def posts(h: BotHarness, chat_id: int) -> list[Any]:
    return [r for r in h.emulator.sent if r.chat_id == chat_id and r.method in ("sendMessage", "sendPhoto")]


async def admin(h: BotHarness) -> ChatClient:
    editor = h.reader(ADMIN_ID, "محرر")
    await editor.send("/start")
    return editor


async def linked_channel(h: BotHarness, editor: ChatClient, *slugs: str) -> EmulatedChat:
    channel = h.emulator.channel("قناة الموقع", owner=OWNER, username="site_news")
    await handled(h, channel.add_bot(OWNER))
    reply = await editor.send("/channels add @site_news " + " ".join(slugs))
    assert "رُبطت القناة" in reply.text, reply.text
    return channel


async def test_a_linked_channel_gets_each_item_once_with_picture_and_deep_link(
    harness: BotHarness, tmp_path: Path
) -> None:
    await topics_in_store(harness, tmp_path)
    editor = await admin(harness)
    channel = await linked_channel(harness, editor, "t-alpha")
    assert "site_news" in (await editor.send("/channels")).text

    await publish(harness, tmp_path, with_picture(item(1, "t-alpha")), item(2, "t-alpha"), item(3, "t-beta"))
    assert (await settle(harness))["failed"] == 0
    await publish(harness, tmp_path, item(4, "t-alpha"))
    await settle(harness)

    sent = posts(harness, channel.chat_id)
    assert [r.method for r in sent] == ["sendPhoto", "sendMessage", "sendMessage"]
    assert ["رقم 1" in (sent[0].text or ""), "رقم 2" in (sent[1].text or ""), "رقم 4" in (sent[2].text or "")] == [
        True, True, True,
    ]  # fmt: skip
    photo = harness.emulator.chats[channel.chat_id].messages[sent[0].message_id or 0]
    assert photo.photo == PICTURE and "example.com" in photo.text  # headline, summary, outlet in the caption
    for record in sent:
        (button,) = [b for row in (record.reply_markup or {})["inline_keyboard"] for b in row]
        assert button["url"].startswith(f"https://t.me/{harness.emulator.bot_username}?start=a")
    # The deep link opens the whole article in the reader's own chat with the bot.
    article_id = sent[1].reply_markup["inline_keyboard"][0][0]["url"].rsplit("a", 1)[1]  # type: ignore[index]
    reader = harness.reader(7001)
    opened = (await reader.send(f"/start a{article_id}")).text
    assert opened.startswith("عنوان تجريبي رقم") and "فقرة أولى" in opened


async def test_bad_channel_links_are_refused_and_nothing_is_stored(harness: BotHarness, tmp_path: Path) -> None:
    await topics_in_store(harness, tmp_path)
    editor = await admin(harness)
    channel = harness.emulator.channel("قناة", owner=OWNER, username="no_rights")
    await handled(harness, channel.add_bot(OWNER, can_post_messages=False))
    group = harness.emulator.group("مجموعة", owner=OWNER, username="some_group")
    cases = {
        "/channels add @nowhere_at_all t-alpha": "لا توجد قناة",
        "/channels add @no_rights t-alpha": "ليس مشرفًا",
        f"/channels add {editor.chat_id} t-alpha": "محادثة خاصة",
        "/channels add @some_group t-alpha": "مجموعة لا قناة",
        "/channels add @no_rights t-nothing": "لا يوجد موضوع",
        "/channels remove @no_rights": "ليست قناة مرتبطة",
    }
    for command, expected in cases.items():
        reply = await editor.send(command)
        assert "لم يُحفظ شيء" in reply.text and expected in reply.text, (command, reply.text)
    assert await harness.news.store.chats.all() == []
    assert group.chat_id not in {c.id for c in await harness.news.store.chats.all()}
    stranger = harness.reader(7002)
    assert "للمحررين" in (await stranger.send("/channels add @no_rights t-alpha")).text


async def test_the_bot_demoted_in_a_channel_pauses_it_and_tells_the_admins(harness: BotHarness, tmp_path: Path) -> None:
    await topics_in_store(harness, tmp_path)
    editor = await admin(harness)
    channel = await linked_channel(harness, editor, "t-alpha")
    await publish(harness, tmp_path, item(1, "t-alpha"))
    await settle(harness)
    assert len(posts(harness, channel.chat_id)) == 1

    mark = len(harness.emulator.sent)
    await handled(harness, channel.demote_bot(OWNER))
    told = [r.text or "" for r in harness.emulator.sent[mark:] if r.chat_id == ADMIN_ID]
    assert len(told) == 1 and "توقف النشر" in told[0] and "صلاحية" in told[0]
    paused = await harness.news.store.chats.get(channel.chat_id)
    assert paused is not None and paused.status is ReaderStatus.BLOCKED and paused.topics == ("t-alpha",)
    await publish(harness, tmp_path, item(2, "t-alpha"))  # while paused: never posted, never retried
    await settle(harness)
    assert len(posts(harness, channel.chat_id)) == 1
    assert not [r for r in harness.emulator.refusals if r.params.get("chat_id") == channel.chat_id]

    await handled(harness, channel.promote_bot(OWNER))  # resumed: new items only
    assert any("استُؤنف" in (r.text or "") for r in harness.emulator.sent if r.chat_id == ADMIN_ID)
    await publish(harness, tmp_path, item(3, "t-alpha"))
    await settle(harness)
    texts = [r.text or "" for r in posts(harness, channel.chat_id)]
    assert len(texts) == 2 and "رقم 3" in texts[1]


async def test_a_refused_post_pauses_the_channel_once(harness: BotHarness, tmp_path: Path) -> None:
    """Removed without an update reaching the bot (it was down): the first refused post pauses it."""
    await topics_in_store(harness, tmp_path)
    editor = await admin(harness)
    channel = await linked_channel(harness, editor, "t-alpha")
    channel.chat.bot_status = "kicked"  # Telegram's side only: no my_chat_member reaches the bot
    await publish(harness, tmp_path, item(1, "t-alpha"), item(2, "t-alpha"))
    counts = await settle(harness)
    refused = [
        r for r in harness.emulator.refusals if r.params.get("chat_id") in (channel.chat_id, str(channel.chat_id))
    ]
    assert len(refused) == 1 and refused[0].status == 403
    assert counts["cancelled"] >= 1 and counts["failed"] == 0
    assert any("أُزيل البوت" in (r.text or "") for r in harness.emulator.sent if r.chat_id == ADMIN_ID)


async def group_with_bot(h: BotHarness, *, supergroup: bool = False) -> EmulatedChat:
    group = h.emulator.group("مجموعة القراء", owner=OWNER, supergroup=supergroup)
    group.add_member(OWNER + 1)  # a member, not an administrator
    group.add_member(OWNER + 2, "administrator")
    await handled(h, group.add_bot(OWNER))
    return group


async def subscribe_group(h: BotHarness, group: EmulatedChat, slug_label: str, admin_id: int = OWNER) -> None:
    await handled(h, group.send_text(admin_id, f"/topics@{h.emulator.bot_username}"))
    (listing,) = [m for m in h.emulator.bot_messages[group.chat_id] if "مواضيع هذه المجموعة" in m.text][-1:]
    data = next(
        b["callback_data"]
        for row in (listing.reply_markup or {})["inline_keyboard"]
        for b in row
        if slug_label in b["text"]
    )
    await press(h, group, admin_id, listing.message_id, data)


async def press(h: BotHarness, group: EmulatedChat, user_id: int, message_id: int, data: str) -> JSONDict:
    query_id = h.emulator.user(user_id).press_button(message_id, data, strict=False)
    # press_button looks in the private chat; the update must carry the group's message instead
    update = h.emulator.updates[-1]
    update["callback_query"]["message"] = h.emulator.message_dict(group.chat, group.chat.messages[message_id])
    update["callback_query"]["chat_instance"] = str(group.chat_id)
    await h.wait_handled(update["update_id"])
    answer = h.emulator.callback_queries[query_id].answer
    assert answer is not None
    return answer


async def test_a_group_admin_subscribes_and_a_member_cannot(harness: BotHarness, tmp_path: Path) -> None:
    await topics_in_store(harness, tmp_path)
    group = await group_with_bot(harness)
    welcome = harness.emulator.bot_messages[group.chat_id]
    assert len(welcome) == 1 and "/topics@" in welcome[0].text

    await handled(harness, group.send_text(OWNER + 1, f"/topics@{harness.emulator.bot_username}"))
    assert "لمشرفيها فقط" in harness.emulator.bot_messages[group.chat_id][-1].text
    await subscribe_group(harness, group, "ألف", admin_id=OWNER + 2)
    chat = await harness.news.store.chats.get(group.chat_id)
    assert chat is not None and chat.topics == ("t-alpha",)

    listing = harness.emulator.bot_messages[group.chat_id][-1]
    data = next(b["callback_data"] for row in listing.reply_markup["inline_keyboard"] for b in row)  # type: ignore[index]
    answer = await press(harness, group, OWNER + 1, listing.message_id, data)  # a member presses a toggle
    assert "لمشرفيها فقط" in answer.get("text", "") and answer.get("show_alert") in (True, "true")
    chat = await harness.news.store.chats.get(group.chat_id)
    assert chat is not None and chat.topics == ("t-alpha",)  # unchanged


async def test_group_commands_for_this_bot_only_and_quiet_otherwise(harness: BotHarness) -> None:
    group = await group_with_bot(harness)
    group.chat.bot_status = "administrator"  # an administrator bot sees every message (no privacy mode)
    group.chat.bot_rights = {"can_manage_chat": True}
    before = len(harness.emulator.bot_messages.get(group.chat_id, []))
    for text in ("صباح الخير يا جماعة", "/latest@otherbot", "/nonsense@otherbot", "آخر الأخبار"):
        await handled(harness, group.send_text(OWNER + 1, text))
    assert len(harness.emulator.bot_messages[group.chat_id]) == before  # quiet
    await handled(harness, group.send_text(OWNER + 1, f"/latest@{harness.emulator.bot_username}"))
    await handled(harness, group.send_text(OWNER + 2, "/latest"))
    answers = harness.emulator.bot_messages[group.chat_id][before:]
    assert len(answers) == 2 and all("آخر الأخبار" in m.text or "📰" in m.text for m in answers)


async def test_a_group_gets_items_within_20_a_minute_merged_when_more_are_due(
    harness: BotHarness, tmp_path: Path
) -> None:
    harness.emulator.rate_limits = True  # the emulator refuses a 21st message within any minute
    await topics_in_store(harness, tmp_path)
    group = await group_with_bot(harness)
    await subscribe_group(harness, group, "ألف")
    before = len(harness.emulator.bot_messages[group.chat_id])
    await publish(harness, tmp_path, *(item(n, "t-alpha") for n in range(1, 31)))
    assert (await settle(harness))["failed"] == 0
    arrived = harness.emulator.bot_messages[group.chat_id][before:]
    listed = sum(m.text.count("عنوان تجريبي رقم") for m in arrived)
    assert listed == 30  # every item, once
    assert len(arrived) < 30 and len(arrived) <= 20  # merged
    assert not [r for r in harness.emulator.refusals if r.status == 429]
    buttons = [b for m in arrived for row in (m.reply_markup or {}).get("inline_keyboard", []) for b in row]
    assert buttons and all("url" in b for b in buttons)


async def test_a_supergroup_migration_keeps_the_subscriptions(harness: BotHarness, tmp_path: Path) -> None:
    await topics_in_store(harness, tmp_path)
    group = await group_with_bot(harness)
    await subscribe_group(harness, group, "ألف")
    bigger = group.migrate_to_supergroup()
    await harness.emulator.wait_for_updates_consumed(timeout=15)
    await asyncio.sleep(0.3)
    moved = await harness.news.store.chats.get(bigger.chat_id)
    assert moved is not None and moved.topics == ("t-alpha",) and moved.kind == "supergroup"
    await publish(harness, tmp_path, item(1, "t-alpha"))
    await settle(harness)
    assert any("رقم 1" in m.text for m in harness.emulator.bot_messages.get(bigger.chat_id, []))
    assert not any("رقم 1" in m.text for m in harness.emulator.bot_messages[group.chat_id])


async def test_a_migration_seen_first_by_a_refused_post(harness: BotHarness, tmp_path: Path) -> None:
    """The service messages were missed: the post to the old id is refused with the new one, and goes there."""
    await topics_in_store(harness, tmp_path)
    group = await group_with_bot(harness)
    await subscribe_group(harness, group, "ألف")
    harness.emulator.privacy_mode = True
    group.chat.bot_status = "left"  # no service messages reach the bot …
    bigger = group.migrate_to_supergroup()
    harness.emulator.chats[bigger.chat_id].bot_status = "member"  # … but it is in the supergroup
    group.chat.bot_status = "member"
    await publish(harness, tmp_path, item(1, "t-alpha"))
    assert (await settle(harness))["failed"] == 0
    assert any("رقم 1" in m.text for m in harness.emulator.bot_messages.get(bigger.chat_id, []))
    moved = await harness.news.store.chats.get(bigger.chat_id)
    assert moved is not None and moved.topics == ("t-alpha",)


async def test_removed_from_a_group_pauses_it_and_added_back_resumes_with_new_items(
    harness: BotHarness, tmp_path: Path
) -> None:
    await topics_in_store(harness, tmp_path)
    group = await group_with_bot(harness)
    await subscribe_group(harness, group, "ألف")
    await harness.reader(OWNER, "مالك").send("/start")  # who linked it hears about it
    await handled(harness, group.remove_bot(OWNER))
    assert any("توقف النشر" in (r.text or "") for r in harness.emulator.sent if r.chat_id == OWNER)
    await publish(harness, tmp_path, item(1, "t-alpha"))
    await settle(harness)
    await handled(harness, group.add_bot(OWNER))
    await publish(harness, tmp_path, item(2, "t-alpha"))
    await settle(harness)
    texts = " ".join(m.text for m in harness.emulator.bot_messages[group.chat_id])
    assert "رقم 2" in texts and "رقم 1" not in texts


async def test_stats_count_channels_and_groups_apart_with_members(harness: BotHarness, tmp_path: Path) -> None:
    await topics_in_store(harness, tmp_path)
    editor = await admin(harness)
    channel = await linked_channel(harness, editor, "t-alpha")
    for n in range(40):
        channel.add_member(9000 + n)
    group = await group_with_bot(harness)
    await subscribe_group(harness, group, "ألف")
    text = (await editor.send("/stats")).text
    assert "القنوات: ١ تُنشر فيها" in text or "القنوات: 1 تُنشر فيها" in text, text
    assert "42" in text or "٤٢" in text  # the channel's owner, 40 members and the bot
    assert "المجموعات" in text
    numbers = await harness.news.store.stats()
    assert numbers.readers_by_status["active"] == 1  # the editor only: chats are not readers
