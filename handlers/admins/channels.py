"""/channels for NEWSBOT_ADMINS (issue 15): the newsroom's channels, the same actions as
`newsbot channels list|add|remove` (bot/services/chats.py), answered in Arabic."""

from __future__ import annotations

from telegram import Update

from bot.runtime.context import NewsContext
from bot.services.newsroom import Refused
from bot.text.html_split import split_message
from handlers.admins.commands import _admin

_TEMPLATE = "admin_channels.html.j2"


async def channels(update: Update, context: NewsContext) -> None:
    """/channels; /channels add @name_or_id SLUG…; /channels remove @name_or_id."""
    message = update.effective_message
    if not await _admin(update, context) or message is None:
        return
    words = (message.text or "").split()[1:]
    chats = context.chats
    render = context.renderer.render
    try:
        if not words or words == ["list"]:
            text = render(_TEMPLATE, view="list", channels=await chats.channels())
        elif words[0] == "add" and len(words) >= 3:
            user = update.effective_user
            chat = await chats.link_channel(context.bot, words[1], words[2:], user.id if user else None)
            text = render(_TEMPLATE, view="added", chat=chat)
        elif words[0] == "remove" and len(words) == 2:
            text = render(_TEMPLATE, view="removed", chat=await chats.unlink_channel(words[1]))
        else:
            text = render(_TEMPLATE, view="usage")
    except Refused as exc:
        text = render(_TEMPLATE, view="refused", code=exc.code, subject=exc.subject)
    for part in split_message(text):
        await message.reply_text(part)
