"""/start: welcome, the main keyboard, pushes back on."""

from __future__ import annotations

from telegram import Update

from bot import accounts
from bot.context import NewsContext
from bot.keyboards import main_keyboard


async def start(update: Update, context: NewsContext) -> None:
    if update.effective_user is None or update.effective_message is None:
        return
    reader, created = await accounts.welcome(context.store, update.effective_user)
    text = context.renderer.render("start.html.j2", reader=reader, created=created)
    await update.effective_message.reply_text(text, reply_markup=main_keyboard())
