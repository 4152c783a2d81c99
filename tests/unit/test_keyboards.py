"""Keyboard serialises itself exactly as python-telegram-bot's generic `to_dict` would."""

from __future__ import annotations

from telegram import (
    CopyTextButton,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LoginUrl,
    SwitchInlineQueryChosenChat,
    WebAppInfo,
)

from bot.ui.keyboards import Keyboard, main_keyboard, stop_confirm


def test_every_kind_of_button_serialises_as_ptb_does() -> None:
    rows = [
        [InlineKeyboardButton("١", callback_data="1:a:42"), InlineKeyboardButton("التالي ›", callback_data="1:lt:2")],
        [InlineKeyboardButton("🌐 على الموقع", url="https://arabic.rt.com/middle_east/1/")],
        [
            InlineKeyboardButton("📤 مشاركة", switch_inline_query="غزة"),
            InlineKeyboardButton("🔎", switch_inline_query_current_chat=""),
        ],
        [InlineKeyboardButton("نسخ", copy_text=CopyTextButton("نص"))],
        [InlineKeyboardButton("دخول", login_url=LoginUrl("https://example.org/login", forward_text="x"))],
        [InlineKeyboardButton("تطبيق", web_app=WebAppInfo("https://example.org/app"))],
        [
            InlineKeyboardButton(
                "اختر", switch_inline_query_chosen_chat=SwitchInlineQueryChosenChat("q", allow_user_chats=True)
            )
        ],
    ]
    keyboard = Keyboard(rows)
    assert keyboard.to_dict() == InlineKeyboardMarkup.to_dict(keyboard)
    assert keyboard == InlineKeyboardMarkup(rows)


def test_the_bots_keyboards_serialise_as_ptb_does() -> None:
    keyboard = stop_confirm()
    assert isinstance(keyboard, Keyboard)
    assert keyboard.to_dict() == InlineKeyboardMarkup.to_dict(keyboard)
    assert main_keyboard().to_dict()["keyboard"]  # the reply keyboard is PTB's own class


def test_shared_buttons_serialise_as_ptb_does_and_the_cache_stays_bounded(monkeypatch) -> None:
    from bot.services.reading import Page
    from bot.ui import keyboards

    monkeypatch.setattr(keyboards, "_CACHE_SIZE", 8)
    seen = []
    for start in range(0, 40, 10):
        items = [type("Item", (), {"id": start + i})() for i in range(10)]
        page = Page(items=items, page=start // 10, pages=10, total=100)  # type: ignore[arg-type]
        first = keyboards.latest(page, arabic_digits=True)
        again = keyboards.latest(page, arabic_digits=True)
        assert first is not None and again is not None
        assert first.to_dict() == again.to_dict() == InlineKeyboardMarkup.to_dict(first)
        assert len(keyboards._buttons) <= 8 and len(keyboards._json) <= 8
        seen.append(first.to_dict())
    assert seen[0] != seen[1]  # another page's buttons, not a stale cached one
