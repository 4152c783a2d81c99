"""The readers' inline buttons, one handler per action: each does one thing and answers the callback
exactly once.

The composition root routes a button here by its action's pattern on the versioned callback data
(``bot.ui.callbacks.pattern``); the arguments come from that match. A stale (older version), foreign
or malformed button reaches :func:`stale` last: a short Arabic notice, and nothing changes.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from telegram import CallbackQuery, Message, Update

from bot.models import Reader, Topic, WordKind
from bot.runtime.context import NewsContext
from bot.services.reading import MAX_QUERY_CHARS, Page, Reading, Setting, TopicsPage
from bot.ui import keyboards
from bot.ui.callbacks import Action, args_of
from bot.ui.pages import headlines_text
from handlers.readers import articles, replies, search, settings
from handlers.readers.headlines import live_url
from handlers.readers.words import render_answer as render_word

Notice = tuple[str, dict[str, str]] | None  # (notice kind, template values) for the callback answer
ButtonAction = Callable[[CallbackQuery, Message, tuple[int, ...], Reader, NewsContext], Awaitable[Notice]]
ButtonHandler = Callable[[Update, NewsContext], Coroutine[Any, Any, None]]

_STALE: Notice = ("stale", {})
_MISSING: Notice = ("missing", {})


def _button(action: ButtonAction) -> ButtonHandler:
    """The handler for one action: the reader, the button's arguments, the action, one answer."""

    async def handle(update: Update, context: NewsContext) -> None:
        query = update.callback_query
        if query is None:
            return
        reader = await replies.reader_of(update, context)
        notice = _STALE
        if reader is not None and isinstance(query.message, Message) and context.matches:
            notice = await action(query, query.message, args_of(context.matches[0]), reader, context)
        await _answer(query, context, notice)

    return handle


async def stale(update: Update, context: NewsContext) -> None:
    """Any button no action matched: an older version's, forged or unknown data."""
    query = update.callback_query
    if query is None:
        return
    await replies.reader_of(update, context)  # stored on first contact, whatever they pressed
    await _answer(query, context, _STALE)


async def _answer(query: CallbackQuery, context: NewsContext, notice: Notice) -> None:
    text = replies.plain(context, "callback_notice.html.j2", kind=notice[0], **notice[1]) if notice else None
    await replies.answer(query, text or None)


# -- pages of headlines ---------------------------------------------------------------------------


def _headlines(action: Action, template: str, fetch: Callable[[Reading, int], Awaitable[Page]]) -> ButtonHandler:
    """The handler turning a page of headlines (the latest, videos, live) in place."""

    async def turn(
        query: CallbackQuery, message: Message, args: tuple[int, ...], reader: Reader, context: NewsContext
    ) -> Notice:
        page = await fetch(context.reading, args[0])
        ad = reader.settings.arabic_digits
        tz = replies.zone(context, reader)
        text = headlines_text(context.renderer, template, page, ad, tz, live_url=live_url(context))
        await replies.edit_in_place(query, reader, text, keyboards.latest(page, ad, action))
        return None

    return _button(turn)


latest_page = _headlines(Action.LATEST, "latest.html.j2", Reading.latest)
videos_page = _headlines(Action.VIDEOS, "videos.html.j2", Reading.videos)
live_page = _headlines(Action.LIVE, "live.html.j2", Reading.live)


@_button
async def article(
    query: CallbackQuery, message: Message, args: tuple[int, ...], reader: Reader, context: NewsContext
) -> Notice:
    found = await context.reading.article(args[0])
    if found is None:
        return _MISSING
    await articles.send_article(context, message.chat_id, reader, found)
    return None


@_button
async def pushed_article(
    query: CallbackQuery, message: Message, args: tuple[int, ...], reader: Reader, context: NewsContext
) -> Notice:
    """A push's «📖 اقرأ الخبر كاملًا» (or a digest's numbered button): the article, counted as opened from a push."""
    found = await context.reading.article_from_push(reader.id, args[0])
    if found is None:
        return _MISSING
    await articles.send_article(context, message.chat_id, reader, found)
    return None


