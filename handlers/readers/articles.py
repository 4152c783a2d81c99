"""/article ID and the article buttons: the whole article in one message, its picture above it, a
long one paged in place with «‹ السابق» / «التالي ›». An item whose page has not been read yet shows
its lead at once and is completed in the same message when the page's text arrives."""

from __future__ import annotations

from telegram import LinkPreviewOptions, Update

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


def picture(reader: Reader, article: Article) -> LinkPreviewOptions:
    """The article's picture above its text (a large link preview of the image); without one, the
    reader's own link-preview setting."""
    image = button_url(article.image_url)
    if image is None:
        return replies.previews(reader)
    return LinkPreviewOptions(is_disabled=False, url=image, prefer_large_media=True, show_above_text=True)


def article_pages(context: NewsContext, reader: Reader, article: Article, *, waiting: bool = False) -> list[str]:
    """The article rendered and cut into pages within Telegram's limit, numbered «(2/5)» when more
    than one (never inside a word, a link or a tag: bot.text.html_split)."""
    ad = reader.settings.arabic_digits
    tz = replies.zone(context, reader)
    html = context.renderer.render("article.html.j2", article=article, ad=ad, waiting=waiting, tz=tz)
    return split_numbered(html, arabic_digits=ad)


def article_view(
    context: NewsContext, reader: Reader, article: Article, page: int = 0, *, waiting: bool = False
) -> tuple[str, keyboards.Keyboard, LinkPreviewOptions]:
    """Page `page` of the article (clamped): its text, its keyboard, its picture."""
    pages = article_pages(context, reader, article, waiting=waiting)
    page = min(max(page, 0), len(pages) - 1)
    markup = keyboards.article(article, f"#{article.id}", button_url(article.url), page, len(pages))
    return pages[page], markup, picture(reader, article)


async def send_article(context: NewsContext, chat_id: int, reader: Reader, article: Article) -> None:
    waiting = context.reading.will_complete(article)
    text, markup, preview = article_view(context, reader, article, waiting=waiting)
    sent = await replies.send(context, chat_id, reader, text, markup, preview)
    if waiting:
        await complete(context, reader, article, chat_id, sent)


async def complete(context: NewsContext, reader: Reader, article: Article, chat_id: int, message_id: int) -> None:
    """The lead is on screen: read the page now, then show the whole article (or the note that the
    full text is on the site) in the same message."""
    done = await context.reading.complete(article)
    text, markup, preview = article_view(context, reader, done)
    await replies.edit(context, chat_id, message_id, text, markup, preview)


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
