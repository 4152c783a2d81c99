"""Which process an update goes to, and the frames updates travel in to a worker."""

from __future__ import annotations

import asyncio
import json

from bot.runtime.workers import Sharding, frame, read_frame, shard_key

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

    def dispatch(self, raw: dict[str, object]) -> bool:
        user = raw["message"]["from"]["id"]  # type: ignore[index]
        if user % 2:
            self.handed.append(raw["update_id"])  # type: ignore[arg-type]
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
