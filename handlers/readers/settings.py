"""/settings (push mode, digest hours, quiet hours, digits, link previews) and /stop with a confirmation."""

from __future__ import annotations

from telegram import Update

from bot.models import Reader
from bot.runtime.context import NewsContext
from bot.ui import keyboards
from handlers.readers import replies


def render_settings(context: NewsContext, reader: Reader) -> tuple[str, keyboards.InlineKeyboardMarkup]:
    ad = reader.settings.arabic_digits
    text = context.renderer.render("settings.html.j2", s=reader.settings, ad=ad)
    return text, keyboards.settings(reader.settings, ad)


async def settings_command(update: Update, context: NewsContext) -> None:
    message = update.effective_message
    reader = await replies.reader_of(update, context)
    if message is None or reader is None:
        return
    text, markup = render_settings(context, reader)
    await replies.reply(message, reader, text, markup)


async def stop(update: Update, context: NewsContext) -> None:
    message = update.effective_message
    reader = await replies.reader_of(update, context)
    if message is None or reader is None:
        return
    await replies.reply(message, reader, context.renderer.render("stop_confirm.html.j2"), keyboards.stop_confirm())
