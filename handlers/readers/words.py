"""/follow WORD and /mute WORD: a reader's own words (docs/product.md «Readers»).

`/follow` with no word is the no-argument path (handlers.readers.headlines.follow): this handler
only hands it over, so the two stay separate.
"""

from __future__ import annotations

from telegram import Update

from bot.models import Reader, WordKind
from bot.runtime.context import NewsContext
from bot.services.following import WordAnswer
from handlers.readers import headlines, replies


def render_answer(context: NewsContext, answer: WordAnswer, reader: Reader) -> str:
    return context.renderer.render("word.html.j2", answer=answer, ad=reader.settings.arabic_digits)


async def _word(update: Update, context: NewsContext, kind: WordKind) -> None:
    message = update.effective_message
    reader = await replies.reader_of(update, context)
    if message is None or reader is None or message.text is None:
        return
    _, _, raw = message.text.partition(" ")
    answer = await context.following.add(reader.id, kind, raw)
    await replies.reply(message, reader, render_answer(context, answer, reader))


async def follow_command(update: Update, context: NewsContext) -> None:
    """/follow كلمة follows a word; /follow alone is the no-argument path."""
    message = update.effective_message
    if message is None or message.text is None:
        return
    if not message.text.partition(" ")[2].strip():
        await headlines.follow(update, context)
        return
    await _word(update, context, WordKind.FOLLOW)


async def mute_command(update: Update, context: NewsContext) -> None:
    """/mute كلمة: items matching it are kept out of the reader's pushes and digest."""
    await _word(update, context, WordKind.MUTE)
