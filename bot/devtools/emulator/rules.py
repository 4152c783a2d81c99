"""Parameter decoding and Telegram's validation rules, each refusal worded as the Bot API words it."""

from __future__ import annotations

import json
import re
from typing import Any

from bot.devtools.emulator.state import ApiError, JSONDict, bad_request
from bot.devtools.emulator.telegram_html import EntityParseError, parse_html, utf16_len

MAX_TEXT_UTF16 = 4096
MAX_CAPTION_UTF16 = 1024
MAX_BUTTONS = 100
MAX_ROW_BUTTONS = 8
MAX_INLINE_RESULTS = 50

_BUTTON_ACTIONS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)
_COMMAND_RE = re.compile(r"^[a-z0-9_]{1,32}$")
_SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)


class Params:
    """A call's parameters, from JSON or form fields, read the way Telegram reads them."""

    __slots__ = ("raw",)

    def __init__(self, raw: dict[str, Any]) -> None:
        self.raw = raw

    def has(self, name: str) -> bool:
        return self.raw.get(name) not in (None, "")

    def text(self, name: str, default: str | None = None) -> str | None:
        value = self.raw.get(name)
        if value is None:
            return default
        if isinstance(value, str):
            return value
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, int | float):
            return str(value)
        raise bad_request(f'field "{name}" must be of type String')

    def integer(self, name: str, default: int | None = None) -> int | None:
        value = self.raw.get(name)
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, int):
            return value
        if isinstance(value, str):
            try:
                return int(value.strip())
            except ValueError:
                raise bad_request(f'field "{name}" must be of type Integer') from None
        if isinstance(value, float) and value.is_integer():
            return int(value)
        raise bad_request(f'field "{name}" must be of type Integer')

    def number(self, name: str, default: float | None = None) -> float | None:
        value = self.raw.get(name)
        if value is None or value == "":
            return default
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str):
            try:
                return float(value)
            except ValueError:
                raise bad_request(f'field "{name}" must be of type Number') from None
        raise bad_request(f'field "{name}" must be of type Number')

    def flag(self, name: str, default: bool = False) -> bool:
        value = self.raw.get(name)
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            return value
        if isinstance(value, int):
            return value != 0
        if isinstance(value, str):
            lowered = value.strip().lower()
            if lowered in ("true", "1"):
                return True
            if lowered in ("false", "0"):
                return False
        raise bad_request(f'field "{name}" must be of type Boolean')

    def obj(self, name: str, what: str) -> Any:
        """A nested object: JSON itself, or a JSON-encoded string as form encodings carry it."""
        value = self.raw.get(name)
        if value is None or value == "":
            return None
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                raise bad_request(f"can't parse {what} JSON object") from None
        return value


def caption_text(params: Params) -> tuple[str, list[JSONDict], str | None]:
    """A media caption after entity parsing (empty when none), with its entities."""
    if not params.text("caption"):
        return "", [], params.text("parse_mode") or None
    text, entities, parse_mode = message_text(params, field="caption", limit=MAX_CAPTION_UTF16)
    return text, entities, parse_mode


def message_text(
    params: Params, *, field: str = "text", limit: int = MAX_TEXT_UTF16
) -> tuple[str, list[JSONDict], str | None]:
    """The text of sendMessage / editMessageText after entity parsing, with its entities."""
    text = params.text(field)
    if text is None or text == "":
        raise bad_request("message text is empty")
    parse_mode = params.text("parse_mode") or None
    entities: list[JSONDict]
    if parse_mode is not None and parse_mode.lower() == "html":
        try:
            text, entities = parse_html(text)
        except EntityParseError as exc:
            raise ApiError(400, exc.description) from None
    elif parse_mode is not None and parse_mode.lower() in ("markdown", "markdownv2"):
        entities = []  # not parsed by the emulator; the bot uses HTML
    elif parse_mode is not None:
        raise bad_request(f'unsupported parse_mode "{parse_mode}"')
    else:
        given = params.obj("entities" if field == "text" else "caption_entities", "entities")
        if given is not None and not isinstance(given, list):
            raise bad_request("can't parse entities JSON object")
        entities = list(given or [])
    if not text.strip():
        raise bad_request("message text is empty")
    if utf16_len(text) > limit:
        raise bad_request("message caption is too long" if field == "caption" else "message is too long")
    return text, entities, parse_mode


