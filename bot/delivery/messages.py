"""What a push looks like: text from the templates (autoescaped, leads truncated) and its buttons.

The article buttons carry the reader side's push callback (`bot.ui.callbacks`, action PUSHED): a press
opens the whole article in the chat, as the article buttons of /latest do, and counts once per reader
as an open from a push (what editors see in /stats).
`article_link` gives the deep link (`https://t.me/<bot>?start=a<ID>`): a channel's or a group's
posts carry it as their button (`link=True`), so a member opens the whole article in their own
private chat with the bot instead of in front of everyone.
"""

from __future__ import annotations

import dataclasses
import re
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import tzinfo
from typing import Any
from urllib.parse import urlsplit

from telegram import InlineKeyboardButton

from bot.models import Article, Topic, TopicKind
from bot.text.html_split import utf16_len, visible_text
from bot.ui.callbacks import Action, encode
from bot.ui.keyboards import Keyboard
from bot.ui.render import Renderer, truncate_words

DIGEST_MAX_ITEMS = 15  # listed in one digest message (and as many buttons); the rest are counted
_BUTTON_TEXT = 48
CAPTION_LIMIT = 1024  # Telegram's limit on a photo's caption, in UTF-16 units of its visible text
_WEB = re.compile(r"^https?://", re.IGNORECASE)


def article_link(bot_username: str, article_id: int) -> str:
    return f"https://t.me/{bot_username}?start=a{article_id}"


@dataclass(frozen=True, slots=True)
class Push:
    """A message to send: its text, buttons, and for an item with a picture the photo's URL and a
    caption within Telegram's 1,024 units (the text is the fallback when the photo cannot go)."""

    text: str
    markup: Keyboard | None
    photo: str | None = None
    caption: str | None = None


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
        self._cache: OrderedDict[tuple[int, bool, str, bool, bool, str], Push] = OrderedDict()
        self._cache_size = cache_size

    def article(
        self,
        article: Article,
        arabic_digits: bool,
        tz: tzinfo | None = None,
        *,
        link: bool = False,
        urgent: bool = False,
        note: str = "",
    ) -> Push:
        """The push of `article`, its time in `tz` (the reader's zone; None: the site's); with `link`,
        its button a deep link into the bot (a channel's or a group's post); `urgent` (breaking news:
        an item marked urgent or broadcast by an editor) heads it «🔴 عاجل», with the editor's `note`."""
        key = (article.id, arabic_digits, str(tz), link, urgent, note)
        cached = self._cache.get(key)
        if cached is not None:
            self._cache.move_to_end(key)
            return cached
        values = _push_values(article, arabic_digits, tz, urgent, note)
        text = self.renderer.render("push_article.html.j2", **values)
        markup = Keyboard([[self._article_button("📖 اقرأ الخبر كاملًا", article.id, link)]])
        photo = article.image_url if article.image_url and _WEB.match(article.image_url) else None
        caption = self._fitting_caption(values) if photo is not None else None
        if caption is None:
            photo = None
        push = Push(text, markup, photo, caption)
        self._cache[key] = push
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return push

    def caption(
        self, article: Article, arabic_digits: bool, tz: tzinfo | None = None, *, urgent: bool = False, note: str = ""
    ) -> str | None:
        """The push's text as a photo's caption (headed «🔴 عاجل» when `urgent`), the lead shortened
        until it fits Telegram's 1,024 units; None when even without a lead it does not."""
        return self._fitting_caption(_push_values(article, arabic_digits, tz, urgent, note))

    def _fitting_caption(self, values: dict[str, Any]) -> str | None:
        article = values["article"]
        for lead_limit in (700, 400, 200, 0):  # the lead shortened until the caption fits
            shown = {**values, "article": _no_lead(article)} if lead_limit == 0 else values
            caption = self.renderer.render("push_article.html.j2", lead_limit=lead_limit, **shown)
            if utf16_len(visible_text(caption)) <= CAPTION_LIMIT:
                return caption
        return None

    def forget(self, article_ids: Iterable[int]) -> None:
        """Render these items afresh next time (they were corrected)."""
        changed = set(article_ids)
        for key in [key for key in self._cache if key[0] in changed]:
            del self._cache[key]

    def broadcast(self, text: str) -> Push:
        return Push(self.renderer.render("broadcast.html.j2", text=text), None)

    def digest(self, items: list[DigestItem], total: int, arabic_digits: bool) -> Push:
        return self._listing("digest.html.j2", items, total, arabic_digits)

    def backlog(self, items: list[DigestItem], arabic_digits: bool, *, group: bool = False) -> Push:
        """A reader's backlog of instant items (past three), or the items due for a group at once,
        as one message listing them (a group's buttons are deep links)."""
        return self._listing("push_backlog.html.j2", items, len(items), arabic_digits, group=group)

    def _listing(
        self, template: str, items: list[DigestItem], total: int, arabic_digits: bool, *, group: bool = False
    ) -> Push:
        shown = items[:DIGEST_MAX_ITEMS]
        text = self.renderer.render(template, items=shown, total=total, arabic_digits=arabic_digits, group=group)
        rows = [
            [self._article_button(f"{n}. {truncate_words(item.headline, _BUTTON_TEXT)}", item.article_id, group)]
            for n, item in enumerate(shown, start=1)
        ]
        return Push(text, Keyboard(rows) if rows else None)

    def _article_button(self, label: str, article_id: int, link: bool) -> InlineKeyboardButton:
        if link:
            return InlineKeyboardButton(label, url=article_link(self.bot_username, article_id))
        return InlineKeyboardButton(label, callback_data=encode(Action.PUSHED, article_id))


def _push_values(article: Article, arabic_digits: bool, tz: tzinfo | None, urgent: bool, note: str) -> dict[str, Any]:
    """What push_article.html.j2 shows of an item, for its text and its caption alike."""
    return {
        "article": article,
        "topic": main_topic(article),
        "outlet": outlet_name(article),
        "arabic_digits": arabic_digits,
        "tz": tz,
        "urgent": urgent,
        "note": note,
    }


def outlet_name(article: Article) -> str | None:
    """The outlet a push names: the item's source, else its site's host name."""
    if article.source and article.source.strip():
        return article.source.strip()
    if article.url:
        host = urlsplit(article.url).hostname or ""
        return host.removeprefix("www.") or None
    return None


def _no_lead(article: Article) -> Article:
    return dataclasses.replace(article, lead="")


def main_topic(article: Article) -> Topic | None:
    """The topic a push names: a running story before a standing section."""
    stories = [t for t in article.topics if t.kind is TopicKind.STORY]
    found = stories or list(article.topics)
    return found[0] if found else None
