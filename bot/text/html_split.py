"""Splitting Telegram HTML into messages within Telegram's limit, and the text Telegram shows for it.

Telegram counts a message's length in UTF-16 code units of its visible text (tags removed,
entities decoded), at most 4096. :func:`split_message` cuts a rendered text into parts within
``limit`` at the best place it can (a paragraph, a line, a sentence, a clause, a space), closing
and reopening tags at the cuts; :func:`split_numbered` also appends «(1/3)» markers within the
same limit; :func:`visible_text` is what a reader sees of an HTML text.

Text rules only: nothing here knows about templates or Telegram objects.
"""

from __future__ import annotations

import functools
import html as html_lib
import re
import unicodedata
from dataclasses import dataclass

from bot.text.arabic import to_digits

__all__ = [
    "TELEGRAM_TEXT_LIMIT",
    "joins_previous",
    "number_parts",
    "split_message",
    "split_numbered",
    "utf16_len",
    "visible_text",
]

TELEGRAM_TEXT_LIMIT = 4096


def utf16_len(s: str) -> int:
    """Length of ``s`` in UTF-16 code units, Telegram's unit for limits and offsets."""
    return len(s.encode("utf-16-le")) // 2


def joins_previous(ch: str) -> bool:
    """True if ``ch`` belongs to the grapheme before it (combining mark, ZWJ, variation selector…)."""
    code = ord(ch)
    return (
        unicodedata.combining(ch) != 0
        or unicodedata.category(ch) in ("Mn", "Me", "Mc")
        or code == 0x200D
        or 0xFE00 <= code <= 0xFE0F
        or 0x1F3FB <= code <= 0x1F3FF
        or 0xE0020 <= code <= 0xE007F
    )


_TOKEN = re.compile(
    r"""(?P<tag></?[A-Za-z][A-Za-z0-9-]*(?:[^>"']|"[^"]*"|'[^']*')*>|</>)"""
    r"|(?P<entity>&(?:\#[0-9]{1,8}|\#[xX][0-9A-Fa-f]{1,7}|[A-Za-z][A-Za-z0-9]{0,10});)"
    r"|(?P<text>[^<&]+|[<&])"
)
_TAG_NAME = re.compile(r"</?([A-Za-z][A-Za-z0-9-]*)")
_SENTENCE_END = frozenset(".!?؟۔…")
_CLAUSE_END = frozenset("،,؛;:")

# kinds of atoms
_TEXT, _OPEN, _CLOSE = 0, 1, 2
# kinds of cuts, best first
_PARAGRAPH, _LINE, _SENTENCE, _CLAUSE, _SPACE = range(5)


@dataclass
class _Atoms:
    """The text as atoms: one tag, one entity or one character each (parallel lists)."""

    src: str
    start: list[int]
    end: list[int]
    kind: list[int]
    width: list[int]  # visible UTF-16 units
    char: list[str]  # the visible character ("" for a tag)
    stack: list[tuple[tuple[str, str], ...]]  # open tags (name, start tag) before each atom

    @property
    def n(self) -> int:
        return len(self.kind)

    def is_space(self, i: int) -> bool:
        return self.kind[i] == _TEXT and self.end[i] - self.start[i] == 1 and self.char[i].isspace()

    def is_visible(self, i: int) -> bool:
        """A visible atom that is not literal whitespace."""
        return self.kind[i] == _TEXT and not self.is_space(i)


def _atomize(src: str) -> _Atoms:
    atoms = _Atoms(src, [], [], [], [], [], [])
    stack: tuple[tuple[str, str], ...] = ()
    for m in _TOKEN.finditer(src):
        if m.lastgroup == "text":
            for offset, ch in enumerate(m.group()):
                pos = m.start() + offset
                atoms.start.append(pos)
                atoms.end.append(pos + 1)
                atoms.kind.append(_TEXT)
                atoms.width.append(2 if ord(ch) > 0xFFFF else 1)
                atoms.char.append(ch)
                atoms.stack.append(stack)
            continue
        atoms.start.append(m.start())
        atoms.end.append(m.end())
        atoms.stack.append(stack)
        token = m.group()
        if m.lastgroup == "entity":
            decoded = html_lib.unescape(token)
            atoms.kind.append(_TEXT)
            atoms.width.append(utf16_len(decoded))
            atoms.char.append(decoded)
            continue
        atoms.width.append(0)
        atoms.char.append("")
        name_match = _TAG_NAME.match(token)
        name = name_match.group(1).lower() if name_match else ""
        if token.startswith("</"):
            atoms.kind.append(_CLOSE)
            names = [open_name for open_name, _ in stack]
            if not name and stack:
                stack = stack[:-1]
            elif name in names:
                cut = len(names) - 1 - names[::-1].index(name)
                stack = stack[:cut]
        else:
            atoms.kind.append(_OPEN)
            stack = (*stack, (name, token))
    return atoms


def _visible(match: re.Match[str]) -> str:
    kind = match.lastgroup
    if kind == "text":
        return match.group()
    return html_lib.unescape(match.group()) if kind == "entity" else ""


@functools.lru_cache(maxsize=512)
def visible_text(html: str) -> str:
    """The text Telegram shows for ``html``: tags removed, entities decoded.

    The same tokens as the splitter's atoms, without building an atom per character: this runs
    on every edit in place (comparing with the message on screen), the splitter on long texts only.
    Remembered: a page of headlines rendered once (`Renderer.render_remembered`) is compared on
    every turn to it, as the same string, whose hash Python keeps.
    """
    return _TOKEN.sub(_visible, html)


