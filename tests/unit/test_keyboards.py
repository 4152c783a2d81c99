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
