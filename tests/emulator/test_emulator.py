"""The Bot API emulator driven over real HTTP by python-telegram-bot's own Bot and by raw httpx."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from aiohttp import web
from telegram import Bot, BotCommand, InlineKeyboardButton, InlineKeyboardMarkup, InputMediaPhoto, LinkPreviewOptions
from telegram.error import BadRequest, Conflict, Forbidden, InvalidToken, NetworkError, RetryAfter

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


@pytest.fixture
async def http(emu: BotApiEmulator) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=f"{emu.base_url}{TOKEN}/") as client:
        yield client


def keyboard(*rows: list[tuple[str, str]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(t, callback_data=d) for t, d in row] for row in rows])


def last_refusal(emu: BotApiEmulator) -> str:
    description = emu.refusals[-1].description
    assert description is not None
    return description


# -- basics -----------------------------------------------------------------------------------


async def test_base_url_is_loopback_with_a_real_port(emu: BotApiEmulator) -> None:
    assert emu.base_url.startswith("http://127.0.0.1:")
    assert emu.port > 0
    assert emu.base_url.endswith("/bot")


async def test_get_me_over_http(bot: Bot, emu: BotApiEmulator) -> None:
    me = await bot.get_me()
    assert me.is_bot
    assert me.username == emu.bot_username


async def test_configured_valid_token_refuses_others_with_401(emu: BotApiEmulator) -> None:
    emu.valid_token = "999:other"
    wrong = Bot(TOKEN, base_url=emu.base_url)
    try:
        with pytest.raises(InvalidToken):
            await wrong.initialize()  # what Application.initialize does first
    finally:
        await wrong.shutdown()
    assert emu.refusals[-1].status == 401
    async with Bot("999:other", base_url=emu.base_url) as good:
        assert (await good.get_me()).is_bot


async def test_unknown_method_is_404_not_found(http: httpx.AsyncClient) -> None:
    response = await http.post("frobnicate", json={})
    assert response.status_code == 404
    assert response.json() == {"ok": False, "error_code": 404, "description": "Not Found"}


async def test_method_names_are_case_insensitive(http: httpx.AsyncClient) -> None:
    response = await http.get("GETME")
    assert response.json()["ok"] is True


async def test_json_form_and_multipart_bodies_are_all_understood(emu: BotApiEmulator, http: httpx.AsyncClient) -> None:
    emu.rate_limits = False
    emu.user(7, register=True)
    markup = json.dumps({"inline_keyboard": [[{"text": "افتح", "callback_data": "a:1"}]]})
    as_json = await http.post(
        "sendMessage", json={"chat_id": 7, "text": "<b>أ</b>", "parse_mode": "HTML", "reply_markup": json.loads(markup)}
    )
    as_form = await http.post(
        "sendMessage", data={"chat_id": "7", "text": "<b>أ</b>", "parse_mode": "HTML", "reply_markup": markup}
    )
    as_multipart = await http.post(
        "sendMessage",
        data={"chat_id": "7", "text": "<b>أ</b>", "parse_mode": "HTML", "reply_markup": markup},
        files={"unused": ("f.txt", b"x")},
    )
    results = [r.json() for r in (as_json, as_form, as_multipart)]
    assert all(r["ok"] for r in results)
    assert {json.dumps(r["result"]["reply_markup"]) for r in results} == {json.dumps(json.loads(markup))}
    assert [r["result"]["entities"] for r in results] == [[{"type": "bold", "offset": 0, "length": 1}]] * 3


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (b"{not json", "application/json"),
        (b"[1, 2]", "application/json"),
        (b"\xff\xfe", "application/json"),
        (b"--zz\r\nbroken", "multipart/form-data; boundary=zz"),
        (b"chat_id=%ZZ&text=\xff", "application/x-www-form-urlencoded"),
        (b'{"chat_id": {"a": 1}, "text": "x"}', "application/json"),
        (b'{"chat_id": 7, "text": ["x"]}', "application/json"),
        (b'{"chat_id": 7, "text": "x", "reply_markup": "{oops"}', "application/json"),
        (b'{"chat_id": 7, "text": "x", "reply_markup": {"inline_keyboard": 5}}', "application/json"),
        (b'{"chat_id": 7, "text": "x", "reply_markup": {"inline_keyboard": [["s"]]}}', "application/json"),
        (b'{"chat_id": 7, "text": "x", "disable_notification": "maybe"}', "application/json"),
        (b'{"chat_id": 7, "text": "x", "entities": 3}', "application/json"),
    ],
)
async def test_malformed_requests_get_400_never_500(
    emu: BotApiEmulator, http: httpx.AsyncClient, content: bytes, content_type: str
) -> None:
    emu.user(7, register=True)
    response = await http.post("sendMessage", content=content, headers={"content-type": content_type})
    assert response.status_code == 400
    body = response.json()
    assert body["ok"] is False
    assert body["error_code"] == 400
    assert body["description"].startswith("Bad Request: ")


async def test_missing_chat_id_and_empty_text(emu: BotApiEmulator, http: httpx.AsyncClient) -> None:
    emu.user(7, register=True)
    assert (await http.post("sendMessage", json={"text": "x"})).json()["description"] == "Bad Request: chat_id is empty"
    for text in ("", "   \n"):
        response = await http.post("sendMessage", json={"chat_id": 7, "text": text})
        assert response.json()["description"] == "Bad Request: message text is empty"
    response = await http.post("sendMessage", json={"chat_id": 7, "text": "<b></b>", "parse_mode": "HTML"})
    assert response.json()["description"] == "Bad Request: message text is empty"


# -- sendMessage rules ------------------------------------------------------------------------


async def test_send_message_records_what_was_sent(bot: Bot, emu: BotApiEmulator) -> None:
    emu.user(7, "سامي", register=True)
    message = await bot.send_message(
        7,
        "<b>عاجل</b> 📰 خبر",
        parse_mode="HTML",
        disable_notification=True,
        link_preview_options=LinkPreviewOptions(is_disabled=True),
        reply_markup=keyboard([("افتح", "a:12")]),
    )
    assert message.text == "عاجل 📰 خبر"
    assert message.entities[0].length == 4
    record = emu.sent[-1]
    assert (record.method, record.chat_id, record.message_id) == ("sendMessage", 7, message.message_id)
    assert record.text == "عاجل 📰 خبر"
    assert record.parse_mode == "HTML"
    assert record.entities == [{"type": "bold", "offset": 0, "length": 4}]
    assert record.disable_notification is True
    assert record.link_preview_options == {"is_disabled": True}
    assert record.reply_markup == {"inline_keyboard": [[{"text": "افتح", "callback_data": "a:12"}]]}
    assert emu.calls[-1].method == "sendmessage"
    assert emu.calls[-1].status == 200


async def test_html_parse_errors_are_400_cant_parse_entities(bot: Bot, emu: BotApiEmulator) -> None:
    emu.user(7, register=True)
    with pytest.raises(BadRequest, match="parse entities"):
        await bot.send_message(7, "abc <foo>x</foo>", parse_mode="HTML")
    assert last_refusal(emu) == ('Bad Request: can\'t parse entities: Unsupported start tag "foo" at byte offset 4')
    with pytest.raises(BadRequest):
        await bot.send_message(7, "Q&A", parse_mode="HTML")
    assert emu.sent == []


async def test_text_limit_counts_utf16_units_after_entity_parsing(bot: Bot, emu: BotApiEmulator) -> None:
    emu.rate_limits = False
    emu.user(7, register=True)
    await bot.send_message(7, "😀" * 2048)  # 4096 units
    await bot.send_message(7, "<b>" + "خ" * 4096 + "</b>", parse_mode="HTML")  # tags do not count
    with pytest.raises(BadRequest, match="too long"):
        await bot.send_message(7, "😀" * 2048 + "x")
    assert last_refusal(emu) == "Bad Request: message is too long"


@pytest.mark.parametrize(
    ("rows", "description"),
    [
        ([[("x", "ب" * 33)]], "Bad Request: BUTTON_DATA_INVALID"),  # 66 bytes
        ([[("x", "")]], "Bad Request: BUTTON_DATA_INVALID"),
        ([[(str(i), str(i)) for i in range(9)]], "Bad Request: BUTTONS_TOO_MUCH"),
        ([[(str(i), str(i)) for i in range(j, j + 8)] for j in range(0, 104, 8)], "Bad Request: BUTTONS_TOO_MUCH"),
    ],
)
async def test_keyboard_refusals(
    bot: Bot, emu: BotApiEmulator, rows: list[list[tuple[str, str]]], description: str
) -> None:
    emu.user(7, register=True)
    with pytest.raises(BadRequest):
        await bot.send_message(7, "x", reply_markup=keyboard(*rows))
    assert last_refusal(emu) == description


async def test_keyboard_limits_accept_exactly_64_bytes_8_a_row_100_buttons(bot: Bot, emu: BotApiEmulator) -> None:
    emu.user(7, register=True)
    await bot.send_message(7, "x", reply_markup=keyboard([("x", "ب" * 32)]))
    rows = [[(str(i), str(i)) for i in range(j, min(j + 8, 100))] for j in range(0, 100, 8)]
    await bot.send_message(7, "y", reply_markup=keyboard(*rows))
    assert len(emu.sent) == 2


async def test_unknown_chat_is_chat_not_found(bot: Bot, emu: BotApiEmulator) -> None:
    emu.user(7)  # exists as a user, but has never written
    with pytest.raises(BadRequest, match=r"[Cc]hat not found"):
        await bot.send_message(7, "x")
    assert last_refusal(emu) == "Bad Request: chat not found"
    emu.user(7).send_text("مرحبا")
    await bot.send_message(7, "أهلًا")


async def test_block_unblock_emit_my_chat_member_and_403(bot: Bot, emu: BotApiEmulator) -> None:
    user = emu.user(7, "سامي", register=True)
    user.block()
    with pytest.raises(Forbidden):
        await bot.send_message(7, "x")
    assert last_refusal(emu) == "Forbidden: bot was blocked by the user"
    assert emu.refusals[-1].status == 403
    user.unblock()
    await bot.send_message(7, "x")
    updates = await bot.get_updates()
    changes = [u.my_chat_member for u in updates]
    assert [(c.old_chat_member.status, c.new_chat_member.status) for c in changes if c] == [
        ("member", "kicked"),
        ("kicked", "member"),
    ]
    assert all(c.chat.id == 7 and c.from_user.id == 7 for c in changes if c)


async def test_deleted_account_is_chat_not_found(bot: Bot, emu: BotApiEmulator) -> None:
    user = emu.user(7, register=True)
    await bot.send_message(7, "x")
    user.delete_account()
    with pytest.raises(BadRequest):
        await bot.send_message(7, "x")
    assert last_refusal(emu) == "Bad Request: chat not found"


# -- edits and deletions ----------------------------------------------------------------------


async def test_edit_applies_and_identical_edit_is_not_modified(bot: Bot, emu: BotApiEmulator) -> None:
    emu.user(7, register=True)
    message = await bot.send_message(7, "صفحة 1", reply_markup=keyboard([("التالي ›", "p:2")]))
    edited = await bot.edit_message_text("صفحة 2", 7, message.message_id, reply_markup=keyboard([("‹ السابق", "p:1")]))
    assert not isinstance(edited, bool)
    assert edited.edit_date is not None
    with pytest.raises(BadRequest, match="not modified"):
        await bot.edit_message_text("صفحة 2", 7, message.message_id, reply_markup=keyboard([("‹ السابق", "p:1")]))
    assert last_refusal(emu) == (
        "Bad Request: message is not modified: specified new message content and reply markup are exactly "
        "the same as a current content and reply markup of the message"
    )
    await bot.edit_message_reply_markup(7, message.message_id, reply_markup=keyboard([("x", "y")]))
    with pytest.raises(BadRequest, match="not modified"):
        await bot.edit_message_reply_markup(7, message.message_id, reply_markup=keyboard([("x", "y")]))
    view = emu.chat_view(7)
    assert [(line.text, line.edited) for line in view] == [("صفحة 2", True)]
    assert view[0].reply_markup == {"inline_keyboard": [[{"text": "x", "callback_data": "y"}]]}
    assert [r.method for r in emu.sent] == ["sendMessage", "editMessageText", "editMessageReplyMarkup"]


async def test_edit_and_delete_of_unknown_messages(bot: Bot, emu: BotApiEmulator) -> None:
    emu.user(7, register=True)
    with pytest.raises(BadRequest):
        await bot.edit_message_text("x", 7, 999)
    assert last_refusal(emu) == "Bad Request: message to edit not found"
    message = await bot.send_message(7, "x")
    assert await bot.delete_message(7, message.message_id)
    assert emu.chat_view(7) == []
    with pytest.raises(BadRequest):
        await bot.delete_message(7, message.message_id)
    assert last_refusal(emu) == "Bad Request: message to delete not found"
    with pytest.raises(BadRequest):
        await bot.edit_message_text("y", 7, message.message_id)
    assert last_refusal(emu) == "Bad Request: message to edit not found"


async def test_chat_view_shows_both_sides_in_order(bot: Bot, emu: BotApiEmulator) -> None:
    user = emu.user(7)
    user.send_command("start")
    await bot.send_message(7, "أهلًا")
    assert [(line.from_bot, line.text) for line in emu.chat_view(7)] == [(False, "/start"), (True, "أهلًا")]
    assert [line.message_id for line in emu.chat_view(7)] == [1, 2]


# -- updates: long polling --------------------------------------------------------------------


async def test_long_polling_delivers_injected_update_and_offset_confirms(bot: Bot, emu: BotApiEmulator) -> None:
    user = emu.user(7, "سامي", username="sami")
    poll = asyncio.create_task(bot.get_updates(timeout=30))
    await emu.wait_for_long_poll()
    sent = user.send_command("start", "a123")
    updates = await asyncio.wait_for(poll, 5)
    assert [u.update_id for u in updates] == [sent["update_id"]]
    message = updates[0].message
    assert message is not None
    assert message.text == "/start a123"
    assert message.entities[0].type == "bot_command"
    assert message.entities[0].length == len("/start")
    assert message.from_user is not None
    assert message.from_user.username == "sami"
    assert len(await bot.get_updates()) == 1  # not confirmed yet
    assert await bot.get_updates(offset=sent["update_id"] + 1) == ()
    assert emu.updates == []


async def test_update_and_message_ids_increase(emu: BotApiEmulator) -> None:
    user = emu.user(7)
    first, second = user.send_text("أ"), user.send_text("ب")
    assert second["update_id"] == first["update_id"] + 1
    assert second["message"]["message_id"] == first["message"]["message_id"] + 1


async def test_get_updates_without_updates_returns_empty(bot: Bot) -> None:
    assert await bot.get_updates(timeout=0) == ()


async def test_second_long_poll_terminates_the_first_with_409(
    bot: Bot, emu: BotApiEmulator, http: httpx.AsyncClient
) -> None:
    # a second instance of the bot: python-telegram-bot itself never polls twice on one Bot
    first = asyncio.create_task(bot.get_updates(timeout=30))
    await emu.wait_for_long_poll()
    second = asyncio.create_task(http.post("getUpdates", json={"timeout": 30}, timeout=40))
    with pytest.raises(Conflict, match="terminated by other getUpdates"):
        await asyncio.wait_for(first, 5)
    emu.user(7).send_text("x")
    response = await asyncio.wait_for(second, 5)
    assert [u["message"]["text"] for u in response.json()["result"]] == ["x"]


async def test_allowed_updates_filter(bot: Bot, emu: BotApiEmulator) -> None:
    user = emu.user(7)
    user.send_text("x")
    user.inline_query("غزة")
    updates = await bot.get_updates(allowed_updates=["inline_query"])
    assert [u.inline_query.query for u in updates if u.inline_query] == ["غزة"]
    assert len(updates) == 1


# -- callback and inline queries --------------------------------------------------------------


async def test_callback_query_answer_once_then_refused(bot: Bot, emu: BotApiEmulator) -> None:
    user = emu.user(7, register=True)
    message = await bot.send_message(7, "x", reply_markup=keyboard([("اشترك", "sub:gaza")]))
    query_id = user.press_button(message.message_id, "sub:gaza")
    (update,) = await bot.get_updates()
    assert update.callback_query is not None
    assert update.callback_query.id == query_id
    assert update.callback_query.data == "sub:gaza"
    assert update.callback_query.message is not None
    assert update.callback_query.message.message_id == message.message_id
    await bot.answer_callback_query(query_id, text="تم الاشتراك")
    assert (await emu.wait_for_callback_answer(query_id))["text"] == "تم الاشتراك"
    with pytest.raises(BadRequest, match="too old"):
        await bot.answer_callback_query(query_id)
    assert last_refusal(emu) == ("Bad Request: query is too old and response timeout expired or query ID is invalid")


async def test_callback_query_expires_after_ttl(bot: Bot, emu: BotApiEmulator, clock: FakeClock) -> None:
    user = emu.user(7, register=True)
    message = await bot.send_message(7, "x", reply_markup=keyboard([("a", "b")]))
    query_id = user.press_button(message.message_id, "b")
    clock.now += emu.callback_query_ttl + 1
    with pytest.raises(BadRequest, match="too old"):
        await bot.answer_callback_query(query_id)
    with pytest.raises(BadRequest, match="too old"):
        await bot.answer_callback_query("no-such-query")


async def test_pressing_a_button_the_message_does_not_have_is_refused(bot: Bot, emu: BotApiEmulator) -> None:
    user = emu.user(7, register=True)
    message = await bot.send_message(7, "x", reply_markup=keyboard([("a", "b")]))
    with pytest.raises(ValueError, match="no button"):
        user.press_button(message.message_id, "zzz")
    assert user.press_button(message.message_id, "zzz", strict=False)


async def test_inline_query_answer_and_too_many_results(bot: Bot, emu: BotApiEmulator) -> None:
    from telegram import InlineQueryResultArticle, InputTextMessageContent

    def results(n: int) -> list[InlineQueryResultArticle]:
        return [InlineQueryResultArticle(str(i), f"خبر {i}", InputTextMessageContent(f"نص {i}")) for i in range(n)]

    user = emu.user(7)
    query_id = user.inline_query("غزة")
    with pytest.raises(BadRequest):
        await bot.answer_inline_query(query_id, results(51))
    assert last_refusal(emu) == "Bad Request: RESULTS_TOO_MUCH"
    await bot.answer_inline_query(query_id, results(50))
    answer = await emu.wait_for_inline_answer(query_id)
    assert len(answer["results"]) == 50
    assert answer["results"][0]["title"] == "خبر 0"


# -- webhook ----------------------------------------------------------------------------------


class Receiver:
    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.attempts = 0
        self.received: list[tuple[dict[str, Any], str | None]] = []
        self.arrived = asyncio.Event()
        self.runner: web.AppRunner | None = None
        self.url = ""

    async def handle(self, request: web.Request) -> web.Response:
        self.attempts += 1
        if self.failures:
            self.failures -= 1
            return web.Response(status=500)
        self.received.append((await request.json(), request.headers.get("X-Telegram-Bot-Api-Secret-Token")))
        self.arrived.set()
        return web.Response(text="ok")

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/hook", self.handle)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{self.runner.addresses[0][1]}/hook"

    async def stop(self) -> None:
        assert self.runner is not None
        await self.runner.cleanup()


async def test_webhook_delivers_with_secret_and_blocks_get_updates(bot: Bot, emu: BotApiEmulator) -> None:
    receiver = Receiver()
    await receiver.start()
    try:
        assert await bot.set_webhook(receiver.url, secret_token="s3cret-token")
        with pytest.raises(Conflict, match="webhook is active"):
            await bot.get_updates()
        sent = emu.user(7).send_text("مرحبا")
        await asyncio.wait_for(receiver.arrived.wait(), 5)
        assert receiver.received == [(sent, "s3cret-token")]
        await emu.wait_for_updates_consumed()
        info = await bot.get_webhook_info()
        assert info.url == receiver.url
        assert info.pending_update_count == 0
        assert await bot.delete_webhook()
        assert await bot.get_updates() == ()
    finally:
        await receiver.stop()


async def test_webhook_retries_until_the_receiver_accepts(bot: Bot, emu: BotApiEmulator) -> None:
    emu.webhook_retry_delay = 0.001
    receiver = Receiver(failures=2)
    await receiver.start()
    try:
        await bot.set_webhook(receiver.url)
        sent = emu.user(7).send_text("x")
        await asyncio.wait_for(receiver.arrived.wait(), 5)
        assert receiver.attempts == 3
        assert receiver.received == [(sent, None)]
        info = await bot.get_webhook_info()
        assert info.last_error_message is not None
        assert "500" in info.last_error_message
    finally:
        await receiver.stop()


async def test_delete_webhook_can_drop_pending_updates(bot: Bot, emu: BotApiEmulator) -> None:
    await bot.set_webhook("http://127.0.0.1:9/unreachable")
    emu.webhook_retry_delay = 10.0
    emu.user(7).send_text("x")
    assert (await bot.get_webhook_info()).pending_update_count == 1
    await bot.delete_webhook(drop_pending_updates=True)
    assert await bot.get_updates() == ()


async def test_bad_secret_token_is_refused(bot: Bot, emu: BotApiEmulator) -> None:
    with pytest.raises(BadRequest):
        await bot.set_webhook("https://example.com/hook", secret_token="has spaces")
    assert emu.webhook_url == ""


# -- rate limits ------------------------------------------------------------------------------


async def test_per_chat_rate_limit_answers_429_with_retry_after(
    bot: Bot, emu: BotApiEmulator, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    # without this opt-in, python-telegram-bot 22 warns (an error under our pytest settings) on RetryAfter
    monkeypatch.setenv("PTB_TIMEDELTA", "1")
    emu.limits.chat_burst = 2
    emu.user(7, register=True)
    await bot.send_message(7, "1")
    await bot.send_message(7, "2")
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(7, "3")
    assert caught.value.retry_after == dt.timedelta(seconds=1)
    assert last_refusal(emu) == "Too Many Requests: retry after 1"
    assert emu.refusals[-1].status == 429
    clock.now += 1.0
    await bot.send_message(7, "3")
    assert [r.text for r in emu.sent] == ["1", "2", "3"]


async def test_global_rate_limit_across_chats(http: httpx.AsyncClient, emu: BotApiEmulator, clock: FakeClock) -> None:
    emu.limits.global_burst = 3
    emu.limits.global_rate = 3.0
    for chat in range(1, 6):
        emu.user(chat, register=True)
    statuses = [(await http.post("sendMessage", json={"chat_id": c, "text": "x"})).status_code for c in range(1, 6)]
    assert statuses == [200, 200, 200, 429, 429]
    body = (await http.post("sendMessage", json={"chat_id": 5, "text": "x"})).json()
    assert body == {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 1",
        "parameters": {"retry_after": 1},
    }
    emu.rate_limits = False
    assert (await http.post("sendMessage", json={"chat_id": 5, "text": "x"})).status_code == 200


def test_sliding_window_refuses_the_cap_plus_one_in_any_second() -> None:
    from bot.devtools.emulator.limits import RateLimits

    bucket = RateLimits(global_rate=3.0, global_burst=3.0, chat_burst=100)
    sliding = RateLimits(global_rate=3.0, global_burst=3.0, chat_burst=100, mode="sliding")
    # Three messages at 0.0, 0.5, 0.9; a fourth at 0.95 is within the bucket (it refilled) but is
    # the fourth in the second (-0.05, 0.95]; at 1.0 the message at 0.0 has left the window.
    for limits in (bucket, sliding):
        assert [limits.check(n, at) for n, at in enumerate((0.0, 0.5, 0.9))] == [0, 0, 0]
    assert bucket.check(4, 0.95) == 0
    assert sliding.check(4, 0.95) == 1  # retry after the oldest leaves the window (rounded up)
    assert sliding.check(4, 1.0) == 0
    assert sliding.check(5, 1.4) == 1
    assert sliding.check(5, 1.5) == 0
    sliding.reset()
    assert sliding.check(6, 1.5) == 0


async def test_sliding_mode_over_http(http: httpx.AsyncClient, emu: BotApiEmulator, clock: FakeClock) -> None:
    emu.limits.mode = "sliding"
    emu.limits.global_rate = 2.0
    for chat in range(1, 5):
        emu.user(chat, register=True)
    statuses = []
    for chat, at in ((1, 0.0), (2, 0.9), (3, 0.95), (3, 1.0)):
        clock.now = 1000.0 + at
        statuses.append((await http.post("sendMessage", json={"chat_id": chat, "text": "x"})).status_code)
    assert statuses == [200, 200, 429, 200]


@pytest.mark.parametrize("mode", ["bucket", "sliding"])
async def test_paid_broadcasts_have_their_own_higher_limit_and_are_counted(
    http: httpx.AsyncClient, emu: BotApiEmulator, clock: FakeClock, mode: str
) -> None:
    emu.limits.mode = mode  # type: ignore[assignment]
    emu.limits.global_rate = emu.limits.global_burst = 2.0
    emu.limits.paid_rate = 5.0
    for chat in range(1, 13):
        emu.user(chat, register=True)

    async def send(chat: int, paid: bool) -> int:
        body = {"chat_id": chat, "text": "x", **({"allow_paid_broadcast": True} if paid else {})}
        return (await http.post("sendMessage", json=body)).status_code

    free = [await send(c, False) for c in (1, 2, 3)]
    paid = [await send(c, True) for c in range(4, 10)]
    assert free == [200, 200, 429]  # the free cap, two a second here
    assert paid == [200] * 5 + [429]  # the paid one: five, not drawn from the free budget
    assert emu.limits.paid_sent == 5
    assert [r.paid for r in emu.sent] == [False] * 2 + [True] * 5
    clock.now += 1.0
    assert await send(10, True) == 200 and emu.limits.paid_sent == 6


async def test_send_photo_with_a_caption_within_1024_units(bot: Bot, emu: BotApiEmulator) -> None:
    emu.user(7, register=True)
    message = await bot.send_photo(
        7, "https://example.com/a.jpg", caption="<b>عنوان</b> " + "ب" * 1000, parse_mode="HTML"
    )
    assert message.photo and message.caption is not None and message.caption.startswith("عنوان")
    assert emu.bot_messages[7][-1].photo == "https://example.com/a.jpg"
    with pytest.raises(BadRequest, match="caption is too long"):
        await bot.send_photo(7, "https://example.com/a.jpg", caption="ب" * 1025)
    emu.faults.unfetchable.add("https://example.com/gone.jpg")
    with pytest.raises(BadRequest, match=r"(?i)failed to get http url content"):
        await bot.send_photo(7, "https://example.com/gone.jpg")
    assert len(emu.bot_messages[7]) == 1


# -- faults -----------------------------------------------------------------------------------


async def test_fail_next_answers_502_then_recovers(bot: Bot, emu: BotApiEmulator) -> None:
    emu.user(7, register=True)
    emu.faults.fail_next("sendMessage", 2)
    for _ in range(2):
        with pytest.raises(NetworkError, match="Bad Gateway"):
            await bot.send_message(7, "x")
    await bot.send_message(7, "x")
    assert [c.status for c in emu.calls if c.method == "sendmessage"] == [502, 502, 200]
    assert len(emu.sent) == 1


async def test_error_share_and_reset(bot: Bot, emu: BotApiEmulator) -> None:
    emu.faults.error_share = 1.0
    with pytest.raises(NetworkError):
        await bot.get_me()
    emu.faults.reset()
    assert (await bot.get_me()).is_bot


async def test_drop_next_closes_the_connection(bot: Bot, emu: BotApiEmulator) -> None:
    emu.faults.drop_next("getMe")
    with pytest.raises(NetworkError, match="disconnected"):
        await bot.get_me()
    assert (await bot.get_me()).is_bot


async def test_jitter_delays_each_call_by_a_random_share(bot: Bot, emu: BotApiEmulator) -> None:
    emu.faults.jitter = 0.03
    took = []
    for _ in range(6):
        started = time.perf_counter()
        await bot.get_me()
        took.append(time.perf_counter() - started)
    assert max(took) > min(took)  # drawn for each call, not one fixed delay
    emu.faults.reset()
    assert emu.faults.jitter == 0.0 and not emu.faults.active


async def test_latency_delays_every_call(bot: Bot, emu: BotApiEmulator) -> None:
    emu.faults.latency = 0.05
    started = time.perf_counter()
    await bot.get_me()
    assert time.perf_counter() - started >= 0.05


# -- waiting helpers and the rest of the methods ----------------------------------------------


async def test_wait_for_messages_returns_new_bot_messages(bot: Bot, emu: BotApiEmulator) -> None:
    emu.user(7, register=True)
    await bot.send_message(7, "أ")
    await bot.send_message(7, "ب")
    assert [m.text for m in await emu.wait_for_messages(7, 2)] == ["أ", "ب"]
    waiting = asyncio.create_task(emu.wait_for_messages(7, 1))
    await bot.send_message(7, "ج")
    assert [m.text for m in await asyncio.wait_for(waiting, 5)] == ["ج"]
    with pytest.raises(TimeoutError, match="expected 1 new bot message"):
        await emu.wait_for_messages(7, 1, timeout=0.01)


async def test_commands_descriptions_menu_and_chat(bot: Bot, emu: BotApiEmulator) -> None:
    commands = [BotCommand("latest", "آخر الأخبار"), BotCommand("topics", "المواضيع")]
    assert await bot.set_my_commands(commands)
    assert await bot.get_my_commands() == tuple(commands)
    assert await bot.get_my_commands(language_code="en") == ()
    with pytest.raises(BadRequest):
        await bot.set_my_commands([BotCommand("Bad Command!", "x")])
    assert last_refusal(emu) == "Bad Request: BOT_COMMAND_INVALID"
    assert await bot.delete_my_commands()
    assert await bot.get_my_commands() == ()
    assert await bot.set_my_description("بوت أخبار")
    assert (await bot.get_my_description()).description == "بوت أخبار"
    assert await bot.set_my_short_description("أخبار")
    with pytest.raises(BadRequest):
        await bot.set_my_short_description("x" * 121)
    assert await bot.set_chat_menu_button()
    emu.user(7, "سامي", register=True)
    assert await bot.send_chat_action(7, "typing")
    with pytest.raises(BadRequest):
        await bot.send_chat_action(7, "dancing")
    chat = await bot.get_chat(7)
    assert (chat.id, chat.first_name) == (7, "سامي")
    with pytest.raises(BadRequest, match=r"[Cc]hat not found"):
        await bot.get_chat(8)
    assert await bot.close()
    assert await bot.log_out()


async def test_a_real_application_polls_and_replies(emu: BotApiEmulator) -> None:
    from telegram import Update
    from telegram.ext import ApplicationBuilder, CommandHandler, ContextTypes

    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_text(f"<b>أهلًا</b> {' '.join(context.args or [])}", parse_mode="HTML")

    app = ApplicationBuilder().token(TOKEN).base_url(emu.base_url).build()
    app.add_handler(CommandHandler("start", start))
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0)
        try:
            emu.user(7, "سامي").send_command("start", "t-gaza")
            (reply,) = await emu.wait_for_messages(7, 1)
            assert reply.text == "أهلًا t-gaza"
            assert reply.entities == [{"type": "bold", "offset": 0, "length": 5}]
        finally:
            await app.updater.stop()
            await app.stop()
    assert emu.updates == []  # the updater confirmed what it handled on the way out


async def test_every_registered_method_is_answered_in_any_case(http: httpx.AsyncClient) -> None:
    # The registry is the one list of method names: each is routed, whatever its spelling's case.
    from bot.devtools.emulator.registry import NAMES

    assert len(NAMES) == len(set(NAMES)) == 31
    assert {
        "getUpdates",
        "sendMessage",
        "answerCallbackQuery",
        "setWebhook",
        "editMessageMedia",
        "getChatMember",
    } <= set(NAMES)
    for name in ("getMe", "GETME", "getmyshortdescription", "getWebhookInfo"):
        response = await http.post(name)
        assert response.status_code == 200, name
        assert response.json()["ok"] is True


def test_a_method_name_cannot_be_registered_twice() -> None:
    from bot.devtools.emulator.registry import METHODS, api_method

    before = dict(METHODS)

    async def impostor(world: object, params: object) -> object:
        return None

    with pytest.raises(ValueError, match="SendMessage is registered twice"):
        api_method("SendMessage")(impostor)
    assert before == METHODS


# -- edits and deletions of sent messages (issue 12) ------------------------------------------------

PICTURE = "https://cdn.example.com/a.jpg"
OTHER = "https://cdn.example.com/b.jpg"


async def test_a_photo_caption_and_picture_are_edited_and_a_text_message_refuses_them(
    bot: Bot, emu: BotApiEmulator
) -> None:
    emu.user(7, register=True)
    photo = await bot.send_photo(7, PICTURE, caption="<b>عنوان</b> أول", parse_mode="HTML")
    text = await bot.send_message(7, "نص")
    edited = await bot.edit_message_caption(7, photo.message_id, caption="<b>عنوان</b> مصحح", parse_mode="HTML")
    assert not isinstance(edited, bool) and edited.caption == "عنوان مصحح"
    with pytest.raises(BadRequest, match="not modified"):
        await bot.edit_message_caption(7, photo.message_id, caption="<b>عنوان</b> مصحح", parse_mode="HTML")
    await bot.edit_message_media(
        InputMediaPhoto(OTHER, caption="<b>عنوان</b> مصحح", parse_mode="HTML"), 7, photo.message_id
    )
    assert emu.bot_messages[7][0].photo == OTHER and emu.bot_messages[7][0].text == "عنوان مصحح"
    emu.faults.unfetchable.add("https://cdn.example.com/gone.jpg")
    with pytest.raises(BadRequest, match=r"(?i)failed to get http url content"):
        await bot.edit_message_media(InputMediaPhoto("https://cdn.example.com/gone.jpg"), 7, photo.message_id)

    with pytest.raises(BadRequest):
        await bot.edit_message_text("نص آخر", 7, photo.message_id)
    assert last_refusal(emu) == "Bad Request: there is no text in the message to edit"
    with pytest.raises(BadRequest):
        await bot.edit_message_caption(7, text.message_id, caption="تعليق")
    assert last_refusal(emu) == "Bad Request: there is no caption in the message to edit"
    with pytest.raises(BadRequest):
        await bot.edit_message_media(InputMediaPhoto(PICTURE), 7, text.message_id)
    assert last_refusal(emu) == "Bad Request: there is no media in the message to edit"
    assert [r.method for r in emu.sent] == ["sendPhoto", "sendMessage", "editMessageCaption", "editMessageMedia"]


async def test_past_48_hours_a_message_can_be_neither_edited_nor_deleted(bot: Bot, emu: BotApiEmulator) -> None:
    emu.user(7, register=True)
    old = await bot.send_message(7, "قديم", reply_markup=keyboard([("x", "y")]))
    fresh = await bot.send_message(7, "حديث")
    emu.backdate(7, old.message_id, 48 * 3600)
    emu.backdate(7, fresh.message_id, 47 * 3600)
    with pytest.raises(BadRequest):
        await bot.edit_message_text("قديم مصحح", 7, old.message_id)
    assert last_refusal(emu) == "Bad Request: message can't be edited"
    with pytest.raises(BadRequest):
        await bot.delete_message(7, old.message_id)
    assert last_refusal(emu) == "Bad Request: message can't be deleted for everyone"
    await bot.edit_message_text("حديث مصحح", 7, fresh.message_id)
    assert await bot.delete_message(7, fresh.message_id)
    assert [line.text for line in emu.chat_view(7)] == ["قديم"]
    emu.edit_window = None  # the lenient reading: a bot edits its own messages for ever
    await bot.edit_message_text("قديم مصحح", 7, old.message_id)


async def test_in_strict_mode_edits_count_against_the_per_chat_limit(
    bot: Bot,
    emu: BotApiEmulator,
) -> None:
    emu.user(7, register=True)
    message = await bot.send_message(7, "0")
    for n in range(1, 5):  # the chat's burst of five, the send included
        await bot.edit_message_text(str(n), 7, message.message_id)
    emu.count_edits = True
    emu.limits.reset()
    for n in range(5, 10):
        await bot.edit_message_text(str(n), 7, message.message_id)
    with pytest.raises(RetryAfter):
        await bot.edit_message_text("10", 7, message.message_id)
