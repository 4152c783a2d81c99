"""Chats and the bot's messages in them: send, edit, delete, chat actions, getChat."""

from __future__ import annotations

import time
from typing import Any

from bot.devtools.emulator import rules
from bot.devtools.emulator.registry import api_method
from bot.devtools.emulator.rules import Params, bad_request
from bot.devtools.emulator.state import Chat, JSONDict, SentRecord, StoredMessage
from bot.devtools.emulator.world import World

_NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the same "
    "as a current content and reply markup of the message"
)


def _link_preview(params: Params) -> JSONDict | None:
    options = params.obj("link_preview_options", "link preview options")
    if options is not None and not isinstance(options, dict):
        raise bad_request("can't parse link preview options JSON object")
    if options is None and params.has("disable_web_page_preview"):
        options = {"is_disabled": params.flag("disable_web_page_preview")}
    return options


def _edit_target(world: World, params: Params, *, need: str | None = None) -> tuple[Chat, StoredMessage]:
    """The bot's message a call edits, refused as Telegram refuses: not found, not the bot's, past the
    edit window (`World.edit_window`), or of the wrong kind for the method (`need`: "text" or "media")."""
    chat = world.chat_for(params, writing=True)
    message_id = params.integer("message_id")
    if message_id is None:
        raise bad_request("message identifier is not specified")
    message = chat.messages.get(message_id)
    if message is None or message.deleted:
        raise bad_request("message to edit not found")
    if not message.from_bot or world.past_window(message, world.edit_window):
        raise bad_request("message can't be edited")
    if need == "text" and message.photo is not None:
        raise bad_request("there is no text in the message to edit")
    if need == "caption" and message.photo is None:
        raise bad_request("there is no caption in the message to edit")
    if need == "media" and message.photo is None:
        raise bad_request("there is no media in the message to edit")
    return chat, message


def _inline_markup(params: Params) -> JSONDict | None:
    markup = rules.check_reply_markup(params.obj("reply_markup", "reply keyboard markup"))
    if markup is not None and "inline_keyboard" not in markup:
        raise bad_request("inline keyboard expected")
    return markup


@api_method("sendMessage")
async def send_message(world: World, params: Params) -> Any:
    chat = world.chat_for(params, writing=True)
    text, entities, parse_mode = rules.message_text(params)
    markup = rules.check_reply_markup(params.obj("reply_markup", "reply keyboard markup"))
    link_preview = _link_preview(params)
    paid = params.flag("allow_paid_broadcast")
    world.check_rate(chat.chat_id, paid=paid)
    disable_notification = params.flag("disable_notification")
    inline = markup if markup is not None and "inline_keyboard" in markup else None
    if markup is not None and "keyboard" in markup:
        chat.reply_keyboard = markup
    elif markup is not None and markup.get("remove_keyboard"):
        chat.reply_keyboard = None
    message = StoredMessage(
        chat.take_message_id(),
        True,
        int(time.time()),
        text,
        entities,
        inline,
        disable_notification=disable_notification,
        link_preview_options=link_preview,
    )
    chat.messages[message.message_id] = message
    world.bot_messages.setdefault(chat.chat_id, []).append(message)
    world.keep(
        SentRecord(
            "sendMessage",
            chat.chat_id,
            message.message_id,
            text,
            parse_mode,
            entities,
            markup,
            disable_notification,
            link_preview,
            world.clock(),
            paid=paid,
        )
    )
    return world.message_dict(chat, message)


@api_method("sendPhoto")
async def send_photo(world: World, params: Params) -> Any:
    """A photo by URL (or file id) with an optional caption of up to 1,024 UTF-16 units; a URL in
    ``faults.unfetchable`` is refused as Telegram refuses an image it cannot fetch or read."""
    chat = world.chat_for(params, writing=True)
    world.check_can_send(chat, "photos")
    photo = params.text("photo")
    if not photo:
        raise bad_request("there is no photo in the request")
    caption, entities, parse_mode = rules.caption_text(params)
    markup = rules.check_reply_markup(params.obj("reply_markup", "reply keyboard markup"))
    if photo in world.faults.unfetchable:
        raise bad_request("failed to get HTTP URL content")
    paid = params.flag("allow_paid_broadcast")
    world.check_rate(chat.chat_id, paid=paid)
    disable_notification = params.flag("disable_notification")
    inline = markup if markup is not None and "inline_keyboard" in markup else None
    message = StoredMessage(
        chat.take_message_id(),
        True,
        int(time.time()),
        caption,
        entities,
        inline,
        disable_notification=disable_notification,
        photo=photo,
    )
    chat.messages[message.message_id] = message
    world.bot_messages.setdefault(chat.chat_id, []).append(message)
    world.keep(
        SentRecord(
            "sendPhoto", chat.chat_id, message.message_id, caption, parse_mode, entities, markup,
            disable_notification, None, world.clock(), paid=paid,
        )
    )  # fmt: skip
    return world.message_dict(chat, message)


