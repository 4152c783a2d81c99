"""Small pieces every reader handler shares: who the reader is, sending and editing in place."""

from __future__ import annotations

import html
from typing import Any
from zoneinfo import ZoneInfo

from telegram import Bot, CallbackQuery, InlineKeyboardMarkup, LinkPreviewOptions, Message, Update, User
from telegram.constants import ChatType, ParseMode

from bot.models import Reader, reader_zone
from bot.runtime.context import NewsContext
from bot.runtime.telegram_http import AiohttpRequest
from bot.runtime.workers import shown_keyboard
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
) -> None:
    """Answer the reader's message in its chat."""
    bot = message.get_bot()
    client = _direct(bot)
    if client is None or message.chat.type != ChatType.PRIVATE or message.message_thread_id is not None:
        # PTB's reply_text: quoting in groups, topics' threads
        await message.reply_text(text, reply_markup=markup, link_preview_options=previews(reader))
        return
    await client.call(f"{bot.base_url}/sendMessage", _message(message.chat_id, text, markup, previews(reader)))


async def send(
    context: NewsContext,
    chat_id: int,
    reader: Reader,
    text: str,
    markup: Any = None,
    preview: LinkPreviewOptions | None = None,
) -> int:
    """Send a message to the reader's chat; its message id."""
    preview = preview or previews(reader)
    client = _direct(context.bot)
    if client is None:
        sent = await context.bot.send_message(
            chat_id, text, parse_mode=ParseMode.HTML, reply_markup=markup, link_preview_options=preview
        )
        return sent.message_id
    result = await client.call(f"{context.bot.base_url}/sendMessage", _message(chat_id, text, markup, preview))
    return int(result["message_id"])


async def edit(
    context: NewsContext,
    chat_id: int,
    message_id: int,
    text: str,
    markup: InlineKeyboardMarkup | None,
    preview: LinkPreviewOptions,
) -> None:
    """Show `text` (and `markup`) in a message the bot sent before."""
    await _edit(context.bot, chat_id, message_id, text, markup, preview)


async def _edit(
    bot: Bot, chat_id: int, message_id: int, text: str, markup: InlineKeyboardMarkup | None, preview: LinkPreviewOptions
) -> None:
    client = _direct(bot)
    if client is None:
        await bot.edit_message_text(
            text, chat_id=chat_id, message_id=message_id, reply_markup=markup, link_preview_options=preview
        )
        return
    parameters = _message(chat_id, text, markup, preview)
    parameters["message_id"] = message_id
    await client.call(f"{bot.base_url}/editMessageText", parameters)


async def answer(query: CallbackQuery, text: str | None = None) -> None:
    """Answer a pressed button (with `text` as its notice): the one answer every press gets."""
    bot = query.get_bot()
    client = _direct(bot)
    if client is None:
        await query.answer(text)
        return
    # The direct client as for edits: PTB's answer_callback_query spent about as much CPU again as
    # the call itself turning its arguments into a request (py-spy of bench_updates --only 'page turn').
    parameters: dict[str, Any] = {"callback_query_id": query.id}
    if text:
        parameters["text"] = text
    await client.call(f"{bot.base_url}/answerCallbackQuery", parameters)


def _direct(bot: Bot) -> AiohttpRequest | None:
    """The bot's own HTTP client, for replies whose echoed message is never read (see
    `AiohttpRequest.call`); None for another client (PTB's methods then)."""
    request = bot.request
    return request if isinstance(request, AiohttpRequest) else None


def _message(chat_id: int, text: str, markup: Any, preview: LinkPreviewOptions) -> dict[str, Any]:
    parameters: dict[str, Any] = {"chat_id": chat_id, "text": text, "parse_mode": ParseMode.HTML.value}
    if markup is not None:
        parameters["reply_markup"] = markup.to_dict()
    if preview.is_disabled:
        parameters["link_preview_options"] = {"is_disabled": True}
    else:
        parameters["link_preview_options"] = preview.to_dict()
    return parameters


def _same(message: Message, text: str, markup: InlineKeyboardMarkup | None) -> bool:
    if (message.text or "").strip() != visible_text(text).strip():
        return False  # the usual case: the keyboards need not be turned into dicts to compare
    old_markup = shown_keyboard(message)
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
    await _edit(query.get_bot(), message.chat_id, message.message_id, text, markup, preview or previews(reader))
    return True


def user_of(update: Update) -> User | None:
    return update.effective_user
