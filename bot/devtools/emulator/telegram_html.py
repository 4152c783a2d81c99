"""Telegram's HTML parse mode, as the Bot API applies it to ``parse_mode=HTML`` texts.

``parse_html`` turns a Bot API HTML text into the plain text a reader sees and the list of
``MessageEntity`` dicts (offsets and lengths in UTF-16 code units), or raises
``EntityParseError`` with the description Telegram answers ("Bad Request: can't parse
entities: ...").

The parser follows the documented rules and the tag grammar of Telegram's server (tdlib's
``parse_html``): tag names are case-insensitive, unknown attributes are ignored, ``</>`` closes
the innermost tag, empty entities are dropped, ``<pre><code class="language-x">`` becomes one
``pre`` entity with ``language``, and entities nested inside ``code``/``pre`` are dropped.

It is stricter than the server in one respect, on purpose: the documentation says that every
``<``, ``>`` and ``&`` that is not part of a tag or an entity must be escaped, and the real server
silently keeps a stray ``&`` or an unknown named entity such as ``&nbsp;`` as literal text.  Such
texts are a bug in the sender (usually unescaped feed data), so this parser refuses them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["EntityParseError", "parse_html", "utf16_len"]

MessageEntityDict = dict[str, Any]

_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}

_TAG_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}

_SPACES = " \t\r\n\f\v"


class EntityParseError(ValueError):
    """A text refused by Telegram's HTML parser; ``str()`` is the Bot API description."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        self.description = f"Bad Request: can't parse entities: {reason}"
        super().__init__(self.description)


def utf16_len(s: str) -> int:
    """Length of ``s`` in UTF-16 code units, the unit of Telegram's offsets and limits."""
    return len(s) + sum(1 for ch in s if ord(ch) > 0xFFFF)


@dataclass
class _OpenTag:
    name: str
    argument: str
    expandable: bool
    offset: int  # UTF-16 offset in the result where the tag's content starts
    text_start: int  # index in the result pieces' joined text (code points)
    order: int


