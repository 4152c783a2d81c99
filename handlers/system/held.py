"""Before any handler: an update of a chat whose earlier updates are held while the store is away
waits behind them (bot/runtime/held.py), so a chat's updates are answered in the order they came."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ApplicationHandlerStop

from bot.runtime.context import NewsContext


async def wait_in_turn(update: Update, context: NewsContext) -> None:
    held = context.news.held
    if held is not None and held.waits(update):
        raise ApplicationHandlerStop