@_button
async def article_page(
    query: CallbackQuery, message: Message, args: tuple[int, ...], reader: Reader, context: NewsContext
) -> Notice:
    found = await context.reading.article(args[0])
    if found is None:
        return _MISSING
    text, markup, preview = articles.article_view(context, reader, found, args[1])
    await replies.edit_in_place(query, reader, text, markup, preview)
    return None


# -- topics ---------------------------------------------------------------------------------------


async def _show_topics(query: CallbackQuery, reader: Reader, context: NewsContext, view: TopicsPage) -> None:
    text = context.renderer.render("topics.html.j2", view=view, ad=reader.settings.arabic_digits)
    await replies.edit_in_place(query, reader, text, keyboards.topics(view))


async def _sub_notice(context: NewsContext, topic_id: int, subscribed: bool, shown: Topic | None = None) -> Notice:
    """The callback answer naming the topic: the one just shown when it is that topic, else read."""
    found = shown if shown is not None and shown.id == topic_id else await context.reading.topic_by_id(topic_id)
    name = found.name if found else ""
    return ("subscribed" if subscribed else "unsubscribed", {"name": name})


@_button
async def topics_page(
    query: CallbackQuery, message: Message, args: tuple[int, ...], reader: Reader, context: NewsContext
) -> Notice:
    await _show_topics(query, reader, context, await context.reading.topics(reader.id, args[0]))
    return None


@_button
async def topic_toggle(
    query: CallbackQuery, message: Message, args: tuple[int, ...], reader: Reader, context: NewsContext
) -> Notice:
    """(Un)subscribe on the topics list (topic id, list page)."""
    topic_id, page = args
    toggled = await context.reading.toggle_listed(reader.id, topic_id, page)
    if toggled is None:
        return _MISSING
    await _show_topics(query, reader, context, toggled.view)
    return (
        "subscribed" if toggled.subscribed else "unsubscribed",
        {"name": toggled.topic.name if toggled.topic else ""},
    )


async def _topic(
    query: CallbackQuery,
    message: Message,
    reader: Reader,
    context: NewsContext,
    topic_id: int,
    page: int,
    *,
    toggle: bool = False,
    as_new_message: bool = False,
) -> Notice:
    reading = context.reading
    subscribed: bool | None = None
    if toggle:
        subscribed = await reading.toggle(reader.id, topic_id)
        if subscribed is None:
            return _MISSING
    view = await reading.topic(reader.id, topic_id, page)
    if view is None:
        return _MISSING
    notice = None if subscribed is None else await _sub_notice(context, topic_id, subscribed, view.topic)
    ad = reader.settings.arabic_digits
    tz = replies.zone(context, reader)
    text = context.renderer.render("topic.html.j2", view=view, ad=ad, tz=tz, s=reader.settings)
    markup = keyboards.topic(view, ad)
    if as_new_message:
        await replies.send(context, message.chat_id, reader, text, markup)
    else:
        await replies.edit_in_place(query, reader, text, markup)
    return notice


@_button
async def topic_open(
    query: CallbackQuery, message: Message, args: tuple[int, ...], reader: Reader, context: NewsContext
) -> Notice:
    """A topic's latest, sent as a new message (topic id)."""
    return await _topic(query, message, reader, context, args[0], 0, as_new_message=True)


@_button
async def topic_page(
    query: CallbackQuery, message: Message, args: tuple[int, ...], reader: Reader, context: NewsContext
) -> Notice:
    """Turn a topic's page (topic id, page)."""
    return await _topic(query, message, reader, context, args[0], args[1])


