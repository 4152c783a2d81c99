"""my_chat_member in private chats: a reader blocking the bot, or unblocking it."""

from __future__ import annotations

from telegram import ChatMember, Update

from bot.context import NewsContext
from bot.models import ReaderStatus


async def my_chat_member(update: Update, context: NewsContext) -> None:
    """Blocked → BLOCKED (pending pushes cancelled); unblocked → active again, for new items only."""
    change = update.my_chat_member
    if change is None or change.chat.type != "private":
        return
    user = change.from_user
    readers = context.store.readers
    if change.new_chat_member.status == ChatMember.BANNED:
        await readers.get_or_create(user.id, user.first_name, user.username)
        await readers.set_status(user.id, ReaderStatus.BLOCKED)
    elif change.new_chat_member.status == ChatMember.MEMBER:
        reader, _ = await readers.get_or_create(user.id, user.first_name, user.username)
        if reader.status is ReaderStatus.BLOCKED:
            await readers.set_status(user.id, ReaderStatus.ACTIVE)
