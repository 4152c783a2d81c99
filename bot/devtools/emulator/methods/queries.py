"""Answering what users asked: callback queries (buttons) and inline queries."""

from __future__ import annotations

from typing import Any

from bot.devtools.emulator import rules
from bot.devtools.emulator.registry import api_method
from bot.devtools.emulator.rules import Params, bad_request
from bot.devtools.emulator.state import PendingQuery
from bot.devtools.emulator.world import World

_QUERY_TOO_OLD = "query is too old and response timeout expired or query ID is invalid"


def _take_query(world: World, queries: dict[str, PendingQuery], query_id: str | None, ttl: float) -> PendingQuery:
    query = queries.get(query_id or "")
    if query is None or query.answered or world.clock() - query.created > ttl:
        raise bad_request(_QUERY_TOO_OLD)
    return query


@api_method("answerCallbackQuery")
async def answer_callback_query(world: World, params: Params) -> Any:
    query = _take_query(world, world.callback_queries, params.text("callback_query_id"), world.callback_query_ttl)
    text = params.text("text")
    if text is not None and len(text) > 200:
        raise bad_request("MESSAGE_TOO_LONG")
    query.answered = True
    query.answered_at = world.clock()
    query.answer = {
        "text": text,
        "show_alert": params.flag("show_alert"),
        "url": params.text("url"),
        "cache_time": params.integer("cache_time", 0),
    }
    world.wake()
    return True


@api_method("answerInlineQuery")
async def answer_inline_query(world: World, params: Params) -> Any:
    query = _take_query(world, world.inline_queries, params.text("inline_query_id"), world.inline_query_ttl)
    results = rules.check_inline_results(params.obj("results", "results"))
    query.answered = True
    query.answered_at = world.clock()
    query.answer = {
        "results": results,
        "cache_time": params.integer("cache_time", 300),
        "is_personal": params.flag("is_personal"),
        "next_offset": params.text("next_offset", ""),
        "button": params.obj("button", "button"),
    }
    world.wake()
    return True
