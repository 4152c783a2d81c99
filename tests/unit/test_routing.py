"""The composition root routes every inline button by its action's pattern, with a catch-all last."""

from __future__ import annotations

from typing import Any

from telegram import CallbackQuery, Update, User
from telegram.ext import CallbackQueryHandler

from bot.app import handler_list
from bot.config import Settings
from bot.runtime.context import NewsBot
from bot.ui.callbacks import ARITY, Action, encode, pattern
from handlers.readers import buttons


def _button_routes() -> list[CallbackQueryHandler[Any, Any]]:
    return [h for _, h in handler_list(NewsBot(Settings())) if isinstance(h, CallbackQueryHandler)]


def _press(data: str) -> Update:
    return Update(1, callback_query=CallbackQuery("7", User(5, "قارئ", False), "-5", data=data))


def test_every_action_has_exactly_one_handler_and_the_catch_all_comes_last() -> None:
    routes = _button_routes()
    patterns = [route.pattern for route in routes]
    for action in Action:
        assert patterns.count(pattern(action)) == 1, action
    assert routes[-1].pattern is None and routes[-1].callback is buttons.stale


def test_a_button_reaches_its_own_handler_and_anything_else_the_stale_answer() -> None:
    routes = _button_routes()
    for action in Action:
        update = _press(encode(action, *range(1, ARITY[action] + 1)))
        first = next(route for route in routes if route.check_update(update))
        assert first.pattern is pattern(action), action
    for data in ("0:lt:1", "1:lt:01", "1:zz:1", "1:lt:1\n", "garbage"):
        first = next(route for route in routes if route.check_update(_press(data)))
        assert first.callback is buttons.stale, data
