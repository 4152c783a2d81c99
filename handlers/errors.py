"""The error handler: one log line with the update id; the reader gets Arabic, never a traceback."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import Forbidden, TelegramError

from bot.context import NewsContext

log = logging.getLogger("newsbot.errors")


async def on_error(update: object, context: NewsContext) -> None:
    error = context.error
    update_id = update.update_id if isinstance(update, Update) else None
    log.error("update %s failed: %s: %s", update_id, type(error).__name__, str(error).replace("\n", " ")[:300])
    if not isinstance(update, Update) or isinstance(error, Forbidden):
        return
    try:
        if update.callback_query is not None:
            await update.callback_query.answer(context.renderer.render_plain("error_short.html.j2"), show_alert=False)
        elif update.effective_message is not None:
            await update.effective_message.reply_text(context.renderer.render("error.html.j2"))
    except TelegramError as exc:  # the reader may be gone; nothing more to do than say so once
        log.warning("update %s: could not tell the reader about the error: %s", update_id, exc)
