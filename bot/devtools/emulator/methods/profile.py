"""The bot's own profile and session: getMe, the command menu, descriptions, the menu button,
close and logOut."""

from __future__ import annotations

import json
from typing import Any

from bot.devtools.emulator import rules
from bot.devtools.emulator.registry import api_method
from bot.devtools.emulator.rules import Params, bad_request
from bot.devtools.emulator.world import World


@api_method("getMe")
async def get_me(world: World, params: Params) -> Any:
    return world.bot_user


@api_method("close")
async def close(world: World, params: Params) -> Any:
    return True


@api_method("logOut")
async def log_out(world: World, params: Params) -> Any:
    return True


def _scope_key(params: Params) -> tuple[str, str]:
    scope = params.obj("scope", "scope")
    if scope is not None and not isinstance(scope, dict):
        raise bad_request("can't parse scope JSON object")
    scope_key = json.dumps(scope or {"type": "default"}, sort_keys=True)
    language = params.text("language_code", "") or ""
    if language and (len(language) != 2 or not language.isalpha()):
        raise bad_request("invalid language code specified")
    return scope_key, language


@api_method("setMyCommands")
async def set_my_commands(world: World, params: Params) -> Any:
    commands = rules.check_commands(params.obj("commands", "commands"))
    key = _scope_key(params)
    if commands:
        world.commands[key] = commands
    else:
        world.commands.pop(key, None)
    return True


@api_method("getMyCommands")
async def get_my_commands(world: World, params: Params) -> Any:
    return world.commands.get(_scope_key(params), [])


@api_method("deleteMyCommands")
async def delete_my_commands(world: World, params: Params) -> Any:
    world.commands.pop(_scope_key(params), None)
    return True


def _set_description(world: World, params: Params, field: str, limit: int) -> Any:
    text = params.text(field, "") or ""
    if len(text) > limit:
        raise bad_request(f"{field} is too long" if field == "description" else "short description is too long")
    world.descriptions[(field, params.text("language_code", "") or "")] = text
    return True


@api_method("setMyDescription")
async def set_my_description(world: World, params: Params) -> Any:
    return _set_description(world, params, "description", 512)


@api_method("getMyDescription")
async def get_my_description(world: World, params: Params) -> Any:
    return {"description": world.descriptions.get(("description", params.text("language_code", "") or ""), "")}


@api_method("setMyShortDescription")
async def set_my_short_description(world: World, params: Params) -> Any:
    return _set_description(world, params, "short_description", 120)


@api_method("getMyShortDescription")
async def get_my_short_description(world: World, params: Params) -> Any:
    key = ("short_description", params.text("language_code", "") or "")
    return {"short_description": world.descriptions.get(key, "")}


@api_method("setChatMenuButton")
async def set_chat_menu_button(world: World, params: Params) -> Any:
    button = params.obj("menu_button", "menu button") or {"type": "default"}
    if not isinstance(button, dict) or button.get("type") not in ("default", "commands", "web_app"):
        raise bad_request("can't parse menu button JSON object")
    if params.has("chat_id"):
        world.chat_for(params, writing=False).menu_button = button
    else:
        world.menu_button = button
    return True


@api_method("getChatMenuButton")
async def get_chat_menu_button(world: World, params: Params) -> Any:
    if params.has("chat_id"):
        return world.chat_for(params, writing=False).menu_button or world.menu_button
    return world.menu_button
