"""Anything the bot does not understand gets a short Arabic answer and the way forward."""

from __future__ import annotations

from telegram import Update

from bot.runtime.context import NewsContext
from handlers.readers import replies


async def unknown_command(update: Update, context: NewsContext) -> None:
    await replies.reader_of(update, context)  # stored on first contact, whatever they wrote
    if update.effective_message is not None:
        await update.effective_message.reply_text(context.renderer.render("unknown_command.html.j2"))


async def unknown_text(update: Update, context: NewsContext) -> None:
    await replies.reader_of(update, context)
    if update.effective_message is not None:
        await update.effective_message.reply_text(context.renderer.render("unknown_text.html.j2"))
