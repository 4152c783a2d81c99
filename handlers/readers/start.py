"""/start: welcome, the main keyboard, pushes back on; deep links a<ID> (an article) and t<SLUG> (a topic)."""

from __future__ import annotations

import re

from telegram import Update

from bot.runtime.context import NewsContext
from bot.ui import keyboards
from handlers.readers import articles, replies

_ARTICLE = re.compile(r"a(\d{1,12})")
_TOPIC = re.compile(r"t([a-z0-9-]{1,63})")


async def start(update: Update, context: NewsContext) -> None:
    message = update.effective_message
    if update.effective_user is None or message is None:
        return
    reader, created = await context.accounts.welcome(update.effective_user, replies.memory(context))
    payload = context.args[0] if context.args else ""
    if payload:
        if match := _ARTICLE.fullmatch(payload):
            found = await context.reading.article(int(match.group(1)))
            if found is not None:
                await articles.send_article(context, message.chat_id, reader, found)
                return
        elif match := _TOPIC.fullmatch(payload):
            view = await context.reading.topic_by_slug(reader.id, match.group(1))
            if view is not None:
                text = context.renderer.render(
                    "topic_offer.html.j2",
                    view=view,
                    ad=reader.settings.arabic_digits,
                    tz=replies.zone(context, reader),
                    s=reader.settings,
                )
                await replies.reply(message, reader, text, keyboards.topic(view, reader.settings.arabic_digits))
                return
    text = context.renderer.render("start.html.j2", reader=reader, created=created, bad_payload=bool(payload))
    await message.reply_text(text, reply_markup=keyboards.main_keyboard())
