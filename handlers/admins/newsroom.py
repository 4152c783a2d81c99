"""Editors' topics and feeds inside Telegram, only for NEWSBOT_ADMINS: /topic … and /feeds …,
the same actions as `newsbot topics` / `newsbot feeds` (bot/services/newsroom.py), answered in Arabic."""

from __future__ import annotations

from telegram import Update

from bot.runtime.context import NewsContext
from bot.services.newsroom import Refused
from bot.text.html_split import split_message
from handlers.admins.commands import _admin

# /topic ACTION …: the action's words (Arabic spellings too) → (action, arguments it needs).
TOPIC_ACTIONS = {
    "list": "list", "قائمة": "list",
    "add": "add", "أضف": "add", "اضف": "add",
    "rename": "rename", "سم": "rename",
    "alias": "alias", "unalias": "unalias",
    "keyword": "keyword", "unkeyword": "unkeyword",
    "exclude": "exclude", "unexclude": "unexclude",
    "pin": "pin",
    "archive": "archive", "أرشف": "archive",
    "restore": "restore", "استعد": "restore",
    "merge": "merge", "ادمج": "merge",
    "unmatched": "unmatched",
}  # fmt: skip
_TEMPLATE = "admin_topics.html.j2"
# /topic alias|unalias|keyword|unkeyword|exclude|unexclude SLUG TEXT → the edit it makes
_RULE_ACTIONS = {
    "alias": "add_aliases", "unalias": "remove_aliases",
    "keyword": "add_keywords", "unkeyword": "remove_keywords",
    "exclude": "add_excludes", "unexclude": "remove_excludes",
}  # fmt: skip
_FIELDS = tuple(_RULE_ACTIONS.values())


async def _reply(update: Update, text: str) -> None:
    """A long list (hundreds of topics) goes as several messages within Telegram's limit."""
    message = update.effective_message
    if message is not None:
        for part in split_message(text):
            await message.reply_text(part)


def _words(update: Update) -> list[str]:
    text = update.effective_message.text if update.effective_message else None
    return (text or "").split()[1:]


async def topic(update: Update, context: NewsContext) -> None:
    """/topic ACTION …: list, add NAME, rename SLUG NAME, alias|unalias|keyword|unkeyword|exclude|
    unexclude SLUG TEXT, pin SLUG N, archive|restore SLUG, merge FROM INTO, unmatched."""
    message = update.effective_message
    if not await _admin(update, context) or message is None:
        return
    words = _words(update)
    action = TOPIC_ACTIONS.get(words[0].lower()) if words else None
    args = words[1:]
    newsroom = context.editors.newsroom
    render = context.renderer.render
    try:
        if action == "list":
            text = render(_TEMPLATE, view="list", lines=await newsroom.topics())
        elif action == "add" and args:
            text = render(_TEMPLATE, view="added", change=await newsroom.add_topic(" ".join(args)))
        elif action == "rename" and len(args) >= 2:
            text = render(_TEMPLATE, view="changed", change=await newsroom.edit_topic(args[0], name=" ".join(args[1:])))
        elif action in _RULE_ACTIONS and len(args) >= 2:
            rules = {field: [" ".join(args[1:])] if field == _RULE_ACTIONS[action] else [] for field in _FIELDS}
            change = await newsroom.edit_topic(
                args[0], add_aliases=rules["add_aliases"], remove_aliases=rules["remove_aliases"],
                add_keywords=rules["add_keywords"], remove_keywords=rules["remove_keywords"],
                add_excludes=rules["add_excludes"], remove_excludes=rules["remove_excludes"],
            )  # fmt: skip
            text = render(_TEMPLATE, view="changed", change=change)
        elif action == "pin" and len(args) == 2 and args[1].isdigit():
            text = render(_TEMPLATE, view="changed", change=await newsroom.edit_topic(args[0], pin=int(args[1])))
        elif action == "archive" and len(args) == 1:
            text = render(_TEMPLATE, view="archived", topic=await newsroom.archive(args[0]))
        elif action == "restore" and len(args) == 1:
            text = render(_TEMPLATE, view="restored", topic=await newsroom.restore(args[0]))
        elif action == "merge" and len(args) == 2:
            text = render(_TEMPLATE, view="merged", source=args[0], topic=await newsroom.merge(args[0], args[1]))
        elif action == "unmatched":
            text = render(_TEMPLATE, view="unmatched", labels=await newsroom.unmatched())
        else:
            text = render(_TEMPLATE, view="usage")
    except Refused as exc:
        text = render(_TEMPLATE, view="refused", code=exc.code, subject=exc.subject)
    await _reply(update, text)


async def feeds(update: Update, context: NewsContext) -> None:
    """/feeds: the feeds polled; /feeds add URL [SLUG]; /feeds remove URL."""
    message = update.effective_message
    if not await _admin(update, context) or message is None:
        return
    words = _words(update)
    newsroom = context.editors.newsroom
    render = context.renderer.render
    try:
        if not words:
            text = render(_TEMPLATE, view="feeds", feeds=await newsroom.feeds())
        elif words[0] == "add" and len(words) in (2, 3):
            feed, new = await newsroom.add_feed(words[1], words[2] if len(words) == 3 else None)
            text = render(_TEMPLATE, view="feed_added", feed=feed, new=new)
        elif words[0] == "remove" and len(words) == 2:
            await newsroom.remove_feed(words[1])
            text = render(_TEMPLATE, view="feed_removed", url=words[1])
        else:
            text = render(_TEMPLATE, view="feeds_usage")
    except Refused as exc:
        text = render(_TEMPLATE, view="refused", code=exc.code, subject=exc.subject)
    await _reply(update, text)
