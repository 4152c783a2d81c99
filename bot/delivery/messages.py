"""What a push looks like: text from the templates (autoescaped, leads truncated) and its buttons.

The article buttons carry the reader side's article callback (`bot.callbacks`, action ARTICLE), the
same data as the article buttons of /latest, so a press opens the whole article in the chat.
`article_link` gives the deep link (`https://t.me/<bot>?start=a<ID>`) for places without buttons.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from telegram import InlineKeyboardButton

from bot.callbacks import Action, encode
from bot.keyboards import Keyboard
from bot.models import Article, Topic, TopicKind
from bot.render import Renderer, truncate_words

DIGEST_MAX_ITEMS = 15  # listed in one digest message (and as many buttons); the rest are counted
_BUTTON_TEXT = 48


def article_link(bot_username: str, article_id: int) -> str:
    return f"https://t.me/{bot_username}?start=a{article_id}"


@dataclass(frozen=True, slots=True)
class Push:
    text: str
    markup: Keyboard | None


@dataclass(frozen=True, slots=True)
class DigestItem:
    article_id: int
    headline: str
    topic: str | None


class PushRenderer:
    """Renders pushes; an article's summary is rendered once per digit setting and kept a while."""

    def __init__(self, renderer: Renderer, bot_username: str, cache_size: int = 512) -> None:
        self.renderer = renderer
        self.bot_username = bot_username
        self._cache: OrderedDict[tuple[int, bool], Push] = OrderedDict()
        self._cache_size = cache_size

    def article(self, article: Article, arabic_digits: bool) -> Push:
        key = (article.id, arabic_digits)
        cached = self._cache.get(key)
        if cached is not None:
            self._cache.move_to_end(key)
            return cached
        topic = main_topic(article)
        text = self.renderer.render("push_article.html.j2", article=article, topic=topic, arabic_digits=arabic_digits)
        markup = Keyboard(
            [[InlineKeyboardButton("📖 اقرأ الخبر كاملًا", callback_data=encode(Action.ARTICLE, article.id))]]
        )
        push = Push(text, markup)
        self._cache[key] = push
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return push

    def broadcast(self, text: str) -> Push:
        return Push(self.renderer.render("broadcast.html.j2", text=text), None)

    def digest(self, items: list[DigestItem], total: int, arabic_digits: bool) -> Push:
        return self._listing("digest.html.j2", items, total, arabic_digits)

    def backlog(self, items: list[DigestItem], arabic_digits: bool) -> Push:
        """A reader's backlog of instant items (past three) as one message listing them."""
        return self._listing("push_backlog.html.j2", items, len(items), arabic_digits)

    def _listing(self, template: str, items: list[DigestItem], total: int, arabic_digits: bool) -> Push:
        shown = items[:DIGEST_MAX_ITEMS]
        text = self.renderer.render(template, items=shown, total=total, arabic_digits=arabic_digits)
        rows = [
            [
                InlineKeyboardButton(
                    f"{n}. {truncate_words(item.headline, _BUTTON_TEXT)}",
                    callback_data=encode(Action.ARTICLE, item.article_id),
                )
            ]
            for n, item in enumerate(shown, start=1)
        ]
        return Push(text, Keyboard(rows) if rows else None)


def main_topic(article: Article) -> Topic | None:
    """The topic a push names: a running story before a standing section."""
    stories = [t for t in article.topics if t.kind is TopicKind.STORY]
    found = stories or list(article.topics)
    return found[0] if found else None
