"""/settings (push mode, digest hours, quiet hours, time zone, digits, link previews) and /stop with a confirmation."""

from __future__ import annotations

from telegram import Update

from bot.models import ZONE_CITIES, Reader
from bot.runtime.context import NewsContext
from bot.ui import keyboards
from handlers.readers import replies


def render_settings(
    context: NewsContext, reader: Reader, *, zones: bool = False
) -> tuple[str, keyboards.InlineKeyboardMarkup]:
    """The settings message and its buttons; with `zones`, the cities to choose a time zone from."""
    ad = reader.settings.arabic_digits
    site_zone = context.news.settings.timezone.key
    zone = replies.zone(context, reader)
    city = ZONE_CITIES.get(reader.settings.timezone or site_zone, site_zone)
    now = context.news.clock().astimezone(zone).strftime("%H:%M")
    text = context.renderer.render("settings.html.j2", s=reader.settings, ad=ad, city=city, now=now, zones=zones)
    if zones:
        return text, keyboards.zones(reader.settings.timezone, site_zone)
    return text, keyboards.settings(reader.settings, ad, city)


async def settings_command(update: Update, context: NewsContext) -> None:
    message = update.effective_message
    reader = await replies.reader_of(update, context)
    if message is None or reader is None:
        return
    text, markup = render_settings(context, reader)
    await replies.reply(message, reader, text, markup)


async def stop(update: Update, context: NewsContext) -> None:
    message = update.effective_message
    reader = await replies.reader_of(update, context)
    if message is None or reader is None:
        return
    await replies.reply(message, reader, context.renderer.render("stop_confirm.html.j2"), keyboards.stop_confirm())
