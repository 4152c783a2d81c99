"""Small pieces every reader handler shares: who the reader is, sending and editing in place."""

from __future__ import annotations

import html
from typing import Any
from zoneinfo import ZoneInfo

from telegram import CallbackQuery, InlineKeyboardMarkup, LinkPreviewOptions, Message, Update, User
from telegram.constants import ParseMode

from bot.models import Reader, reader_zone
from bot.runtime.context import NewsContext
from bot.text.html_split import visible_text


async def reader_of(update: Update, context: NewsContext) -> Reader | None:
    """The reader behind this update, stored on first contact (a read only, once names are stored)."""
    user = update.effective_user
    if user is None:
        return None
    return await context.accounts.known(user, memory(context))


def memory(context: NewsContext) -> dict[Any, Any]:
    """The reader's in-memory state (PTB's user_data); a throwaway dict for updates without a user."""
    return context.user_data if context.user_data is not None else {}


def zone(context: NewsContext, reader: Reader) -> ZoneInfo:
    """The reader's clock: the zone they chose in /settings, else the site's (NEWSBOT_TIMEZONE)."""
    return reader_zone(reader.settings.timezone, context.news.settings.timezone)


def previews(reader: Reader) -> LinkPreviewOptions:
    """The reader's link-preview setting, for every message that may carry a link."""
    return LinkPreviewOptions(is_disabled=not reader.settings.link_previews)


def plain(context: NewsContext, template: str, **values: Any) -> str:
    """A template rendered for a plain-text field (callback answers, inline titles): no HTML escapes."""
    return html.unescape(context.renderer.render(template, **values)).strip()


async def reply(
    message: Message,
    reader: Reader,
    text: str,
    markup: Any = None,
) -> Message:
    return await message.reply_text(text, reply_markup=markup, link_preview_options=previews(reader))


async def send(context: NewsContext, chat_id: int, reader: Reader, text: str, markup: Any = None) -> Message:
    return await context.bot.send_message(
        chat_id, text, parse_mode=ParseMode.HTML, reply_markup=markup, link_preview_options=previews(reader)
    )


def _same(message: Message, text: str, markup: InlineKeyboardMarkup | None) -> bool:
    if (message.text or "").strip() != visible_text(text).strip():
        return False  # the usual case: the keyboards need not be turned into dicts to compare
    old_markup = message.reply_markup.to_dict() if message.reply_markup else None
    new_markup = markup.to_dict() if markup and markup.inline_keyboard else None
    return old_markup == new_markup


async def edit_in_place(
    query: CallbackQuery,
    reader: Reader,
    text: str,
    markup: InlineKeyboardMarkup | None,
    preview: LinkPreviewOptions | None = None,
) -> bool:
    """Edit the button's message to show `text`; nothing is sent when it already shows it. True if edited."""
    message = query.message
    if not isinstance(message, Message) or _same(message, text, markup):
        return False
    await query.edit_message_text(text, reply_markup=markup, link_preview_options=preview or previews(reader))
    return True


def user_of(update: Update) -> User | None:
    return update.effective_user
