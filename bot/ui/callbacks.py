"""Compact, versioned callback data for inline buttons: ``"1:lt:2"`` is version 1, action ``lt``, args (2,).

Buttons carry ids and page numbers only, never titles, so the data stays far below Telegram's 64
bytes. Each action's data has one compiled :func:`pattern`: the composition root routes a button
to its handler with it (``CallbackQueryHandler(..., pattern=pattern(action))``), and the handler
reads the arguments from the match (:func:`args_of`). Anything no pattern matches (an older
version, a forged or truncated string, an unknown action, a wrong number of arguments) decodes to
``None`` and reaches the last, catch-all handler, which answers it as a stale button.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from enum import StrEnum

VERSION = "1"
MAX_BYTES = 64
_MAX_ARG = 10**12  # ids and pages are small non-negative integers


class Action(StrEnum):
    """Every button the bot shows, with the number of integer arguments it carries."""

    LATEST = "lt"  # page
    VIDEOS = "vd"  # page
    LIVE = "lv"  # page
    ARTICLE = "ar"  # article id: sends the article
    ARTICLE_PAGE = "ap"  # article id, page: turns a long article's page in its message
    PUSHED = "pa"  # article id: sends the article from a push's button, counted as an open from a push
    TOPICS = "tp"  # topics list page
    TOPIC_TOGGLE = "tt"  # topic id, topics list page: (un)subscribe on the topics list
    TOPIC_OPEN = "to"  # topic id: sends the topic's latest as a new message
    TOPIC_PAGE = "tl"  # topic id, page: turns the topic's page
    TOPIC_SUB = "ts"  # topic id, page: (un)subscribe on the topic's page
    MYSUBS_REMOVE = "mr"  # topic id
    SEARCH_PAGE = "sr"  # search token, page
    SEARCH_FOLLOW = "sf"  # search token: follow the searched words
    WORD_REMOVE = "wr"  # reader word id: remove it from /mysubs
    SETTING = "st"  # setting field, value
    STOP = "sp"  # 1 = confirm, 0 = cancel
    GROUP_TOPICS = "gp"  # page: a group's topics list (its administrators only)
    GROUP_TOGGLE = "gt"  # topic id, page: the group follows a topic, or stops (its administrators only)


ARITY: dict[Action, int] = {
    Action.LATEST: 1,
    Action.VIDEOS: 1,
    Action.LIVE: 1,
    Action.ARTICLE: 1,
    Action.ARTICLE_PAGE: 2,
    Action.PUSHED: 1,
    Action.TOPICS: 1,
    Action.TOPIC_TOGGLE: 2,
    Action.TOPIC_OPEN: 1,
    Action.TOPIC_PAGE: 2,
    Action.TOPIC_SUB: 2,
    Action.MYSUBS_REMOVE: 1,
    Action.SEARCH_PAGE: 2,
    Action.SEARCH_FOLLOW: 1,
    Action.WORD_REMOVE: 1,
    Action.SETTING: 2,
    Action.STOP: 1,
    Action.GROUP_TOPICS: 1,
    Action.GROUP_TOGGLE: 2,
}
_BY_CODE = {action.value: action for action in Action}
# An argument: ASCII digits only, one spelling per value ("01" is not a button the bot made), at
# most 12 digits (below _MAX_ARG). int() alone would also accept "+1", " 1", "1_0" and Arabic-Indic digits.
_ARG = ":(0|[1-9][0-9]{0,11})"


def _compile(action: Action) -> re.Pattern[str]:
    return re.compile(re.escape(f"{VERSION}:{action.value}") + _ARG * ARITY[action] + r"\Z")


_PATTERNS: dict[Action, re.Pattern[str]] = {action: _compile(action) for action in Action}


@dataclass(frozen=True, slots=True)
class Callback:
    action: Action
    args: tuple[int, ...]

    def arg(self, index: int) -> int:
        return self.args[index]


@functools.lru_cache(maxsize=20_000, typed=True)  # every keyboard encodes the same buttons again (typed: True ≠ 1)
def encode(action: Action, *args: int) -> str:
    """The callback data for a button. Raises ValueError for arguments the codec cannot carry."""
    if len(args) != ARITY[action]:
        raise ValueError(f"{action.name} takes {ARITY[action]} arguments, got {len(args)}")
    for value in args:
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < _MAX_ARG:
            raise ValueError(f"callback arguments are integers in [0, {_MAX_ARG}), got {value!r}")
    data = ":".join((VERSION, action.value, *(str(v) for v in args)))
    if len(data.encode("utf-8")) > MAX_BYTES:  # cannot happen with the bounds above; kept as a guard
        raise ValueError(f"callback data {data!r} is longer than {MAX_BYTES} bytes")
    return data


def pattern(action: Action) -> re.Pattern[str]:
    """The compiled pattern the data of ``action``'s buttons matches (from its start, as PTB matches)."""
    return _PATTERNS[action]


def args_of(match: re.Match[str]) -> tuple[int, ...]:
    """The arguments of a button whose data matched its action's :func:`pattern`."""
    return tuple(int(group) for group in match.groups())


def decode(data: str | None) -> Callback | None:
    """The button behind ``data``, or None when it is stale, foreign or malformed."""
    if not data or len(data) > MAX_BYTES:
        return None
    parts = data.split(":", 2)
    action = _BY_CODE.get(parts[1]) if len(parts) > 1 else None
    match = _PATTERNS[action].match(data) if action is not None else None
    return Callback(action, args_of(match)) if action is not None and match is not None else None
