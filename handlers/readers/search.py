"""/search words, the «🔎 بحث» button (the next plain text is the query) and paged results."""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

from telegram import ForceReply, Message, Update

from bot.models import Reader
from bot.runtime.context import NewsContext
from bot.services.following import can_follow
from bot.services.reading import MAX_QUERY_CHARS
from bot.ui import keyboards
from handlers.readers import replies, unknown

AWAITING = "awaiting_search"  # user_data flag: the next plain text is a search query
_SEARCHES = "searches"  # user_data: token → query, for the page buttons
_SEQ = "search_seq"
_KEEP = 16  # queries remembered per reader for their page buttons


def remember(user_data: MutableMapping[Any, Any], query: str) -> int:
    """A small token standing for `query` in page buttons (callback data carries ids, not text)."""
    searches = user_data.setdefault(_SEARCHES, {})
    assert isinstance(searches, dict)
    seq = user_data.get(_SEQ, 0)
    token = (seq if isinstance(seq, int) else 0) + 1
    user_data[_SEQ] = token
    searches[token] = query
    for old in [t for t in searches if t <= token - _KEEP]:
        del searches[old]
    return token


def recall(user_data: MutableMapping[Any, Any], token: int) -> str | None:
    searches = user_data.get(_SEARCHES)
    found = searches.get(token) if isinstance(searches, dict) else None
    return found if isinstance(found, str) else None


def followable(query: str) -> str | None:
    """The query, when «🔔 تابع «…»» can follow it as it is."""
    return query if can_follow(query) else None


async def run_search(message: Message, context: NewsContext, reader: Reader, query: str) -> None:
    ad = reader.settings.arabic_digits
    outcome = await context.reading.search(query, 0)
    tz = replies.zone(context, reader)
    text = context.renderer.render("search.html.j2", outcome=outcome, ad=ad, max_chars=MAX_QUERY_CHARS, tz=tz)
    markup = None
    if outcome.page is not None and (outcome.page.total or can_follow(outcome.query)):
        token = remember(replies.memory(context), outcome.query)
        markup = keyboards.search(outcome.page, token, ad, followable(outcome.query))
    await replies.reply(message, reader, text, markup)


async def search_command(update: Update, context: NewsContext) -> None:
    message = update.effective_message
    reader = await replies.reader_of(update, context)
    if message is None or reader is None or message.text is None:
        return
    _, _, query = message.text.partition(" ")
    await run_search(message, context, reader, query)


async def ask_for_words(update: Update, context: NewsContext) -> None:
    """The «🔎 بحث» button: ask for the words; the reader's next plain text is the query."""
    message = update.effective_message
    reader = await replies.reader_of(update, context)
    if message is None or reader is None:
        return
    replies.memory(context)[AWAITING] = True
    text = context.renderer.render("search_prompt.html.j2")
    await message.reply_text(text, reply_markup=ForceReply(input_field_placeholder="كلمات البحث"))


async def plain_text(update: Update, context: NewsContext) -> None:
    """A plain text: the query the reader was asked for, else the unknown-text answer."""
    message = update.effective_message
    if message is None or message.text is None:
        return
    if replies.memory(context).pop(AWAITING, False):
        reader = await replies.reader_of(update, context)
        if reader is not None:
            await run_search(message, context, reader, message.text)
        return
    await unknown.unknown_text(update, context)
