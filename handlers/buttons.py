"""Every inline button: decode the callback data, do one thing, answer the callback exactly once.

A stale (older version), foreign or malformed button gets a short Arabic notice and changes nothing.
"""

from __future__ import annotations

from telegram import CallbackQuery, Message, Update

from bot import keyboards
from bot.callbacks import Action, Callback, decode
from bot.context import NewsContext
from bot.models import Reader, Topic
from bot.reading import MAX_QUERY_CHARS, TopicsPage
from handlers import articles, replies, search, settings
from handlers.headlines import live_url

Notice = tuple[str, dict[str, str]] | None  # (notice kind, template values) for the callback answer

_PAGED = {
    Action.LATEST: ("latest.html.j2", "latest"),
    Action.VIDEOS: ("videos.html.j2", "videos"),
    Action.LIVE: ("live.html.j2", "live"),
}


async def on_button(update: Update, context: NewsContext) -> None:
    query = update.callback_query
    if query is None:
        return
    button = decode(query.data)
    reader = await replies.reader_of(update, context)
    notice: Notice = ("stale", {})
    if button is not None and reader is not None and isinstance(query.message, Message):
        notice = await _dispatch(query, query.message, button, reader, context)
    text = replies.plain(context, "callback_notice.html.j2", kind=notice[0], **notice[1]) if notice else None
    await query.answer(text or None)


async def _dispatch(
    query: CallbackQuery, message: Message, button: Callback, reader: Reader, context: NewsContext
) -> Notice:
    reading = replies.reading(context)
    ad = reader.settings.arabic_digits
    action = button.action
    if action in _PAGED:
        template, method = _PAGED[action]
        page = await getattr(reading, method)(button.arg(0))
        text = context.renderer.render(template, page=page, ad=ad, live_url=live_url(context))
        await replies.edit_in_place(query, reader, text, keyboards.latest(page, ad, action))
        return None
    if action is Action.ARTICLE:
        found = await reading.article(button.arg(0))
        if found is None:
            return ("missing", {})
        await articles.send_article(context, message.chat_id, reader, found)
        return None
    if action is Action.TOPICS:
        await _show_topics(query, reader, context, button.arg(0))
        return None
    if action is Action.TOPIC_TOGGLE:
        subscribed = await reading.toggle(reader.id, button.arg(0))
        if subscribed is None:
            return ("missing", {})
        view = await _show_topics(query, reader, context, button.arg(1))
        shown = next((s.topic for s in view.topics if s.topic.id == button.arg(0)), None)
        return await _sub_notice(context, button.arg(0), subscribed, shown)
    if action in (Action.TOPIC_OPEN, Action.TOPIC_PAGE, Action.TOPIC_SUB):
        return await _topic(query, message, button, reader, context)
    if action is Action.MYSUBS_REMOVE:
        await reading.unsubscribe(reader.id, button.arg(0))
        mine = await reading.my_topics(reader.id)
        text = context.renderer.render("mysubs.html.j2", topics=mine, ad=ad)
        await replies.edit_in_place(query, reader, text, keyboards.mysubs(mine))
        return None
    if action is Action.SEARCH_PAGE:
        words = search.recall(replies.memory(context), button.arg(0))
        if words is None:
            return ("search_expired", {})
        outcome = await reading.search(words, button.arg(1))
        if outcome.page is None:
            return ("search_expired", {})
        text = context.renderer.render("search.html.j2", outcome=outcome, ad=ad, max_chars=MAX_QUERY_CHARS)
        await replies.edit_in_place(query, reader, text, keyboards.search(outcome.page, button.arg(0), ad))
        return None
    if action is Action.SETTING:
        changed = await reading.change_setting(reader, button.arg(0), button.arg(1))
        if changed is None:
            return ("stale", {})
        if changed is reader:
            return ("unchanged", {})
        text, markup = settings.render_settings(context, changed)
        await replies.edit_in_place(query, changed, text, markup)
        return ("saved", {})
    if action is Action.STOP:
        confirmed = button.arg(0) == 1
        if confirmed:
            await reading.stop(reader.id)
        text = context.renderer.render("stopped.html.j2", confirmed=confirmed)
        await replies.edit_in_place(query, reader, text, None)
        return None
    return ("stale", {})  # pragma: no cover - every Action is handled above


async def _show_topics(query: CallbackQuery, reader: Reader, context: NewsContext, page: int) -> TopicsPage:
    view = await replies.reading(context).topics(reader.id, page)
    text = context.renderer.render("topics.html.j2", view=view, ad=reader.settings.arabic_digits)
    await replies.edit_in_place(query, reader, text, keyboards.topics(view))
    return view


async def _sub_notice(context: NewsContext, topic_id: int, subscribed: bool, shown: Topic | None = None) -> Notice:
    """The callback answer naming the topic: the one just shown when it is that topic, else read."""
    found = shown if shown is not None and shown.id == topic_id else await context.store.topics.by_id(topic_id)
    name = found.name if found else ""
    return ("subscribed" if subscribed else "unsubscribed", {"name": name})


async def _topic(
    query: CallbackQuery, message: Message, button: Callback, reader: Reader, context: NewsContext
) -> Notice:
    reading = replies.reading(context)
    ad = reader.settings.arabic_digits
    topic_id = button.arg(0)
    page = button.arg(1) if len(button.args) > 1 else 0
    subscribed: bool | None = None
    if button.action is Action.TOPIC_SUB:
        subscribed = await reading.toggle(reader.id, topic_id)
        if subscribed is None:
            return ("missing", {})
    view = await reading.topic(reader.id, topic_id, page)
    if view is None:
        return ("missing", {})
    notice = None if subscribed is None else await _sub_notice(context, topic_id, subscribed, view.topic)
    text = context.renderer.render("topic.html.j2", view=view, ad=ad)
    markup = keyboards.topic(view, ad)
    if button.action is Action.TOPIC_OPEN:
        await replies.send(context, message.chat_id, reader, text, markup)
    else:
        await replies.edit_in_place(query, reader, text, markup)
    return notice
