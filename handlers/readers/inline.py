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
        content = context.renderer.render("article_inline.html.j2", article=item)
        link = button_url(item.url)
        results.append(
            InlineQueryResultArticle(
                id=str(item.id),
                title=isolate(clean_text(item.headline)[:_TITLE_CHARS]),
                description=replies.plain(context, "inline_description.html.j2", article=item) or None,
                input_message_content=InputTextMessageContent(content, parse_mode=ParseMode.HTML),
                reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("🌐 الخبر على الموقع", url=link)]])
                if link
                else None,
            )
        )
    await query.answer(results, cache_time=30, is_personal=False, next_offset=batch.next_offset)
