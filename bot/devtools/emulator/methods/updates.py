"""Receiving updates: getUpdates (long polling) and the webhook settings."""

from __future__ import annotations

from typing import Any

from bot.devtools.emulator import rules
from bot.devtools.emulator.registry import api_method
from bot.devtools.emulator.rules import Params, bad_request
from bot.devtools.emulator.state import ApiError, JSONDict
from bot.devtools.emulator.world import World

_WEBHOOK_ACTIVE = (
    "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first"
)
_TERMINATED = "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"


@api_method("getUpdates")
async def get_updates(world: World, params: Params) -> Any:
    if world.webhook_url:
        raise ApiError(409, _WEBHOOK_ACTIVE)
    offset = params.integer("offset")
    limit = max(1, min(100, params.integer("limit", 100) or 100))
    timeout = max(0.0, params.number("timeout", 0.0) or 0.0)
    allowed = params.obj("allowed_updates", "allowed updates")
    if allowed is not None:
        if not isinstance(allowed, list) or not all(isinstance(a, str) for a in allowed):
            raise bad_request("can't parse allowed updates JSON object")
        world.allowed_updates = allowed
    if offset is not None and offset > 0:
        world.updates = [u for u in world.updates if u["update_id"] >= offset]
    elif offset is not None and offset < 0:
        world.updates = world.updates[offset:]
    world.drop_unwanted()
    world.wake()
    if not world.updates and timeout > 0:
        world.poll_generation += 1
        generation = world.poll_generation
        world.long_polls_waiting += 1
        world.wake()
        try:
            await world.waiters.until(
                lambda: bool(world.updates) or world.poll_generation != generation or bool(world.webhook_url),
                timeout,
            )
        finally:
            world.long_polls_waiting -= 1
        if world.poll_generation != generation:
            raise ApiError(409, _TERMINATED)
        world.drop_unwanted()
    return world.updates[:limit]


@api_method("setWebhook")
async def set_webhook(world: World, params: Params) -> Any:
    url = params.text("url", "") or ""
    secret = params.text("secret_token")
    rules.check_secret_token(secret)
    if url and not url.startswith(("http://", "https://")):
        raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
    allowed = params.obj("allowed_updates", "allowed updates")
    if allowed is not None:
        if not isinstance(allowed, list):
            raise bad_request("can't parse allowed updates JSON object")
        world.allowed_updates = allowed
    if params.flag("drop_pending_updates"):
        world.updates.clear()
        world.updates_dropped += 1
    world.webhook_url = url
    world.webhook_secret = secret or None
    world.webhook_last_error = None
    world.wake()
    return True


@api_method("deleteWebhook")
async def delete_webhook(world: World, params: Params) -> Any:
    if params.flag("drop_pending_updates"):
        world.updates.clear()
        world.updates_dropped += 1
    world.webhook_url = ""
    world.webhook_secret = None
    world.wake()
    return True


@api_method("getWebhookInfo")
async def get_webhook_info(world: World, params: Params) -> Any:
    info: JSONDict = {
        "url": world.webhook_url,
        "has_custom_certificate": False,
        "pending_update_count": len(world.updates) + world.webhook_in_flight,
    }
    if world.webhook_url:
        info["max_connections"] = 40
        info["ip_address"] = "127.0.0.1"
        if world.allowed_updates:
            info["allowed_updates"] = world.allowed_updates
        if world.webhook_last_error is not None:
            info["last_error_date"], info["last_error_message"] = world.webhook_last_error
    return info
