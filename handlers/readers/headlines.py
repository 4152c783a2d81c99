"""/latest, /videos, /live and /follow: pages of headlines and the site's channels."""

from __future__ import annotations

from telegram import Update

from bot.runtime.context import NewsContext
from bot.ui import keyboards
from bot.ui.callbacks import Action
from handlers.readers import replies


async def latest(update: Update, context: NewsContext) -> None:
    message = update.effective_message
    reader = await replies.reader_of(update, context)
    if message is None or reader is None:
        return
    ad = reader.settings.arabic_digits
    page = await context.reading.latest(0)
    text = context.renderer.render("latest.html.j2", page=page, ad=ad, tz=replies.zone(context, reader))
    await replies.reply(message, reader, text, keyboards.latest(page, ad))


async def videos(update: Update, context: NewsContext) -> None:
    message = update.effective_message
    reader = await replies.reader_of(update, context)
    if message is None or reader is None:
        return
    ad = reader.settings.arabic_digits
    page = await context.reading.videos(0)
    text = context.renderer.render("videos.html.j2", page=page, ad=ad, tz=replies.zone(context, reader))
    await replies.reply(message, reader, text, keyboards.latest(page, ad, Action.VIDEOS))


def live_url(context: NewsContext) -> str:
    return context.news.settings.site_url.rstrip("/") + "/live/"


async def live(update: Update, context: NewsContext) -> None:
    message = update.effective_message
    reader = await replies.reader_of(update, context)
    if message is None or reader is None:
        return
    ad = reader.settings.arabic_digits
    page = await context.reading.live(0)
    text = context.renderer.render(
        "live.html.j2", page=page, ad=ad, live_url=live_url(context), tz=replies.zone(context, reader)
    )
    await replies.reply(message, reader, text, keyboards.latest(page, ad, Action.LIVE))


def channels(site_url: str) -> list[tuple[str, str]]:
    """The site's channels, from its address (as the site's «أين يمكنك متابعتنا» strip lists them)."""
    site = site_url.rstrip("/")
    host = site.split("://", 1)[-1].split("/", 1)[0]
    name = host.split(".")[-2] if host.count(".") >= 1 else host
    return [
        ("🌐 الموقع", site + "/"),
        ("📡 البث المباشر", site + "/live/"),
        ("📰 خلاصة RSS", site + "/rss/"),
        ("✈️ تيليغرام", f"https://t.me/{name}_arabic"),
        ("▶️ يوتيوب", f"https://www.youtube.com/@{name}arabic"),
        ("𝕏 إكس", f"https://x.com/{name}_arabic"),
    ]


async def follow(update: Update, context: NewsContext) -> None:
    message = update.effective_message
    reader = await replies.reader_of(update, context)
    if message is None or reader is None:
        return
    pairs = channels(context.news.settings.site_url)
    text = context.renderer.render("follow.html.j2", channels=pairs)
    await replies.reply(message, reader, text, keyboards.links(pairs))
