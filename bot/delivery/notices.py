"""Telling people what happened to a channel or group (issue 15): the editors (NEWSBOT_ADMINS) and
whoever linked the chat learn, in their private chat with the bot, that posting there paused or
resumed. Used by the membership handler and by the delivery worker when Telegram refuses a post."""

from __future__ import annotations

import logging

from telegram import Bot
from telegram.error import TelegramError

from bot.services.chats import MembershipNotice
from bot.ui.render import Renderer

log = logging.getLogger(__name__)


async def tell_admins(bot: Bot, renderer: Renderer, notice: MembershipNotice) -> int:
    """One message to each person to tell; returns how many got it (one who never opened a chat
    with the bot, or blocked it, is skipped and logged)."""
    if not notice.tell:
        return 0
    text = renderer.render("chat_notice.html.j2", notice=notice, chat=notice.chat)
    told = 0
    for user_id in notice.tell:
        try:
            await bot.send_message(user_id, text)
        except TelegramError as exc:
            log.info("could not tell %d that chat %d was %s: %s", user_id, notice.chat.id, notice.event, exc)
            continue
        told += 1
    return told
