"""my_chat_member: a reader blocking or unblocking the bot in a private chat; in a group or channel
(issue 15), the bot added, promoted, restricted or removed: posting there pauses or resumes and
the admins are told. A group upgraded to a supergroup moves with its subscriptions."""

from __future__ import annotations

from telegram import ChatMember, Update

from bot.delivery.notices import tell_admins
from bot.runtime.context import NewsContext
from bot.services.chats import chat_kind


async def my_chat_member(update: Update, context: NewsContext) -> None:
    """Blocked → BLOCKED (pending pushes cancelled); unblocked → active again, for new items only."""
    change = update.my_chat_member
    if change is None:
        return
    if change.chat.type != "private":
        await _chat_membership(update, context)
        return
    if change.new_chat_member.status == ChatMember.BANNED:
        await context.accounts.blocked(change.from_user)
    elif change.new_chat_member.status == ChatMember.MEMBER:
        await context.accounts.unblocked(change.from_user)


async def _chat_membership(update: Update, context: NewsContext) -> None:
    change = update.my_chat_member
    assert change is not None
    chat = change.chat
    kind = chat_kind(chat.type)
    if kind is None:
        return
    by_user = change.from_user.id if change.from_user else None
    notice = await context.chats.membership(chat.id, kind, chat.title, chat.username, change.new_chat_member, by_user)
    if notice is None:
        return
    if notice.event == "added":  # a word in the group on how its administrators choose topics
        await context.bot.send_message(
            chat.id, context.renderer.render("group_welcome.html.j2", bot_username=context.bot.username)
        )
        return
    await tell_admins(context.bot, context.renderer, notice)


async def migrated(update: Update, context: NewsContext) -> None:
    """The service messages of a group's upgrade: its subscriptions move to the supergroup's id."""
    message = update.effective_message
    if message is None:
        return
    if message.migrate_to_chat_id is not None:
        await context.chats.migrated(message.chat.id, message.migrate_to_chat_id)
    elif message.migrate_from_chat_id is not None:
        await context.chats.migrated(message.migrate_from_chat_id, message.chat.id)
