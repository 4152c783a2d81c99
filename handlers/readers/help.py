"""/help: every command, in Arabic."""

from __future__ import annotations

from telegram import Update

from bot.runtime.context import NewsContext


async def help_command(update: Update, context: NewsContext) -> None:
    if update.effective_message is None:
        return
    is_admin = context.news.is_admin(update.effective_user.id if update.effective_user else None)
    # The bot's own @handle (from getMe), for inline sharing in any chat.
    text = context.renderer.render("help.html.j2", is_admin=is_admin, bot_username=context.bot.username)
    await update.effective_message.reply_text(text)