@api_method("editMessageText")
async def edit_message_text(world: World, params: Params) -> Any:
    inline_id = params.text("inline_message_id")
    if inline_id:
        text, entities, parse_mode = rules.message_text(params)
        markup = _inline_markup(params)
        link_preview = _link_preview(params)
        world.keep(
            SentRecord(
                "editMessageText", None, None, text, parse_mode, entities, markup, False, link_preview,
                world.clock(), inline_id,
            )
        )  # fmt: skip
        return True
    chat, message = _edit_target(world, params, need="text")
    text, entities, parse_mode = rules.message_text(params)
    markup = _inline_markup(params)
    link_preview = _link_preview(params)
    world.check_edit_rate(chat.chat_id)
    if text == message.text and entities == message.entities and markup == message.reply_markup:
        raise bad_request(_NOT_MODIFIED)
    message.text, message.entities, message.reply_markup = text, entities, markup
    if link_preview is not None:
        message.link_preview_options = link_preview
    message.edit_date = int(time.time())
    world.keep(
        SentRecord(
            "editMessageText", chat.chat_id, message.message_id, text, parse_mode, entities, markup,
            False, link_preview, world.clock(),
        )
    )  # fmt: skip
    return world.message_dict(chat, message)


@api_method("editMessageCaption")
async def edit_message_caption(world: World, params: Params) -> Any:
    """A photo message's caption (and buttons); a text message has none to edit."""
    chat, message = _edit_target(world, params, need="caption")
    caption, entities, parse_mode = rules.caption_text(params)
    markup = _inline_markup(params)
    world.check_edit_rate(chat.chat_id)
    if caption == message.text and entities == message.entities and markup == message.reply_markup:
        raise bad_request(_NOT_MODIFIED)
    message.text, message.entities, message.reply_markup = caption, entities, markup
    message.edit_date = int(time.time())
    world.keep(
        SentRecord(
            "editMessageCaption", chat.chat_id, message.message_id, caption, parse_mode, entities, markup,
            False, None, world.clock(),
        )
    )  # fmt: skip
    return world.message_dict(chat, message)


@api_method("editMessageMedia")
async def edit_message_media(world: World, params: Params) -> Any:
    """A photo message's picture, with the caption the new media carries; only photos by URL or file
    id (what the bot sends). A URL in ``faults.unfetchable`` is refused as sendPhoto refuses it."""
    chat, message = _edit_target(world, params, need="media")
    media = params.obj("media", "input media")
    if not isinstance(media, dict) or not media.get("media"):
        raise bad_request("can't parse InputMedia JSON object")
    if media.get("type") != "photo":
        raise bad_request("wrong type of the media: only photos are kept by this emulator")
    photo = str(media["media"])
    caption, entities, parse_mode = rules.caption_text(Params(media))
    markup = _inline_markup(params)
    if photo in world.faults.unfetchable:
        raise bad_request("failed to get HTTP URL content")
    world.check_edit_rate(chat.chat_id)
    if (
        photo == message.photo
        and caption == message.text
        and entities == message.entities
        and markup == message.reply_markup
    ):
        raise bad_request(_NOT_MODIFIED)
    message.photo, message.text, message.entities, message.reply_markup = photo, caption, entities, markup
    message.edit_date = int(time.time())
    world.keep(
        SentRecord(
            "editMessageMedia", chat.chat_id, message.message_id, caption, parse_mode, entities, markup,
            False, None, world.clock(),
        )
    )  # fmt: skip
    return world.message_dict(chat, message)


@api_method("editMessageReplyMarkup")
async def edit_message_reply_markup(world: World, params: Params) -> Any:
    inline_id = params.text("inline_message_id")
    if inline_id:
        markup = _inline_markup(params)
        world.keep(
            SentRecord(
                "editMessageReplyMarkup", None, None, None, None, [], markup, False, None, world.clock(),
                inline_id,
            )
        )  # fmt: skip
        return True
    chat, message = _edit_target(world, params)
    markup = _inline_markup(params)
    if markup == message.reply_markup:
        raise bad_request(_NOT_MODIFIED)
    message.reply_markup = markup
    message.edit_date = int(time.time())
    world.keep(
        SentRecord(
            "editMessageReplyMarkup", chat.chat_id, message.message_id, message.text, None,
            message.entities, markup, False, None, world.clock(),
        )
    )  # fmt: skip
    return world.message_dict(chat, message)


@api_method("deleteMessage")
async def delete_message(world: World, params: Params) -> Any:
    chat = world.chat_for(params, writing=False)
    message_id = params.integer("message_id")
    if message_id is None:
        raise bad_request("message identifier is not specified")
    message = chat.messages.get(message_id)
    if message is None or message.deleted:
        raise bad_request("message to delete not found")
    if world.past_window(message, world.delete_window):
        raise bad_request("message can't be deleted for everyone")
    message.deleted = True
    world.keep(SentRecord("deleteMessage", chat.chat_id, message_id, None, None, [], None, False, None, world.clock()))
    return True


@api_method("sendChatAction")
async def send_chat_action(world: World, params: Params) -> Any:
    world.chat_for(params, writing=True)
    action = params.text("action")
    if not action:
        raise bad_request("action is empty")
    if action not in rules.CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request")
    return True


@api_method("getChat")
async def get_chat(world: World, params: Params) -> Any:
    chat = world.chat_for(params, writing=False)
    data = chat.as_dict()
    if chat.migrated_to is not None:
        data["migrate_to_chat_id"] = chat.migrated_to
    data["accent_color_id"] = 0
    data["max_reaction_count"] = 11
    data["accepted_gift_types"] = {
        "unlimited_gifts": False,
        "limited_gifts": False,
        "unique_gifts": False,
        "premium_subscription": False,
        "gifts_from_channels": False,
    }
    return data