@_button
async def topic_subscribe(
    query: CallbackQuery, message: Message, args: tuple[int, ...], reader: Reader, context: NewsContext
) -> Notice:
    """(Un)subscribe on the topic's page (topic id, page)."""
    return await _topic(query, message, reader, context, args[0], args[1], toggle=True)


@_button
async def mysubs_remove(
    query: CallbackQuery, message: Message, args: tuple[int, ...], reader: Reader, context: NewsContext
) -> Notice:
    mine = await context.following.remove_topic(reader.id, args[0])
    text = context.renderer.render("mysubs.html.j2", mine=mine, ad=reader.settings.arabic_digits, s=reader.settings)
    await replies.edit_in_place(query, reader, text, keyboards.mysubs(mine))
    return None


@_button
async def word_remove(
    query: CallbackQuery, message: Message, args: tuple[int, ...], reader: Reader, context: NewsContext
) -> Notice:
    """Remove a followed or muted word from /mysubs (word id)."""
    mine = await context.following.remove_word(reader.id, args[0])
    if mine is None:
        return _MISSING
    text = context.renderer.render("mysubs.html.j2", mine=mine, ad=reader.settings.arabic_digits, s=reader.settings)
    await replies.edit_in_place(query, reader, text, keyboards.mysubs(mine))
    return ("removed", {})


# -- search, settings, stop -----------------------------------------------------------------------


@_button
async def search_page(
    query: CallbackQuery, message: Message, args: tuple[int, ...], reader: Reader, context: NewsContext
) -> Notice:
    """Turn a page of search results (remembered query token, page)."""
    token, page = args
    words = search.recall(replies.memory(context), token)
    if words is None:
        return ("search_expired", {})
    outcome = await context.reading.search(words, page)
    if outcome.page is None:
        return ("search_expired", {})
    ad = reader.settings.arabic_digits
    tz = replies.zone(context, reader)
    text = context.renderer.render("search.html.j2", outcome=outcome, ad=ad, max_chars=MAX_QUERY_CHARS, tz=tz)
    markup = keyboards.search(outcome.page, token, ad, search.followable(outcome.query))
    await replies.edit_in_place(query, reader, text, markup)
    return None


@_button
async def search_follow(
    query: CallbackQuery, message: Message, args: tuple[int, ...], reader: Reader, context: NewsContext
) -> Notice:
    """«🔔 تابع «…»» under search results: follow the searched words (remembered query token), answered
    in a new message (the results stay)."""
    words = search.recall(replies.memory(context), args[0])
    if words is None:
        return ("search_expired", {})
    answer = await context.following.add(reader.id, WordKind.FOLLOW, words)
    await replies.send(context, message.chat_id, reader, render_word(context, answer, reader))
    return None


@_button
async def setting(
    query: CallbackQuery, message: Message, args: tuple[int, ...], reader: Reader, context: NewsContext
) -> Notice:
    """Change one setting (field, value); the time zone's button shows the cities to choose from."""
    field, value = args
    changed = await context.reading.change_setting(reader, field, value)
    if changed is None:
        return _STALE
    if isinstance(changed, str):  # refused, with the reason (the digest's last hour)
        return (changed, {})
    if field == Setting.ZONES:  # the cities, or back to the settings: only the view changes
        text, markup = settings.render_settings(context, reader, zones=value == 1)
        await replies.edit_in_place(query, reader, text, markup)
        return None
    if changed is reader:
        return ("unchanged", {})
    text, markup = settings.render_settings(context, changed)
    await replies.edit_in_place(query, changed, text, markup)
    return ("saved", {})


@_button
async def stop(
    query: CallbackQuery, message: Message, args: tuple[int, ...], reader: Reader, context: NewsContext
) -> Notice:
    """/stop's confirmation (1) or cancel (0)."""
    confirmed = args[0] == 1
    if confirmed:
        await context.reading.stop(reader.id)
    text = context.renderer.render("stopped.html.j2", confirmed=confirmed)
    await replies.edit_in_place(query, reader, text, None)
    return None
