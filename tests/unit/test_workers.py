"""Which process an update goes to, and the frames updates travel in to a worker."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update

from bot.devtools.harness import TEST_TOKEN
from bot.runtime.workers import Sharding, frame, lighten, read_frame, shard_key, shown_keyboard

USER = {"id": 1234, "is_bot": False, "first_name": "ليلى"}
CHAT = {"id": 1234, "type": "private"}


def test_every_kind_of_update_goes_by_its_sender() -> None:
    message = {"message_id": 1, "date": 0, "chat": CHAT, "from": USER, "text": "/latest"}
    assert shard_key({"update_id": 1, "message": message}) == 1234
    assert shard_key({"update_id": 2, "edited_message": message}) == 1234
    query = {"id": "q", "from": USER, "chat_instance": "c", "data": "1:lt:1", "message": message}
    assert shard_key({"update_id": 3, "callback_query": query}) == 1234
    assert shard_key({"update_id": 4, "inline_query": {"id": "i", "from": USER, "query": "غزة", "offset": ""}}) == 1234
    member = {"chat": CHAT, "from": USER, "date": 0, "old_chat_member": {}, "new_chat_member": {}}
    assert shard_key({"update_id": 5, "my_chat_member": member}) == 1234
    reaction = {"chat": CHAT, "message_id": 1, "user": USER, "date": 0, "old_reaction": [], "new_reaction": []}
    assert shard_key({"update_id": 6, "message_reaction": reaction}) == 1234


def test_an_update_without_a_sender_goes_by_its_chat_else_to_the_first_process() -> None:
    post = {"message_id": 1, "date": 0, "chat": {"id": -100777, "type": "channel"}, "text": "x"}
    assert shard_key({"update_id": 1, "channel_post": post}) == -100777
    assert -100777 % 2 in (0, 1)  # Python's modulo keeps a negative chat id on a real shard
    assert shard_key({"update_id": 2, "poll": {"id": "p", "question": "?", "options": []}}) == 0
    assert shard_key({"update_id": 3}) == 0


async def test_frames_come_back_whole_in_order_then_end() -> None:
    reader = asyncio.StreamReader()
    payloads = [b"", "غزة".encode(), b"x" * 100_000]
    for payload in payloads:
        reader.feed_data(frame(payload))
    reader.feed_data(frame(b"cut short")[:6])
    reader.feed_eof()
    assert [await read_frame(reader) for _ in payloads] == payloads
    assert await read_frame(reader) is None


class _Pool:
    """A stand-in for WorkerPool.dispatch: shard 1 of 2 takes odd user ids."""

    def __init__(self) -> None:
        self.handed: list[int] = []
        self.raws: list[dict[str, Any]] = []

    def dispatch(self, raw: dict[str, Any]) -> bool:
        if shard_key(raw) % 2:
            self.handed.append(raw["update_id"])
            self.raws.append(raw)
            return True
        return False


def _answer(*users: int) -> bytes:
    result = [{"update_id": 10 + i, "message": {"from": {"id": u}, "text": "س"}} for i, u in enumerate(users)]
    return json.dumps({"ok": True, "result": result}).encode()


def test_the_getupdates_answer_keeps_this_shards_updates_and_the_offset_covers_the_rest() -> None:
    sharding = Sharding()
    assert sharding.keep(_answer(1, 2)) == _answer(1, 2)  # no pool: untouched
    pool = _Pool()
    sharding.pool = pool  # type: ignore[assignment]
    kept = json.loads(sharding.keep(_answer(1, 2, 3, 4)))
    assert [u["update_id"] for u in kept["result"]] == [11, 13]
    assert kept["result"][0]["message"]["text"] == "س"
    assert pool.handed == [10, 12]
    assert sharding.next_offset == 14  # the last update, handed on or kept, is confirmed next time


def test_answers_that_are_not_updates_pass_unchanged() -> None:
    sharding = Sharding()
    sharding.pool = _Pool()  # type: ignore[assignment]
    for body in (b"not json", b'{"ok": false, "description": "Conflict"}', b'{"ok": true, "result": []}'):
        assert sharding.keep(body) == body
    assert sharding.next_offset == 0


KEYBOARD = {
    "inline_keyboard": [
        [{"text": "1", "callback_data": "1:ar:7"}, {"text": "2", "callback_data": "1:ar:8"}],
        [{"text": "التالي ›", "callback_data": "1:lt:1"}, {"text": "🌐", "url": "https://arabic.rt.com/"}],
    ]
}


def _pressed(**extra: object) -> dict[str, Any]:
    bot_user = {"id": 7, "is_bot": True, "first_name": "أخبار", "username": "news_bot"}
    message = {
        "message_id": 41,
        "date": 1796108786,
        "chat": CHAT,
        "from": bot_user,
        "text": "📰 آخر الأخبار\n1. خبر",
        "entities": [{"type": "bold", "offset": 0, "length": 14}],
        "link_preview_options": {"is_disabled": True},
        **extra,
    }
    query = {"id": "q", "from": USER, "chat_instance": "c", "data": "1:lt:1", "message": message}
    return {"update_id": 20, "callback_query": query}


def test_a_pressed_message_keeps_what_handlers_read_and_its_keyboard_as_telegram_sent_it() -> None:
    raw = _pressed(reply_markup=KEYBOARD)
    assert lighten(raw) is True
    update = Update.de_json(raw, Bot(TEST_TOKEN))
    query = update.callback_query
    assert query is not None and isinstance(query.message, Message)
    message = query.message
    assert (message.chat_id, message.message_id, message.text) == (1234, 41, "📰 آخر الأخبار\n1. خبر")
    assert query.from_user.id == 1234 and query.data == "1:lt:1" and update.effective_user is not None
    assert message.entities == () and message.from_user is None and message.reply_markup is None
    # the same keyboard the bot would build: what the handlers compare before editing
    built = InlineKeyboardMarkup(
        [
            [InlineKeyboardButton("1", callback_data="1:ar:7"), InlineKeyboardButton("2", callback_data="1:ar:8")],
            [
                InlineKeyboardButton("التالي ›", callback_data="1:lt:1"),
                InlineKeyboardButton("🌐", url="https://arabic.rt.com/"),
            ],
        ]
    )
    assert shown_keyboard(message) == built.to_dict()
    assert lighten(raw) is False  # once is enough


def test_a_message_not_lightened_gives_its_parsed_keyboard_and_one_without_gives_none() -> None:
    full = Update.de_json(_pressed(reply_markup=KEYBOARD), Bot(TEST_TOKEN))
    assert full.callback_query is not None and isinstance(full.callback_query.message, Message)
    assert shown_keyboard(full.callback_query.message) == KEYBOARD  # webhook mode: PTB parsed it
    bare = _pressed()
    lighten(bare)
    plain = Update.de_json(bare, Bot(TEST_TOKEN))
    assert plain.callback_query is not None and isinstance(plain.callback_query.message, Message)
    assert shown_keyboard(plain.callback_query.message) is None


def test_other_updates_and_inaccessible_messages_are_left_as_they_are() -> None:
    message = {"message_id": 1, "date": 5, "chat": CHAT, "from": USER, "text": "/latest", "entities": []}
    assert lighten({"update_id": 1, "message": message}) is False and "from" in message
    gone = {"message_id": 1, "date": 0, "chat": CHAT}
    query = {"id": "q", "from": USER, "chat_instance": "c", "data": "1:lt:1", "message": gone}
    assert lighten({"update_id": 2, "callback_query": query}) is False
    inline = {"id": "q", "from": USER, "chat_instance": "c", "data": "x", "inline_message_id": "m"}
    assert lighten({"update_id": 3, "callback_query": inline}) is False


def test_the_getupdates_answer_lightens_pressed_messages_with_one_process_too() -> None:
    sharding = Sharding()
    body = json.dumps({"ok": True, "result": [_pressed(reply_markup=KEYBOARD)]}, ensure_ascii=False).encode()
    kept = json.loads(sharding.keep(body))["result"][0]["callback_query"]["message"]
    assert "entities" not in kept and "reply_markup" not in kept and kept["newsbot_shown_keyboard"] == KEYBOARD
    pool = _Pool()
    sharding.pool = pool  # type: ignore[assignment]
    handed = _pressed(reply_markup=KEYBOARD)
    handed["callback_query"]["from"] = {"id": 3, "is_bot": False, "first_name": "س"}
    sharding.keep(json.dumps({"ok": True, "result": [handed]}).encode())
    assert pool.handed == [20] and "entities" not in pool.raws[0]["callback_query"]["message"]
