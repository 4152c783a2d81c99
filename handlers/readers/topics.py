"""/topics and /mysubs: stories and sections with their counts, subscribing with one tap."""

from __future__ import annotations

from telegram import Update

from bot.runtime.context import NewsContext
from bot.ui import keyboards
from handlers.readers import replies


async def topics(update: Update, context: NewsContext) -> None:
    message = update.effective_message
    reader = await replies.reader_of(update, context)
    if message is None or reader is None:
        return
    view = await context.reading.topics(reader.id, 0)
    text = context.renderer.render("topics.html.j2", view=view, ad=reader.settings.arabic_digits)
    await replies.reply(message, reader, text, keyboards.topics(view))


async def mysubs(update: Update, context: NewsContext) -> None:
    message = update.effective_message
    reader = await replies.reader_of(update, context)
    if message is None or reader is None:
        return
    mine = await context.following.mysubs(reader.id)
    text = context.renderer.render("mysubs.html.j2", mine=mine, ad=reader.settings.arabic_digits, s=reader.settings)
    await replies.reply(message, reader, text, keyboards.mysubs(mine))
