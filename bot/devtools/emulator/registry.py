"""The Bot API methods the emulator answers, each registered by :func:`api_method`.

The registry is the one list of method names: the HTTP front looks a call's method up here
(case-insensitively, as Telegram does), and a method exists once its function is decorated.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from bot.devtools.emulator.rules import Params
from bot.devtools.emulator.world import World

__all__ = ["METHODS", "NAMES", "Method", "api_method"]

Method = Callable[[World, Params], Awaitable[Any]]

METHODS: dict[str, Method] = {}  # lowercase name -> implementation
NAMES: list[str] = []  # the names as Telegram spells them, in registration order


def api_method(name: str) -> Callable[[Method], Method]:
    """Register the decorated coroutine ``fn(world, params) -> result`` as the Bot API's ``name``."""

    def register(fn: Method) -> Method:
        key = name.lower()
        if key in METHODS:
            raise ValueError(f"Bot API method {name} is registered twice")
        METHODS[key] = fn
        NAMES.append(name)
        return fn

    return register
