"""/article ID and the article buttons: the whole article, split over several messages when long."""

from __future__ import annotations

from telegram import Update

from bot.models import Article, Reader
from bot.runtime.context import NewsContext
from bot.services.reading import parse_article_id
from bot.text.html_split import split_numbered
from bot.ui import keyboards
from handlers.readers import replies


def button_url(url: str | None) -> str | None:
    """A URL a button may carry (Telegram refuses empty ones and ones with spaces)."""
    if url and url.startswith(("http://", "https://")) and not any(ch.isspace() for ch in url):
        return url
    return None


async def send_article(context: NewsContext, chat_id: int, reader: Reader, article: Article) -> None:
    ad = reader.settings.arabic_digits
    html = context.renderer.render("article.html.j2", article=article, ad=ad)
    parts = split_numbered(html, arabic_digits=ad)
    markup = keyboards.article(article, f"#{article.id}", button_url(article.url))
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        await replies.send(context, chat_id, reader, part, markup if last else None)


async def article_command(update: Update, context: NewsContext) -> None:
    message = update.effective_message
    reader = await replies.reader_of(update, context)
    if message is None or reader is None:
        return
    raw = " ".join(context.args or [])
    article_id = parse_article_id(raw)
    found = await context.reading.article(article_id) if article_id is not None else None
    if found is None:
        await message.reply_text(context.renderer.render("article_missing.html.j2", raw=raw))
        return
    await send_article(context, message.chat_id, reader, found)
