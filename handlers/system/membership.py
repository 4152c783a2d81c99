"""my_chat_member in private chats: a reader blocking the bot, or unblocking it."""

from __future__ import annotations

from telegram import ChatMember, Update

from bot.runtime.context import NewsContext


async def my_chat_member(update: Update, context: NewsContext) -> None:
    """Blocked → BLOCKED (pending pushes cancelled); unblocked → active again, for new items only."""
    change = update.my_chat_member
    if change is None or change.chat.type != "private":
        return
    if change.new_chat_member.status == ChatMember.BANNED:
        await context.accounts.blocked(change.from_user)
    elif change.new_chat_member.status == ChatMember.MEMBER:
        await context.accounts.unblocked(change.from_user)