@dataclass
class _Parser:
    text: str
    pos: int = 0
    out: list[str] = field(default_factory=list)
    out_len: int = 0  # code points written
    utf16: int = 0  # UTF-16 units written
    stack: list[_OpenTag] = field(default_factory=list)
    entities: list[tuple[int, int, int, MessageEntityDict]] = field(default_factory=list)
    order: int = 0

    def byte_offset(self, index: int) -> int:
        return len(self.text[:index].encode("utf-8"))

    def fail(self, reason: str) -> EntityParseError:
        return EntityParseError(reason)

    def emit(self, s: str) -> None:
        self.out.append(s)
        self.out_len += len(s)
        self.utf16 += utf16_len(s)

    def char(self, index: int) -> str:
        return self.text[index] if index < len(self.text) else ""

    # -- entities ------------------------------------------------------------------------------

    def decode_entity(self, index: int) -> tuple[str, int] | None:
        """Decode an HTML entity starting at ``text[index] == '&'``; (char, end index) or None."""
        text = self.text
        semi = text.find(";", index + 1, index + 12)
        if semi < 0:
            return None
        body = text[index + 1 : semi]
        if body.startswith("#"):
            digits = body[1:]
            try:
                if digits[:1] in ("x", "X"):
                    if not digits[1:] or not all(c in "0123456789abcdefABCDEF" for c in digits[1:]):
                        return None
                    code = int(digits[1:], 16)
                else:
                    if not digits.isdigit() or not digits.isascii():
                        return None
                    code = int(digits)
            except ValueError:
                return None
            if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
                return None
            return chr(code), semi + 1
        value = _NAMED_ENTITIES.get(body)
        if value is None:
            return None
        return value, semi + 1

    def entity_error(self, index: int) -> EntityParseError:
        semi = self.text.find(";", index + 1, index + 32)
        if semi > index + 1 and all(c.isalnum() or c == "#" for c in self.text[index + 1 : semi]):
            return self.fail(
                f'Unsupported HTML entity "{self.text[index : semi + 1]}" at byte offset {self.byte_offset(index)}'
            )
        return self.fail(f'Unescaped "&" at byte offset {self.byte_offset(index)}')

    # -- tags ----------------------------------------------------------------------------------

    def parse(self) -> tuple[str, list[MessageEntityDict]]:
        text = self.text
        n = len(text)
        while self.pos < n:
            # copy the run of plain characters up to the next markup character
            nxt = self.pos
            while nxt < n and text[nxt] not in "<>&":
                nxt += 1
            if nxt > self.pos:
                self.emit(text[self.pos : nxt])
                self.pos = nxt
                continue
            c = text[self.pos]
            if c == "&":
                decoded = self.decode_entity(self.pos)
                if decoded is None:
                    raise self.entity_error(self.pos)
                self.emit(decoded[0])
                self.pos = decoded[1]
            elif c == ">":
                raise self.fail(f'Unescaped ">" at byte offset {self.byte_offset(self.pos)}')
            elif self.char(self.pos + 1) == "/":
                self.end_tag()
            else:
                self.start_tag()
        if self.stack:
            raise self.fail(f'Can\'t find end tag corresponding to start tag "{self.stack[-1].name}"')
        self.entities.sort(key=lambda e: (e[0], -e[1], e[2]))
        return "".join(self.out), [e[3] for e in self.entities]

    def start_tag(self) -> None:
        text = self.text
        begin = self.pos
        i = begin + 1
        while i < len(text) and text[i] not in _SPACES and text[i] != ">":
            i += 1
        if i >= len(text):
            raise self.fail(f"Unclosed start tag at byte offset {self.byte_offset(begin)}")
        name = text[begin + 1 : i].lower()
        if name not in _TAG_TYPES:
            raise self.fail(f'Unsupported start tag "{name}" at byte offset {self.byte_offset(begin)}')
        argument = ""
        expandable = False
        while self.char(i) != ">":
            while self.char(i) and self.char(i) in _SPACES:
                i += 1
            if self.char(i) == ">":
                break
            if not self.char(i):
                raise self.fail(f"Unclosed start tag at byte offset {self.byte_offset(begin)}")
            attr_begin = i
            while self.char(i) and self.char(i) not in _SPACES and self.char(i) not in "=>":
                i += 1
            attr_name = text[attr_begin:i].lower()
            if not attr_name:
                raise self.fail(f'Empty attribute name in the tag "{name}" at byte offset {self.byte_offset(begin)}')
            while self.char(i) and self.char(i) in _SPACES:
                i += 1
            if self.char(i) != "=":
                if name == "blockquote" and attr_name == "expandable":
                    expandable = True
                    continue
                if not self.char(i):
                    raise self.fail(f"Unclosed start tag at byte offset {self.byte_offset(begin)}")
                raise self.fail(
                    f'Expected equal sign in declaration of an attribute of the tag "{name}" '
                    f"at byte offset {self.byte_offset(begin)}"
                )
            i += 1
            while self.char(i) and self.char(i) in _SPACES:
                i += 1
            if not self.char(i):
                raise self.fail(f"Unclosed start tag at byte offset {self.byte_offset(begin)}")
            quote = self.char(i)
            if quote not in ("'", '"'):
                token_begin = i
                while self.char(i) and (self.char(i).isalnum() or self.char(i) in ".-"):
                    i += 1
                value = text[token_begin:i].lower()
                if not self.char(i) or (self.char(i) not in _SPACES and self.char(i) != ">"):
                    at = self.byte_offset(token_begin)
                    raise self.fail(f"Unexpected end of name token at byte offset {at}")
            else:
                i += 1
                pieces: list[str] = []
                while self.char(i) and self.char(i) != quote:
                    if self.char(i) == "&":
                        decoded = self.decode_entity(i)
                        if decoded is None:
                            raise self.entity_error(i)
                        pieces.append(decoded[0])
                        i = decoded[1]
                    else:
                        pieces.append(self.char(i))
                        i += 1
                if not self.char(i):
                    raise self.fail(f"Unclosed start tag at byte offset {self.byte_offset(begin)}")
                i += 1
                value = "".join(pieces)
            if name == "a" and attr_name == "href":
                argument = value
            elif name == "code" and attr_name == "class" and value.startswith("language-"):
                argument = value[len("language-") :]
            elif name == "span" and attr_name == "class" and value.startswith("tg-"):
                argument = value[len("tg-") :]
            elif name == "tg-emoji" and attr_name == "emoji-id":
                argument = value
            elif name == "blockquote" and attr_name == "expandable":
                expandable = True
        if name == "span" and argument != "spoiler":
            at = self.byte_offset(begin)
            raise self.fail(f'Tag "span" must have class "tg-spoiler" at byte offset {at}')
        if name == "tg-emoji" and not (argument.isascii() and argument.isdigit() and int(argument) > 0):
            raise self.fail("Invalid custom emoji identifier specified")
        self.stack.append(_OpenTag(name, argument, expandable, self.utf16, self.out_len, self.order))
        self.order += 1
        self.pos = i + 1

    def end_tag(self) -> None:
        text = self.text
        begin = self.pos
        if not self.stack:
            raise self.fail(f"Unexpected end tag at byte offset {self.byte_offset(begin)}")
        i = begin + 2
        while i < len(text) and text[i] not in _SPACES and text[i] != ">":
            i += 1
        end_name = text[begin + 2 : i].lower()
        while i < len(text) and text[i] in _SPACES:
            i += 1
        if i >= len(text) or text[i] != ">":
            raise self.fail(f"Unclosed end tag at byte offset {self.byte_offset(begin)}")
        tag = self.stack[-1]
        if end_name and end_name != tag.name:
            raise self.fail(
                f'Unmatched end tag at byte offset {self.byte_offset(begin)}, expected "</{tag.name}>", '
                f'found "</{end_name}>"'
            )
        self.stack.pop()
        self.pos = i + 1
        self.close(tag)

    def close(self, tag: _OpenTag) -> None:
        length = self.utf16 - tag.offset
        if length <= 0:
            return
        kind = _TAG_TYPES[tag.name]
        entity: MessageEntityDict = {"type": kind, "offset": tag.offset, "length": length}
        if tag.name == "a":
            url = tag.argument or "".join(self.out)[tag.text_start :]
            checked = _check_url(url)
            if checked is None:
                return
            if checked.startswith("tg://user?id="):
                entity = {"type": "text_mention", "offset": tag.offset, "length": length}
                user_id = int(checked[len("tg://user?id=") :])
                entity["user"] = {"id": user_id, "is_bot": False, "first_name": ""}
            else:
                entity["url"] = checked
        elif tag.name == "tg-emoji":
            entity["custom_emoji_id"] = tag.argument
        elif tag.name == "blockquote" and tag.expandable:
            entity["type"] = "expandable_blockquote"
        if kind in ("code", "pre"):
            inner_end = tag.offset + length
            # entities inside code and pre are not kept; a language-tagged code exactly filling a
            # pre becomes the pre's language
            kept = []
            for e in self.entities:
                inside = e[3]["offset"] >= tag.offset and e[3]["offset"] + e[3]["length"] <= inner_end
                if not inside:
                    kept.append(e)
                elif (
                    kind == "pre"
                    and e[3]["type"] == "code"
                    and e[3]["offset"] == tag.offset
                    and e[3]["length"] == length
                    and e[3].get("language")
                ):
                    entity["language"] = e[3]["language"]
            self.entities = kept
            if kind == "code" and tag.argument and self.stack and self.stack[-1].name == "pre":
                entity["language"] = tag.argument
        self.entities.append((tag.offset, length, tag.order, entity))


def _check_url(url: str) -> str | None:
    """Telegram's link check, simplified: a scheme-less link gets http://, odd links are dropped."""
    url = url.strip()
    if not url or any(c in url for c in _SPACES):
        return None
    lower = url.lower()
    if lower.startswith("tg://user?id="):
        rest = url[len("tg://user?id=") :]
        return url if rest.isascii() and rest.isdigit() else None
    if lower.startswith(("tg:", "ton:")):
        return url
    if "://" not in url:
        url = "http://" + url
        lower = url.lower()
    scheme, _, rest = url.partition("://")
    if scheme.lower() not in ("http", "https"):
        return None
    host = rest.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0].rsplit("@", 1)[-1].split(":", 1)[0]
    if not host or "." not in host.strip("."):
        return None
    return url


def parse_html(text: str) -> tuple[str, list[MessageEntityDict]]:
    """Parse a Bot API HTML text into (plain text, entities) or raise ``EntityParseError``."""
    return _Parser(text).parse()
