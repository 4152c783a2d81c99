"""The main keyboard's labels («📰 آخر الأخبار», …) work as the commands they stand for."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from telegram import Update

from bot.runtime.context import NewsContext
from bot.ui.keyboards import MAIN_ACTIONS
from handlers.readers import headlines, replies, search, settings, topics

Handler = Callable[[Update, NewsContext], Awaitable[None]]

BY_COMMAND: dict[str, Handler] = {
    "latest": headlines.latest,
    "topics": topics.topics,
    "mysubs": topics.mysubs,
    "search": search.ask_for_words,
    "live": headlines.live,
    "settings": settings.settings_command,
}


async def main_action(update: Update, context: NewsContext) -> None:
    message = update.effective_message
    if message is None or message.text is None:
        return
    command = MAIN_ACTIONS.get(message.text.strip())
    if command is not None:
        replies.memory(context).pop(search.AWAITING, None)  # a tapped action cancels a pending search prompt
        await BY_COMMAND[command](update, context)