def check_reply_markup(markup: Any) -> JSONDict | None:
    """Validate a reply_markup object; returns it (or None when absent)."""
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        check_inline_keyboard(markup["inline_keyboard"])
    elif "keyboard" in markup:
        rows = markup["keyboard"]
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise bad_request('field "keyboard" must be an Array of Arrays')
        for row in rows:
            for button in row:
                if isinstance(button, dict):
                    if not isinstance(button.get("text"), str) or not button["text"]:
                        raise bad_request("keyboard button text must be non-empty")
                elif not isinstance(button, str):
                    raise bad_request("can't parse keyboard button")
    elif not markup.get("remove_keyboard") and not markup.get("force_reply"):
        raise bad_request("can't parse reply keyboard markup JSON object")
    return markup


def check_inline_keyboard(rows: Any) -> None:
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request('field "inline_keyboard" must be an Array of Arrays')
    total = 0
    for row in rows:
        if len(row) > MAX_ROW_BUTTONS:
            raise bad_request("BUTTONS_TOO_MUCH")
        total += len(row)
        if total > MAX_BUTTONS:
            raise bad_request("BUTTONS_TOO_MUCH")
        for button in row:
            if not isinstance(button, dict):
                raise bad_request("can't parse inline keyboard button: InlineKeyboardButton must be an Object")
            text = button.get("text")
            if not isinstance(text, str) or not text.strip():
                raise bad_request("BUTTON_TEXT_INVALID")
            actions = [key for key in _BUTTON_ACTIONS if key in button]
            if not actions:
                raise bad_request(
                    "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
                )
            if len(actions) > 1:
                raise bad_request("can't parse inline keyboard button: only one of the optional fields must be used")
            if "callback_data" in button:
                data = button["callback_data"]
                if not isinstance(data, str) or not 1 <= len(data.encode("utf-8")) <= 64:
                    raise bad_request("BUTTON_DATA_INVALID")
            if "url" in button:
                url = button["url"]
                if not isinstance(url, str) or not url or " " in url:
                    raise bad_request("BUTTON_URL_INVALID")


def check_commands(commands: Any) -> list[JSONDict]:
    if not isinstance(commands, list):
        raise bad_request("can't parse commands JSON object")
    if len(commands) > 100:
        raise bad_request("too many commands specified")
    for command in commands:
        if not isinstance(command, dict):
            raise bad_request("can't parse BotCommand: BotCommand must be an Object")
        name = command.get("command")
        description = command.get("description")
        if not isinstance(name, str) or not _COMMAND_RE.match(name.lower()):
            raise bad_request("BOT_COMMAND_INVALID")
        if not isinstance(description, str) or not 1 <= len(description) <= 256:
            raise bad_request("command description is empty" if not description else "BOT_COMMAND_DESCRIPTION_INVALID")
    return [{"command": c["command"].lower(), "description": c["description"]} for c in commands]


def check_inline_results(results: Any) -> list[JSONDict]:
    if not isinstance(results, list):
        raise bad_request("can't parse results JSON object")
    if len(results) > MAX_INLINE_RESULTS:
        raise bad_request("RESULTS_TOO_MUCH")
    seen: set[str] = set()
    for result in results:
        if not isinstance(result, dict) or not isinstance(result.get("type"), str):
            raise bad_request("can't parse InlineQueryResult: InlineQueryResult must be an Object with a type")
        result_id = result.get("id")
        if not isinstance(result_id, str) or not 1 <= len(result_id.encode("utf-8")) <= 64:
            raise bad_request("RESULT_ID_INVALID")
        if result_id in seen:
            raise bad_request("RESULT_ID_DUPLICATE")
        seen.add(result_id)
        if "reply_markup" in result:
            check_reply_markup(result["reply_markup"])
    return results


def check_secret_token(secret: str | None) -> None:
    if secret is not None and secret != "" and not _SECRET_RE.match(secret):
        raise bad_request("secret token contains unallowed characters")
