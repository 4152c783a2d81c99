"""The error handler: one log record per failure; the reader gets Arabic, never a traceback.

Every error PTB catches reaches this handler (a handler's, a job's, getUpdates'), and PTB logs
nothing itself once an error handler is registered, so this is the one place each is logged: an
unexpected one with its traceback on the record, an expected one (Telegram unreachable or
refusing a reader who left, the store busy) in one line.

The store away (StoreUnavailable) is said once by the store itself (bot/store/health.py): here a
DEBUG line. A reader's update that met it is held and handled again when the store is back
(bot/runtime/held.py), not answered with the error message; a job tries again at its next run.
"""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.ext import ApplicationHandlerStop

from bot.runtime.context import NewsContext
from bot.store import StoreBusy, StoreUnavailable

log = logging.getLogger("newsbot.errors")

# Telegram's answers and the store's states the bot meets in normal life: a traceback would tell nothing more.
EXPECTED = (Forbidden, NetworkError, RetryAfter, StoreBusy, StoreUnavailable)


async def on_error(update: object, context: NewsContext) -> None:
    error = context.error
    update_id = update.update_id if isinstance(update, Update) else None
    what = f"update {update_id}" if update_id is not None else f"job {context.job.name}" if context.job else "polling"
    metrics = context.news.metrics
    if metrics is not None and error is not None:
        if isinstance(update, Update):
            metrics.failed(update)
        metrics.store_error("job" if context.job else "update", error)
    reason = str(error)[:300]
    held = context.news.held
    if isinstance(error, StoreUnavailable):
        if isinstance(update, Update) and held is not None and held.hold(update):
            log.debug("%s held: the store is away (%s)", what, reason)
            raise ApplicationHandlerStop  # handled again from the start when the store is back
        if not isinstance(update, Update):  # a job: it runs again
            log.debug("%s failed: the store is away (%s)", what, reason)
            return
    if isinstance(error, EXPECTED):
        log.warning("%s failed: %s: %s", what, type(error).__name__, reason)
    else:
        log.error("%s failed: %s: %s", what, type(error).__name__, reason, exc_info=error)
    if not isinstance(update, Update) or isinstance(error, Forbidden):
        return
    try:
        if update.callback_query is not None:
            await update.callback_query.answer(context.renderer.render_plain("error_short.html.j2"), show_alert=False)
        elif update.effective_message is not None:
            await update.effective_message.reply_text(context.renderer.render("error.html.j2"))
    except TelegramError as exc:  # the reader may be gone; nothing more to do than say so once
        log.warning("update %s: could not tell the reader about the error: %s", update_id, exc)