def _cut_kind(atoms: _Atoms, s: int, c: int) -> int | None:
    """The kind of a cut before atom ``c`` (a whitespace run starting there), or None."""
    if not atoms.is_space(c):
        return None
    j = c - 1
    while j > s and atoms.kind[j] != _TEXT:
        j -= 1
    if atoms.is_space(j):
        return None  # not the start of the whitespace run
    newlines = 0
    k = c
    while k < atoms.n and (atoms.is_space(k) or atoms.kind[k] != _TEXT):
        newlines += atoms.char[k] == "\n"
        k += 1
    if newlines >= 2:
        return _PARAGRAPH
    if newlines == 1:
        return _LINE
    last = atoms.char[j][-1:] if atoms.kind[j] == _TEXT else ""
    if last in _SENTENCE_END:
        return _SENTENCE
    if last in _CLAUSE_END:
        return _CLAUSE
    return _SPACE


def _choose_cut(atoms: _Atoms, s: int, c_max: int, budget: int) -> int:
    """Where to end the part that starts at ``s``: the best kind of cut that keeps the part at
    least half the budget long, else the best kind at all, else a hard cut at ``c_max``."""
    best: dict[int, int] = {}  # kind -> latest cut
    best_long: dict[int, int] = {}
    width = sum(atoms.width[s:c_max])
    for c in range(c_max, s, -1):
        kind = _cut_kind(atoms, s, c) if c < atoms.n else None
        if kind is not None:
            best.setdefault(kind, c)
            if width * 2 >= budget:
                best_long.setdefault(kind, c)
        width -= atoms.width[c - 1]
    if best_long:
        return best_long[min(best_long)]
    if best:
        return best[min(best)]
    c = c_max
    while c > s + 1 and c < atoms.n and _glued(atoms.char[c - 1], atoms.char[c]):
        c -= 1
    return c


def _glued(before: str, after: str) -> bool:
    """True if a cut between these two characters would split a grapheme."""
    return (after != "" and joins_previous(after[0])) or before == "\u200d"


def _part(atoms: _Atoms, s: int, e: int) -> str:
    """Atoms ``s`` … ``e`` inclusive, with the tags open at ``s`` reopened and those open after
    ``e`` closed."""
    opening = "".join(tag for _, tag in atoms.stack[s])
    after = atoms.stack[e + 1] if e + 1 < atoms.n else _stack_after(atoms, e)
    closing = "".join(f"</{name}>" for name, _ in reversed(after))
    return opening + atoms.src[atoms.start[s] : atoms.end[e]] + closing


def _stack_after(atoms: _Atoms, i: int) -> tuple[tuple[str, str], ...]:
    stack = atoms.stack[i]
    if atoms.kind[i] == _OPEN:
        name = _TAG_NAME.match(atoms.src[atoms.start[i] : atoms.end[i]])
        return (*stack, (name.group(1).lower() if name else "", atoms.src[atoms.start[i] : atoms.end[i]]))
    if atoms.kind[i] == _CLOSE:
        return stack[:-1]
    return stack


def split_message(html: str, limit: int = TELEGRAM_TEXT_LIMIT) -> list[str]:
    """Split Telegram HTML into parts of at most ``limit`` UTF-16 units of visible text each.

    Cuts go at paragraph breaks first, then line breaks, then after a sentence («.» «؟» «!»),
    then after a clause («،» «,» «؛»), then at a space; a better kind of cut is taken when it
    keeps the part at least half the limit long. A word longer than the limit is cut hard, between
    characters (never inside a tag, an entity, a surrogate pair, or before a combining mark). Tags
    open at a cut are closed at the end of the part and reopened, with their attributes, at the
    start of the next. Whitespace at a cut is dropped; nothing else is lost. A text that fits is
    returned unchanged as the only part.
    """
    if limit < 2:
        raise ValueError("limit must be at least 2 UTF-16 units (one character of any kind)")
    if utf16_len(html) <= limit:
        return [html]  # tags and entities only ever shorten what shows: it fits
    atoms = _atomize(html)
    if sum(atoms.width) <= limit:
        return [html]
    parts: list[str] = []
    s = 0
    while True:
        while s < atoms.n and not atoms.is_visible(s):
            s += 1
        if s >= atoms.n:
            break
        # the furthest cut that keeps the part within the limit
        width = 0
        c_max = s
        while c_max < atoms.n and width + atoms.width[c_max] <= limit:
            width += atoms.width[c_max]
            c_max += 1
        c = atoms.n if c_max >= atoms.n else _choose_cut(atoms, s, c_max, limit)
        e = c - 1
        while e > s and not atoms.is_visible(e):
            e -= 1
        parts.append(_part(atoms, s, e))
        s = c
    return parts


def _marker(index: int, total: int, arabic_digits: bool) -> str:
    return "\n(" + to_digits(f"{index}/{total}", arabic_digits) + ")"


def number_parts(parts: list[str], arabic_digits: bool = False) -> list[str]:
    """Append «(1/3)», «(2/3)», … to each part when there is more than one."""
    if len(parts) <= 1:
        return list(parts)
    total = len(parts)
    return [part + _marker(i, total, arabic_digits) for i, part in enumerate(parts, 1)]


def split_numbered(html: str, limit: int = TELEGRAM_TEXT_LIMIT, arabic_digits: bool = False) -> list[str]:
    """:func:`split_message` then :func:`number_parts`, every numbered part within ``limit``."""
    parts = split_message(html, limit)
    digits = 1
    while len(parts) > 1:
        reserve = utf16_len(_marker(10**digits - 1, 10**digits - 1, arabic_digits))
        parts = split_message(html, limit - reserve)
        if len(str(len(parts))) <= digits:
            break
        digits = len(str(len(parts)))
    return number_parts(parts, arabic_digits)
