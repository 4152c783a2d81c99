"""Keyboards readers see. Labels are Arabic; the main actions' labels also work as commands."""

from __future__ import annotations

from telegram import KeyboardButton, ReplyKeyboardMarkup

# label → command it stands for (PRODUCT.md's «button label» column)
MAIN_ACTIONS: dict[str, str] = {
    "📰 آخر الأخبار": "latest",
    "🗂 المواضيع": "topics",
    "⭐ اشتراكاتي": "mysubs",
    "🔎 بحث": "search",
    "🔴 مباشر": "live",
    "⚙️ الإعدادات": "settings",
}


def main_keyboard() -> ReplyKeyboardMarkup:
    labels = list(MAIN_ACTIONS)
    rows = [[KeyboardButton(label) for label in labels[i : i + 2]] for i in range(0, len(labels), 2)]
    return ReplyKeyboardMarkup(rows, resize_keyboard=True, is_persistent=True)
