"""Groups, supergroups and channels as the bot sees them: who is a member and with what rights
(getChatMember, getChatAdministrators), how many (getChatMemberCount), and leaving (leaveChat)."""

from __future__ import annotations

from typing import Any

from bot.devtools.emulator.registry import api_method
from bot.devtools.emulator.rules import Params, bad_request
from bot.devtools.emulator.state import ADMIN_RIGHTS, MEMBER_PERMISSIONS, ApiError, Chat, JSONDict
from bot.devtools.emulator.world import World


def _person(world: World, chat: Chat, user_id: int) -> JSONDict:
    """A person's ChatMember object; administrators hold every right but posting in channels,
    restricted members none."""
    account = world.users.get(user_id)
    if account is None:
        raise bad_request("user not found")
    status = chat.members.get(user_id, "left")
    if chat.type == "private":
        status = "member" if user_id == chat.chat_id else "left"
    data: JSONDict = {"user": account.as_dict(), "status": status}
    if status == "creator":
        data["is_anonymous"] = False
    elif status == "administrator":
        data["can_be_edited"] = False
        data["is_anonymous"] = False
        for right in ADMIN_RIGHTS:
            if right in ("can_post_messages", "can_edit_messages") and chat.type != "channel":
                continue
            if right == "can_pin_messages" and chat.type == "channel":
                continue
            data[right] = right not in ("can_promote_members",)
    elif status == "restricted":
        data["is_member"] = True
        data["until_date"] = 0
        for permission in MEMBER_PERMISSIONS:
            data[permission] = False
    elif status == "kicked":
        data["until_date"] = 0
    return data


@api_method("getChatMember")
async def get_chat_member(world: World, params: Params) -> Any:
    chat = world.chat_for(params, writing=False)
    user_id = params.integer("user_id")
    if user_id is None:
        raise bad_request("user_id is empty" if not params.has("user_id") else "invalid user_id specified")
    if chat.type == "channel" and chat.bot_status != "administrator":
        # Only a channel's administrators may look at its members (the bot included).
        raise bad_request("member list is inaccessible")
    if user_id == world.bot_user["id"]:
        if chat.type == "private":
            return {"user": world.bot_user, "status": "member"}
        return chat.bot_member(world.bot_user)
    return _person(world, chat, user_id)


@api_method("getChatMemberCount")
async def get_chat_member_count(world: World, params: Params) -> Any:
    chat = world.chat_for(params, writing=False)
    if chat.type == "private":
        return 2
    return world.member_count(chat)


@api_method("getChatAdministrators")
async def get_chat_administrators(world: World, params: Params) -> Any:
    chat = world.chat_for(params, writing=False)
    if chat.type == "private":
        raise bad_request("there are no administrators in the private chat")
    heads = [uid for uid, status in chat.members.items() if status in ("creator", "administrator")]
    admins = [_person(world, chat, uid) for uid in heads]
    if chat.bot_status == "administrator":
        admins.append(chat.bot_member(world.bot_user))
    return admins


@api_method("leaveChat")
async def leave_chat(world: World, params: Params) -> Any:
    chat = world.chat_for(params, writing=False)
    if chat.type == "private":
        raise bad_request("chat member status can't be changed in private chats")
    if chat.bot_status in ("left", "kicked"):
        raise ApiError(403, f"Forbidden: bot is not a member of the {chat.kind_name} chat")
    chat.bot_status = "left"
    chat.bot_rights = {}
    return True
