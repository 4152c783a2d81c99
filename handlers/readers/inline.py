"""Inline mode (@bot words): articles offered to share in any chat, paged with the query's offset."""

from __future__ import annotations

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputTextMessageContent,
    Update,
)
from telegram.constants import ParseMode

from bot.delivery.messages import article_link
from bot.runtime.context import NewsContext
from bot.text.arabic import clean_text, isolate
from handlers.readers import replies
from handlers.readers.articles import button_url

_TITLE_CHARS = 200


async def inline_query(update: Update, context: NewsContext) -> None:
    query = update.inline_query
    if query is None:
        return
    batch = await context.reading.inline(query.query, query.offset)
    results = []
    for item in batch.items:
        # The shared message leads back to the article in this bot (a deep link: /start a<ID>).
        bot_link = article_link(context.bot.username, item.id)
        content = context.renderer.render("article_inline.html.j2", article=item, bot_link=bot_link)
        link = button_url(item.url)
        buttons = [InlineKeyboardButton("📲 في البوت", url=bot_link)]
        if link:
            buttons.append(InlineKeyboardButton("🌐 الخبر على الموقع", url=link))
        results.append(
            InlineQueryResultArticle(
                id=str(item.id),
                title=isolate(clean_text(item.headline)[:_TITLE_CHARS]),
                description=replies.plain(context, "inline_description.html.j2", article=item) or None,
                input_message_content=InputTextMessageContent(content, parse_mode=ParseMode.HTML),
                reply_markup=InlineKeyboardMarkup([buttons]),
            )
        )
    await query.answer(results, cache_time=30, is_personal=False, next_offset=batch.next_offset)
