"""Rendering of Telegram-HTML messages: one Jinja2 environment, Telegram-safe filters, splitting.

Templates are ``*.html.j2`` files in the repository's ``templates/`` folder, shipped inside the
package (:func:`default_templates_dir`). Every template is autoescaped: values are plain ``str`` and Jinja
escapes them (``<`` ``>`` ``&`` ``"`` ``'``; Telegram accepts the numeric ``&#34;`` and ``&#39;``).
Undefined names raise (``StrictUndefined``).

Filters for template authors (``arabic_digits`` is the reader's setting, ``False`` for 0-9):

``{{ n | count('article', arabic_digits) }}``
    a counted noun, «11 خبرًا» (:func:`bot.arabic.count_phrase`; nouns in ``bot.arabic.NOUNS``)
``{{ value | digits(arabic_digits) }}``
    a number or text with its digits in the reader's set
``{{ published | date(arabic_digits) }}``
    «24 مارس 2026، 23:31» in the site's time zone given to :class:`Renderer`
``{{ published | ago(arabic_digits) }}``
    «منذ 5 دقائق», relative to the Renderer's clock; older than a week gives the date
``{{ author | isolate }}``
    Latin names, URLs and numbers isolated (FSI … PDI) for an Arabic line
``{{ lead | truncate_words(200) }}``
    at most 200 characters, cut at a word boundary, ending in «…»

Splitting long messages: :func:`split_message` cuts a rendered text into parts of at most
``limit`` UTF-16 units of visible text (what Telegram counts), closing and reopening tags at the
cuts; :func:`split_numbered` also appends «(1/3)» markers within the same limit.
"""

from __future__ import annotations

import html as html_lib
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, Template

from bot.arabic import count_phrase, format_date, isolate, relative_time, to_digits
from bot.resources import resource_dir

__all__ = [
    "TELEGRAM_TEXT_LIMIT",
    "Renderer",
    "default_templates_dir",
    "number_parts",
    "split_message",
    "split_numbered",
    "truncate_words",
    "utf16_len",
    "visible_text",
]

TELEGRAM_TEXT_LIMIT = 4096
ELLIPSIS = "…"


def default_templates_dir() -> Path:
    """The shipped templates: inside the installed package, else the repository's ``templates/``."""
    return resource_dir("templates")


def utf16_len(s: str) -> int:
    """Length of ``s`` in UTF-16 code units, Telegram's unit for limits and offsets."""
    return len(s.encode("utf-16-le")) // 2


# ---------------------------------------------------------------------------------------------
# Filters
# ---------------------------------------------------------------------------------------------

_TRAILING_PUNCT = " \t\n،,؛;:-–—"


def truncate_words(text: str, limit: int, end: str = ELLIPSIS) -> str:
    """``text`` shortened to at most ``limit`` characters, ``end`` included, at a word boundary.

    Text that fits is returned as it is. A first word longer than the limit is cut, never between
    a letter and its combining marks (tashkeel) or inside an emoji sequence.
    """
    if limit < len(end) + 1:
        raise ValueError(f"limit {limit} leaves no room for text before {end!r}")
    if len(text) <= limit:
        return text
    room = limit - len(end)
    head = text[: room + 1]
    space = max(head.rfind(" "), head.rfind("\n"))
    if space > 0:
        cut = text[:space].rstrip(_TRAILING_PUNCT)
        if cut:
            return cut + end
    cut_at = room
    while cut_at > 1 and _joins_previous(text[cut_at]):
        cut_at -= 1
    return text[:cut_at].rstrip(_TRAILING_PUNCT) + end


def _joins_previous(ch: str) -> bool:
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


class Renderer:
    """The project's single Jinja2 environment for Telegram-HTML messages.

    ``tz`` is the site's time zone for dates; ``clock`` gives "now" for relative times (tests pass
    a fixed clock).
    """

    def __init__(
        self,
        templates_dir: Path | str | None = None,
        *,
        tz: tzinfo,
        clock: Callable[[], datetime],
    ) -> None:
        self.tz = tz
        self.clock = clock
        self.env = Environment(
            loader=FileSystemLoader(str(templates_dir or default_templates_dir())),
            autoescape=True,
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=False,
            # Templates ship with the code: no stat of the file on every render to look for edits.
            auto_reload=False,
        )
        self.env.filters.update(
            count=self._count,
            digits=self._digits,
            date=self._date,
            ago=self._ago,
            isolate=self._isolate,
            truncate_words=truncate_words,
        )

    # filters: each returns plain str, so autoescape still applies to it

    @staticmethod
    def _count(n: int, noun: str, arabic_digits: bool = False) -> str:
        return count_phrase(n, noun, arabic_digits=arabic_digits)

    @staticmethod
    def _digits(value: Any, arabic_digits: bool = False) -> str:
        return to_digits(str(value), arabic_digits)

    def _date(self, dt: datetime, arabic_digits: bool = False) -> str:
        return format_date(dt, self.tz, arabic_digits=arabic_digits)

    def _ago(self, dt: datetime, arabic_digits: bool = False) -> str:
        return relative_time(dt, self.clock(), arabic_digits=arabic_digits, tz=self.tz)

    @staticmethod
    def _isolate(text: Any) -> str:
        return isolate(str(text))

    def render(self, template_name: str, /, **context: Any) -> str:
        """Render the template ``template_name`` (e.g. ``"article.html.j2"``) to Telegram HTML."""
        return self.env.get_template(template_name).render(**context)

    def render_plain(self, template_name: str, /, **context: Any) -> str:
        """Render a template and return the text a reader sees (tags removed, entities decoded), for
        places that take plain text, not HTML: callback query alerts, inline result descriptions."""
        return visible_text(self.render(template_name, **context))

    def from_string(self, source: str) -> Template:
        """A template from source text, in the same environment (same escaping and filters)."""
        return self.env.from_string(source)

    def render_string(self, source: str, /, **context: Any) -> str:
        return self.from_string(source).render(**context)


# ---------------------------------------------------------------------------------------------
# Splitting long messages
# ---------------------------------------------------------------------------------------------

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


def visible_text(html: str) -> str:
    """The text Telegram shows for ``html``: tags removed, entities decoded.

    The same tokens as the splitter's atoms, without building an atom per character: this runs
    on every edit in place (comparing with the message on screen), the splitter on long texts only.
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
    return (after != "" and _joins_previous(after[0])) or before == "\u200d"


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
