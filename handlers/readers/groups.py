"""/topics in a group and its toggles (issue 15): the group's administrators choose the topics the
group follows; anyone else gets a short refusal and nothing changes. Each press asks Telegram
(getChatMember) whether the presser administers the group, so a demoted administrator cannot."""

from __future__ import annotations

from telegram import Chat, ChatMember, Message, Update, User
from telegram.error import TelegramError

from bot.models import ChatKind
from bot.runtime.context import NewsContext
from bot.services.chats import chat_kind
from bot.ui import keyboards
from bot.ui.callbacks import args_of
from handlers.readers import replies

_ADMINS = (ChatMember.OWNER, ChatMember.ADMINISTRATOR)


async def _administers(context: NewsContext, chat: Chat, user: User | None, message: Message | None) -> bool:
    """True when `user` is an administrator of `chat` (an anonymous administrator writes as the group)."""
    if message is not None and message.sender_chat is not None and message.sender_chat.id == chat.id:
        return True
    if user is None:
        return False
    try:
        member = await context.bot.get_chat_member(chat.id, user.id)
    except TelegramError:
        return False
    return member.status in _ADMINS


async def topics(update: Update, context: NewsContext) -> None:
    """/topics (or /topics@bot) in a group: its administrators get the group's topics with toggles."""
    message, chat = update.effective_message, update.effective_chat
    kind = chat_kind(chat.type) if chat is not None else None
    if message is None or chat is None or kind is None or kind is ChatKind.CHANNEL:
        return
    render = context.renderer.render
    if not await _administers(context, chat, update.effective_user, message):
        await message.reply_text(render("group_topics.html.j2", view="refused"))
        return
    user = update.effective_user
    page = await context.chats.group_topics(chat.id, kind, chat.title, chat.username, user.id if user else 0)
    await message.reply_text(
        render("group_topics.html.j2", view="list", page=page), reply_markup=keyboards.group_topics(page)
    )


async def toggle(update: Update, context: NewsContext) -> None:
    """A toggle under the group's topics: only an administrator's press changes anything."""
    await _press(update, context, toggle=True)


async def page(update: Update, context: NewsContext) -> None:
    """Turning the group's topics list."""
    await _press(update, context, toggle=False)


async def _press(update: Update, context: NewsContext, *, toggle: bool) -> None:
    query = update.callback_query
    if query is None:
        return
    message = query.message
    if not isinstance(message, Message) or not context.matches or chat_kind(message.chat.type) is None:
        await query.answer()
        return
    chat = message.chat
    if not await _administers(context, chat, query.from_user, None):
        await query.answer(replies.plain(context, "group_topics.html.j2", view="refused"), show_alert=True)
        return
    args = args_of(context.matches[0])
    number = args[-1]
    if toggle:
        followed = await context.chats.toggle_group_topic(chat.id, args[0])
        if followed is None:
            await query.answer(replies.plain(context, "group_topics.html.j2", view="gone"), show_alert=True)
            return
    view = await context.chats.group_page(chat.id, number)
    text = context.renderer.render("group_topics.html.j2", view="list", page=view)
    await query.edit_message_text(text, reply_markup=keyboards.group_topics(view))
    await query.answer()
