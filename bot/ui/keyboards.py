"""Keyboards readers see. Labels are Arabic; the main actions' labels also work as commands.

Inline buttons carry compact callback data (bot.ui.callbacks); labels are plain text, not HTML.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, KeyboardButton, ReplyKeyboardMarkup, TelegramObject

from bot.models import READER_ZONES, Article, PushMode, ReaderSettings, Topic
from bot.services.following import MySubs
from bot.services.reading import DIGEST_HOURS, QUIET_PRESETS, Page, Setting, TopicPage, TopicsPage
from bot.text.arabic import hour_of_day, to_digits
from bot.ui.callbacks import Action, encode

JSONDict = dict[str, Any]

# label → command it stands for (docs/product.md «Readers», the «button» column)
MAIN_ACTIONS: dict[str, str] = {
    "📰 آخر الأخبار": "latest",
    "🗂 المواضيع": "topics",
    "⭐ اشتراكاتي": "mysubs",
    "🔎 بحث": "search",
    "🔴 مباشر": "live",
    "⚙️ الإعدادات": "settings",
}

NEXT = "التالي ›"
PREV = "‹ السابق"
NUMBERS_PER_ROW = 5
MAX_TITLE_IN_LABEL = 40

Row = list[InlineKeyboardButton]

# Every field a button may carry, in this python-telegram-bot's version of the Bot API.
_BUTTON_FIELDS: tuple[str, ...] = tuple(InlineKeyboardButton.__slots__)


class Keyboard(InlineKeyboardMarkup):
    """An inline keyboard that turns itself into JSON directly.

    PTB's generic `to_dict` reflects over every slot of every object on each send; for the bot's
    keyboards (up to a dozen buttons) that was a fifth of the CPU an update costs. The buttons are
    frozen, so reading their fields gives the same dict (a unit test compares it with PTB's own).
    """

    __slots__ = ()

    def to_dict(self, recursive: bool = True) -> JSONDict:
        return {"inline_keyboard": [[_json_of(button) for button in row] for row in self.inline_keyboard]}


# The same buttons come back on update after update (the numbered headlines of the first pages,
# the page turns, the settings), and building a PTB button sets each of its dozen frozen fields
# through TelegramObject.__setattr__: in `bench/bench_updates.py --profile` building and encoding
# buttons was about a sixth of an update's CPU. Buttons are immutable, so one object (and its JSON,
# which is only ever serialised, never changed) serves every keyboard that shows it. Bounded: the
# cache is emptied when full, so memory stays flat whatever ids and pages readers ask for.
_CACHE_SIZE = 20_000
_buttons: dict[tuple[str, str], InlineKeyboardButton] = {}
_json: dict[int, tuple[InlineKeyboardButton, JSONDict]] = {}


def _callback_button(label: str, data: str) -> InlineKeyboardButton:
    key = (label, data)
    button = _buttons.get(key)
    if button is None:
        if len(_buttons) >= _CACHE_SIZE:
            _buttons.clear()
            _json.clear()
        button = _buttons[key] = InlineKeyboardButton(label, callback_data=data)
    return button


def _json_of(button: InlineKeyboardButton) -> JSONDict:
    known = _json.get(id(button))
    if known is not None and known[0] is button:
        return known[1]
    out = _button_json(button)
    data = button.callback_data
    if isinstance(data, str) and _buttons.get((button.text, data)) is button:
        _json[id(button)] = (button, out)  # only cached buttons: the entry keeps its id from being reused
    return out


def _button_json(button: InlineKeyboardButton) -> JSONDict:
    out: JSONDict = {}
    for name in _BUTTON_FIELDS:
        value = getattr(button, name)
        if value is not None:
            out[name] = value.to_dict() if isinstance(value, TelegramObject) else value
    return out


def main_keyboard() -> ReplyKeyboardMarkup:
    labels = list(MAIN_ACTIONS)
    rows = [[KeyboardButton(label) for label in labels[i : i + 2]] for i in range(0, len(labels), 2)]
    return ReplyKeyboardMarkup(rows, resize_keyboard=True, is_persistent=True)


def _button(label: str, action: Action, *args: int) -> InlineKeyboardButton:
    return _callback_button(label, encode(action, *args))


def _short(title: str, most: int = MAX_TITLE_IN_LABEL) -> str:
    return title if len(title) <= most else title[: most - 1].rstrip() + "…"


def _nav(has_prev: bool, has_next: bool, page: int, to: Callable[[int], str]) -> Row:
    row: Row = []
    if has_prev:
        row.append(_callback_button(PREV, to(page - 1)))
    if has_next:
        row.append(_callback_button(NEXT, to(page + 1)))
    return row


def headlines(page: Page, to: Callable[[int], str], arabic_digits: bool, extra: Sequence[Row] = ()) -> Keyboard | None:
    """A numbered button per headline (opens the article), then the page turns, then ``extra`` rows."""
    numbers = [
        _button(to_digits(str(page.start + i), arabic_digits), Action.ARTICLE, item.id)
        for i, item in enumerate(page.items)
    ]
    rows: list[Row] = [numbers[i : i + NUMBERS_PER_ROW] for i in range(0, len(numbers), NUMBERS_PER_ROW)]
    nav = _nav(page.has_prev, page.has_next, page.page, to)
    if nav:
        rows.append(nav)
    rows.extend(extra)
    return Keyboard(rows) if rows else None


def latest(page: Page, arabic_digits: bool, action: Action = Action.LATEST) -> Keyboard | None:
    return headlines(page, lambda p: encode(action, p), arabic_digits)


def search(page: Page, token: int, arabic_digits: bool, follow: str | None = None) -> Keyboard | None:
    """Search results, paged; with `follow` (the query, when it can be followed), «🔔 تابع «…»» under them."""
    extra = [[_button(f"🔔 تابع «{_short(follow, 30)}»", Action.SEARCH_FOLLOW, token)]] if follow else []
    return headlines(page, lambda p: encode(Action.SEARCH_PAGE, token, p), arabic_digits, extra=extra)


def subscribe_label(topic: Topic, subscribed: bool) -> str:
    return ("✅ " if subscribed else "➕ ") + _short(topic.name)


def topics(view: TopicsPage) -> Keyboard:
    """Per topic: a subscribe/unsubscribe toggle showing the state, and a button for its latest."""
    rows: list[Row] = [
        [
            _button(subscribe_label(state.topic, state.subscribed), Action.TOPIC_TOGGLE, state.topic.id, view.page),
            _button("📰 الأخبار", Action.TOPIC_OPEN, state.topic.id),
        ]
        for state in view.topics
    ]
    nav = _nav(view.has_prev, view.has_next, view.page, lambda p: encode(Action.TOPICS, p))
    if nav:
        rows.append(nav)
    return Keyboard(rows)


def group_topics(view: TopicsPage) -> Keyboard:
    """A group's topics (issue 15): one toggle per topic, for the group's administrators; no
    buttons that would post headlines in front of everyone."""
    rows: list[Row] = [
        [_button(subscribe_label(state.topic, state.subscribed), Action.GROUP_TOGGLE, state.topic.id, view.page)]
        for state in view.topics
    ]
    nav = _nav(view.has_prev, view.has_next, view.page, lambda p: encode(Action.GROUP_TOPICS, p))
    if nav:
        rows.append(nav)
    return Keyboard(rows)


def topic(view: TopicPage, arabic_digits: bool) -> Keyboard | None:
    """A topic's headlines, paged, with the subscribe toggle under them."""
    label = "✅ مشترك — إلغاء الاشتراك" if view.subscribed else "➕ اشترك في هذا الموضوع"
    toggle = [_button(label, Action.TOPIC_SUB, view.topic.id, view.headlines.page)]
    return headlines(
        view.headlines, lambda p: encode(Action.TOPIC_PAGE, view.topic.id, p), arabic_digits, extra=[toggle]
    )


def mysubs(mine: MySubs) -> Keyboard | None:
    """A removal button per topic, followed word and muted word (at most 100 buttons in all)."""
    if mine.empty:
        return Keyboard([[_button("🗂 تصفح المواضيع", Action.TOPICS, 0)]])
    words: list[Row] = [[_button("❌ 🔔 " + _short(w.text), Action.WORD_REMOVE, w.id)] for w in mine.follows]
    words += [[_button("❌ 🔕 " + _short(w.text), Action.WORD_REMOVE, w.id)] for w in mine.mutes]
    words = words[:99]
    rows: list[Row] = [[_button("❌ " + _short(t.name), Action.MYSUBS_REMOVE, t.id)] for t in mine.topics]
    return Keyboard(rows[: 100 - len(words)] + words)


def article(item: Article, share_query: str, link: str | None, page: int = 0, pages: int = 1) -> Keyboard:
    """A long article's page turns, its topics (each lists its latest), sharing through inline
    mode, and the site's link."""
    rows: list[Row] = []
    nav = _nav(page > 0, page + 1 < pages, page, lambda p: encode(Action.ARTICLE_PAGE, item.id, p))
    if nav:
        rows.append(nav)
    rows.extend([_button("🗂 " + _short(t.name), Action.TOPIC_OPEN, t.id)] for t in item.topics[:3])
    last: Row = [InlineKeyboardButton("📤 مشاركة", switch_inline_query=share_query)]
    if link:
        last.append(InlineKeyboardButton("🌐 على الموقع", url=link))
    rows.append(last)
    return Keyboard(rows)


def _mark(on: bool, label: str) -> str:
    return ("✅ " if on else "") + label


def quiet_label(start: int, end: int, arabic_digits: bool) -> str:
    """«10 مساءً – 7 صباحًا»: quiet hours as readers say them."""
    return f"{hour_of_day(start, arabic_digits)} – {hour_of_day(end, arabic_digits)}"


ZONES_PER_ROW = 3


def zones(current: str | None, site_zone: str) -> Keyboard:
    """The cities whose time zone a reader may choose (READER_ZONES), the current one marked, and
    the way back to the settings."""
    chosen = current or site_zone
    buttons = [
        _button(_mark(name == chosen, city), Action.SETTING, Setting.ZONE, index)
        for index, (name, city) in enumerate(READER_ZONES)
    ]
    rows: list[Row] = [buttons[i : i + ZONES_PER_ROW] for i in range(0, len(buttons), ZONES_PER_ROW)]
    rows.append([_button("‹ الإعدادات", Action.SETTING, Setting.ZONES, 0)])
    return Keyboard(rows)


def settings(current: ReaderSettings, arabic_digits: bool, city: str = "") -> Keyboard:
    """The settings' buttons; `city` names the reader's time zone on its button."""
    digest = current.push_mode is PushMode.DIGEST
    rows: list[Row] = [
        [
            _button(_mark(not digest, "🔔 فوري"), Action.SETTING, Setting.PUSH_MODE, 0),
            _button(_mark(digest, "🗞 موجز يومي"), Action.SETTING, Setting.PUSH_MODE, 1),
        ]
    ]
    if digest:
        hours = [
            _button(
                _mark(h in current.digest_hours, to_digits(f"{h:02d}:00", arabic_digits)),
                Action.SETTING,
                Setting.DIGEST_HOUR,
                h,
            )
            for h in DIGEST_HOURS
        ]
        rows.extend([hours[:3], hours[3:]])
    quiet: Row = []
    for index, preset in enumerate(QUIET_PRESETS):
        on = (current.quiet_start, current.quiet_end) == (preset if preset else (None, None))
        label = "🔕 بلا هدوء" if preset is None else "🌙 " + quiet_label(preset[0], preset[1], arabic_digits)
        quiet.append(_button(_mark(on, label), Action.SETTING, Setting.QUIET, index))
    rows.extend(quiet[i : i + 2] for i in range(0, len(quiet), 2))
    rows.append([_button("🕰 التوقيت: " + (city or "اختر مدينتك"), Action.SETTING, Setting.ZONES, 1)])
    rows.append(
        [
            _button(_mark(not current.arabic_digits, "0-9"), Action.SETTING, Setting.DIGITS, 0),
            _button(_mark(current.arabic_digits, "٠-٩"), Action.SETTING, Setting.DIGITS, 1),
        ]
    )
    previews = current.link_previews
    rows.append(
        [
            _button(
                "🖼 إيقاف معاينة الروابط" if previews else "🖼 تفعيل معاينة الروابط",
                Action.SETTING,
                Setting.PREVIEWS,
                0 if previews else 1,
            )
        ]
    )
    return Keyboard(rows)


def stop_confirm() -> Keyboard:
    return Keyboard([[_button("نعم، أوقف التنبيهات", Action.STOP, 1), _button("إلغاء", Action.STOP, 0)]])


def links(pairs: Sequence[tuple[str, str]]) -> Keyboard:
    """URL buttons, two a row (the site's channels)."""
    buttons = [InlineKeyboardButton(label, url=url) for label, url in pairs]
    return Keyboard([buttons[i : i + 2] for i in range(0, len(buttons), 2)])


def open_topics() -> Keyboard:
    return Keyboard([[_button("🗂 تصفح المواضيع", Action.TOPICS, 0)]])
