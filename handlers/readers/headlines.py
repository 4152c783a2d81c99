"""/latest, /videos, /live and /follow: pages of headlines and the site's channels."""

from __future__ import annotations

from urllib.parse import urlsplit

from telegram import Update

from bot.runtime.context import NewsContext
from bot.ui import keyboards
from bot.ui.callbacks import Action
from bot.ui.pages import headlines_text
from handlers.readers import replies


async def latest(update: Update, context: NewsContext) -> None:
    message = update.effective_message
    reader = await replies.reader_of(update, context)
    if message is None or reader is None:
        return
    ad = reader.settings.arabic_digits
    page = await context.reading.latest(0)
    text = headlines_text(context.renderer, "latest.html.j2", page, ad, replies.zone(context, reader))
    await replies.reply(message, reader, text, keyboards.latest(page, ad))


async def videos(update: Update, context: NewsContext) -> None:
    message = update.effective_message
    reader = await replies.reader_of(update, context)
    if message is None or reader is None:
        return
    ad = reader.settings.arabic_digits
    page = await context.reading.videos(0)
    text = headlines_text(context.renderer, "videos.html.j2", page, ad, replies.zone(context, reader))
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
    tz = replies.zone(context, reader)
    text = headlines_text(context.renderer, "live.html.j2", page, ad, tz, live_url=live_url(context))
    await replies.reply(message, reader, text, keyboards.latest(page, ad, Action.LIVE))


# A channel's button names its platform (by the link's host), else the host itself.
_PLATFORMS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("t.me", "telegram.me"), "✈️ تيليغرام"),
    (("youtube.com", "youtu.be"), "▶️ يوتيوب"),
    (("x.com", "twitter.com"), "𝕏 إكس"),
    (("facebook.com", "fb.com"), "📘 فيسبوك"),
    (("instagram.com",), "📸 إنستغرام"),
    (("tiktok.com",), "🎵 تيك توك"),
    (("whatsapp.com",), "💬 واتساب"),
)


def channel_label(url: str) -> str:
    """«✈️ تيليغرام» for a t.me link, …; another site's link is named by its host."""
    host = (urlsplit(url).hostname or "").removeprefix("www.").removeprefix("m.")
    for hosts, label in _PLATFORMS:
        if any(host == h or host.endswith("." + h) for h in hosts):
            return label
    return "🔗 " + host


def channels(site_url: str, links: tuple[str, ...]) -> list[tuple[str, str]]:
    """The site, then its own channels as the operator configured them (NEWSBOT_FOLLOW_LINKS):
    nothing is made up from the site's address."""
    return [("🌐 الموقع", site_url.rstrip("/") + "/"), *((channel_label(url), url) for url in links)]


async def follow(update: Update, context: NewsContext) -> None:
    """/follow with no word: the words the reader follows, how to follow one, and the site's channels."""
    message = update.effective_message
    reader = await replies.reader_of(update, context)
    if message is None or reader is None:
        return
    words = await context.reading.followed_words(reader.id)
    settings = context.news.settings
    pairs = channels(settings.site_url, settings.follow_links)
    text = context.renderer.render("follow.html.j2", words=words, channels=pairs, s=reader.settings)
    await replies.reply(message, reader, text, keyboards.links(pairs))
