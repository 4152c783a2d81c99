"""Arabic text rules (docs/product.md «Arabic»): search folding, counted nouns, digits, bidi isolation,
dates and relative times, and cleaning of incoming text."""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo

from babel import Locale
from babel.dates import format_datetime

# Tashkeel (harakat, tanween, shadda, sukun, superscript alef, Quranic marks) and tatweel are dropped.
_DROP = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06dc\u06df-\u06e8\u06ea-\u06ed\u0640]")
_FOLD_TABLE = str.maketrans(
    {
        "أ": "ا",
        "إ": "ا",
        "آ": "ا",
        "ٱ": "ا",
        "ى": "ي",
        "ة": "ه",
        "ؤ": "و",
        "ئ": "ي",
        **{chr(0x0660 + d): str(d) for d in range(10)},  # Arabic-Indic digits
        **{chr(0x06F0 + d): str(d) for d in range(10)},  # Extended (Persian) digits
    }
)
_FOLD_PAIRS: tuple[tuple[str, str], ...] = tuple((chr(k), str(v)) for k, v in _FOLD_TABLE.items())


def fold(text: str) -> str:
    """Fold Arabic spelling variants so that «إسرائيل» and «اسرائيل», «غزة» and «غزه» compare equal.

    Applied identically to indexed text and to queries. Idempotent: fold(fold(x)) == fold(x).
    """
    text = unicodedata.normalize("NFC", text)
    text = _DROP.sub("", text)
    # One replace per letter present, not str.translate: translate looks every character up in the
    # table (a tenth of a millisecond for an article), replace scans in C; no target is a source,
    # so the order does not matter and the result is translate's.
    for source, target in _FOLD_PAIRS:
        if source in text:
            text = text.replace(source, target)
    return text.casefold()


# ---------------------------------------------------------------------------------------------
# Counted nouns (CLDR plural rules for «ar», through Babel)
# ---------------------------------------------------------------------------------------------

_AR = Locale("ar")


@dataclass(frozen=True)
class Noun:
    """The forms of one counted noun, one per CLDR plural category of «ar».

    ``few``, ``many`` and ``other`` hold ``{n}`` where the number goes. ``singular`` is the bare
    noun («دقيقة»), used after a preposition («منذ دقيقة»); ``two_genitive`` is the dual after a
    preposition or in an idafa («منذ دقيقتين»), where the nominative dual («دقيقتان») is wrong.
    """

    zero: str  # «لا أخبار»
    one: str  # «خبر واحد»
    two: str  # «خبران»
    few: str  # 3-10, 103-110 …: «{n} أخبار» (plural, genitive)
    many: str  # 11-99, 111-199 …: «{n} خبرًا» (singular, accusative tamyiz)
    other: str  # 100-102, 200 …: «{n} خبر» (singular, genitive)
    singular: str
    two_genitive: str

    def form(self, category: str) -> str:
        return str(getattr(self, category))


NOUNS: dict[str, Noun] = {
    "article": Noun("لا أخبار", "خبر واحد", "خبران", "{n} أخبار", "{n} خبرًا", "{n} خبر", "خبر", "خبرين"),
    "topic": Noun(
        "لا مواضيع",
        "موضوع واحد",
        "موضوعان",
        "{n} مواضيع",
        "{n} موضوعًا",
        "{n} موضوع",
        "موضوع",
        "موضوعين",
    ),
    "subscription": Noun(
        "لا اشتراكات",
        "اشتراك واحد",
        "اشتراكان",
        "{n} اشتراكات",
        "{n} اشتراكًا",
        "{n} اشتراك",
        "اشتراك",
        "اشتراكين",
    ),
    "word": Noun("لا كلمات", "كلمة واحدة", "كلمتان", "{n} كلمات", "{n} كلمة", "{n} كلمة", "كلمة", "كلمتين"),
    "minute": Noun(
        "لا دقائق",
        "دقيقة واحدة",
        "دقيقتان",
        "{n} دقائق",
        "{n} دقيقة",
        "{n} دقيقة",
        "دقيقة",
        "دقيقتين",
    ),
    "hour": Noun("لا ساعات", "ساعة واحدة", "ساعتان", "{n} ساعات", "{n} ساعة", "{n} ساعة", "ساعة", "ساعتين"),
    "day": Noun("لا أيام", "يوم واحد", "يومان", "{n} أيام", "{n} يومًا", "{n} يوم", "يوم", "يومين"),
    "member": Noun("لا أعضاء", "عضو واحد", "عضوان", "{n} أعضاء", "{n} عضوًا", "{n} عضو", "عضو", "عضوين"),
    "reader": Noun("لا قراء", "قارئ واحد", "قارئان", "{n} قراء", "{n} قارئًا", "{n} قارئ", "قارئ", "قارئين"),
    "time": Noun("لا مرات", "مرة واحدة", "مرتان", "{n} مرات", "{n} مرة", "{n} مرة", "مرة", "مرتين"),
    "second": Noun("لا ثوانٍ", "ثانية واحدة", "ثانيتان", "{n} ثوانٍ", "{n} ثانية", "{n} ثانية", "ثانية", "ثانيتين"),
    "star": Noun("لا نجوم", "نجمة واحدة", "نجمتان", "{n} نجوم", "{n} نجمة", "{n} نجمة", "نجمة", "نجمتين"),
    "message": Noun(
        "لا رسائل",
        "رسالة واحدة",
        "رسالتان",
        "{n} رسائل",
        "{n} رسالة",
        "{n} رسالة",
        "رسالة",
        "رسالتين",
    ),
}


@functools.lru_cache(maxsize=4096)
def plural_category(n: int) -> str:
    """The CLDR plural category of ``n`` in Arabic: zero, one, two, few, many or other.

    Remembered for the counts in use: Babel evaluates the CLDR rule anew on every call."""
    return str(_AR.plural_form(n))


def _noun(noun: str) -> Noun:
    try:
        return NOUNS[noun]
    except KeyError:
        raise ValueError(f"unknown noun {noun!r}; known: {', '.join(sorted(NOUNS))}") from None


def count_phrase(n: int, noun: str, *, arabic_digits: bool = False) -> str:
    """«لا أخبار», «خبر واحد», «خبران», «3 أخبار», «11 خبرًا», «100 خبر» for ``noun="article"``."""
    if n < 0:
        raise ValueError(f"a count cannot be negative: {n}")
    form = _noun(noun).form(plural_category(n))
    return form.format(n=to_digits(n, arabic_digits))


def _after_preposition(n: int, noun: str, arabic_digits: bool) -> str:
    """The counted noun in the genitive, as after «منذ»: «دقيقة», «دقيقتين», «3 دقائق», «11 دقيقة»."""
    forms = _noun(noun)
    category = plural_category(n)
    if category == "one":
        return forms.singular
    if category == "two":
        return forms.two_genitive
    if category == "zero":
        return forms.zero
    return forms.form(category).format(n=to_digits(n, arabic_digits))


# ---------------------------------------------------------------------------------------------
# Digits
# ---------------------------------------------------------------------------------------------

_TO_ARABIC_DIGITS = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
_TO_WESTERN_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩", "0123456789")


def to_digits(value: str | int, arabic: bool) -> str:
    """``value`` as text with its digits in the reader's set: ٠-٩ when ``arabic``, else 0-9."""
    text = str(value)
    return text.translate(_TO_ARABIC_DIGITS if arabic else _TO_WESTERN_DIGITS)


def hour_of_day(hour: int, arabic_digits: bool = False) -> str:
    """A local hour as readers say it: «منتصف الليل», «7 صباحًا», «12 ظهرًا», «10 مساءً»."""
    if not 0 <= hour <= 23:
        raise ValueError(f"an hour of the day is 0-23, got {hour}")
    if hour == 0:
        return "منتصف الليل"
    if hour < 12:
        return f"{to_digits(hour, arabic_digits)} صباحًا"
    if hour == 12:
        return f"{to_digits(12, arabic_digits)} ظهرًا"
    return f"{to_digits(hour - 12, arabic_digits)} مساءً"


# ---------------------------------------------------------------------------------------------
# Bidi isolation
# ---------------------------------------------------------------------------------------------

FSI = "\u2068"  # FIRST STRONG ISOLATE
PDI = "\u2069"  # POP DIRECTIONAL ISOLATE

_RTL_LETTER = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff]")
_LTR_OR_DIGIT = re.compile(r"[A-Za-z\u00c0-\u024f\u1e00-\u1eff0-9]")
_LATIN = "A-Za-z\u00c0-\u024f\u1e00-\u1eff"
# a URL: scheme or www., then anything but whitespace and isolates; trailing punctuation stays out
_URL = rf"(?:https?://|www\.)[^\s{FSI}{PDI}]*[^\s{FSI}{PDI}.,،؛;:!?؟)\]}}»\"']"
# a Latin word or a number, with inner joiners: COVID-19, bbc.co.uk, 2.5%, Al-Ahly, O'Neil, 10:30
_WORD = rf"[{_LATIN}0-9]+(?:[-_.'’@/:&+,٫٬][{_LATIN}0-9]+)*%?"
_TOKEN = rf"(?:{_URL}|{_WORD})"
# a run of such tokens separated by spaces: «Donald Trump», «iPhone 15 Pro»
_RUN = rf"{_TOKEN}(?:[ ]+{_TOKEN})*"
_ISOLATED_OR_RUN = re.compile(rf"(?P<iso>{FSI}[^{FSI}{PDI}]*{PDI})|(?P<run>{_RUN})")


def _wrap(match: re.Match[str]) -> str:
    if match.group("iso") is not None:
        return match.group(0)
    return FSI + match.group(0) + PDI


def isolate_latin_runs(text: str) -> str:
    """Isolate the Latin words, URLs and numbers inside Arabic text in FSI … PDI.

    Text without Arabic letters, or without Latin letters and digits, is returned unchanged.
    Runs already isolated are left alone, so the function is idempotent.
    """
    if not _RTL_LETTER.search(text) or not _LTR_OR_DIGIT.search(text):
        return text
    return _ISOLATED_OR_RUN.sub(_wrap, text)


_LATIN_LETTER = re.compile(f"[{_LATIN}]")
# What decides a line's direction (the first strong character, isolates skipped, as the Unicode
# bidi algorithm's rule P2 reads it): an isolate, an Arabic (or Hebrew) letter, or a Latin one.
_STRONG = re.compile(
    rf"{FSI}[^{FSI}{PDI}]*{PDI}|(?P<rtl>[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff])|(?P<ltr>[{_LATIN}])"
)
_RUN_ONLY = re.compile(_RUN)


def _first_latin(line: str) -> int | None:
    """Where the Latin letter that would make `line` left-to-right is; None when the line's first
    strong character (outside isolates) is Arabic, or it has none."""
    for match in _STRONG.finditer(line):
        if match.group("rtl") is not None:
            return None
        if match.group("ltr") is not None:
            return match.start()
    return None


def isolate_leading_latin(line: str) -> str:
    """One line with the Latin runs isolated that would otherwise turn it left-to-right: while the
    first strong character outside isolates is Latin, the run holding it is wrapped in FSI … PDI.
    Latin words and numbers after an Arabic word stay as they are (they do not turn the line)."""
    while (at := _first_latin(line)) is not None:
        run = next((r for r in _RUN_ONLY.finditer(line) if r.start() <= at < r.end()), None)
        if run is None:  # cannot happen: every Latin letter is inside a run; kept as a guard
            return line
        line = line[: run.start()] + FSI + run.group(0) + PDI + line[run.end() :]
    return line


def isolate(text: str) -> str:
    """Make ``text`` safe to place in an Arabic message, with isolation marks only where a line's
    direction would otherwise flip (docs/product.md «Arabic»): readers copy the marks with the text.

    A Latin value («BBC», «https://…») is wrapped whole in one FSI … PDI (a template may start a
    line with it); in text with Arabic letters, a line that would start left-to-right has its
    leading Latin run isolated (:func:`isolate_leading_latin`) and nothing else is touched. Numbers
    are weak characters that never turn a line: text without Latin letters («2025», «ارتفع 25%»)
    is returned unchanged, as is text already isolated.
    """
    if not _LATIN_LETTER.search(text):
        return text
    if _RTL_LETTER.search(text):
        if "\n" not in text:
            return isolate_leading_latin(text)
        return "\n".join(isolate_leading_latin(line) for line in text.split("\n"))
    # inner isolates in a Latin value are redundant, and stray ones would unbalance the wrap
    return FSI + text.replace(FSI, "").replace(PDI, "") + PDI


# ---------------------------------------------------------------------------------------------
# Dates and relative times
# ---------------------------------------------------------------------------------------------

_DATE_PATTERN = "d MMMM y، HH:mm"


def _aware(dt: datetime) -> datetime:
    """Naive datetimes in this project are UTC."""
    return dt if dt.tzinfo is not None else dt.replace(tzinfo=UTC)


@functools.lru_cache(maxsize=8192)
def format_date(dt: datetime, tz: tzinfo, *, arabic_digits: bool = False) -> str:
    """«24 مارس 2026، 23:31»: the day, the Arabic month name (Babel's «ar»), year and time in ``tz``.

    A naive ``dt`` is taken as UTC. Remembered for recent dates: a page of headlines shows the
    same dates to every reader, and Babel's formatting is the costliest part of rendering it.
    """
    text = format_datetime(_aware(dt), _DATE_PATTERN, tzinfo=tz, locale=_AR)
    return to_digits(text, arabic_digits)


_DAY_PATTERN = "d MMMM y"


def format_day(dt: datetime, *, arabic_digits: bool = False) -> str:
    """«3 أغسطس 2013»: a day given without a time (stored as 00:00 UTC of that day), with no time
    and no time zone shift."""
    text = format_datetime(_aware(dt), _DAY_PATTERN, tzinfo=UTC, locale=_AR)
    return to_digits(text, arabic_digits)


_MINUTE = 60
_HOUR = 60 * _MINUTE
_DAY = 24 * _HOUR
RELATIVE_DAYS = 7  # up to «منذ 7 أيام»; older items show their date


def relative_time(dt: datetime, now: datetime, *, arabic_digits: bool = False, tz: tzinfo | None = None) -> str:
    """«الآن», «منذ دقيقة», «منذ دقيقتين», «منذ 3 دقائق», «منذ 11 دقيقة», … «منذ 3 أيام».

    Under a minute, and any future time (clock skew), is «الآن». Beyond :data:`RELATIVE_DAYS`
    days the date itself is given (:func:`format_date`, in ``tz`` or else ``now``'s zone).
    Naive datetimes are taken as UTC.
    """
    dt, now = _aware(dt), _aware(now)
    seconds = int((now - dt).total_seconds())
    if seconds < _MINUTE:
        return "الآن"
    if seconds < _HOUR:
        amount, unit = seconds // _MINUTE, "minute"
    elif seconds < _DAY:
        amount, unit = seconds // _HOUR, "hour"
    elif seconds < (RELATIVE_DAYS + 1) * _DAY:
        amount, unit = seconds // _DAY, "day"
    else:
        return format_date(dt, tz or now.tzinfo or UTC, arabic_digits=arabic_digits)
    return "منذ " + _after_preposition(amount, unit, arabic_digits)


# ---------------------------------------------------------------------------------------------
# Cleaning text from readers and sources
# ---------------------------------------------------------------------------------------------

# bidi controls (LRM, RLM, ALM, embeddings, overrides, isolates) and zero-width characters;
# ZWNJ (U+200C) and ZWJ (U+200D) are kept: they shape Persian/Urdu words and emoji sequences
_INVISIBLE = re.compile("[\u061c\u200b\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")
_LINE_BREAKS = re.compile("\r\n|[\r\u2028\u2029\x0b\x0c\x85]")
_HSPACE = re.compile(r"[^\S\n]+")
_SPACE_AROUND_NEWLINE = re.compile(r" ?\n ?")
_BLANK_LINES = re.compile(r"\n{3,}")


def _drop_controls(text: str) -> str:
    return "".join(ch for ch in text if ch == "\n" or ch == "\t" or unicodedata.category(ch) != "Cc")


def clean_text(text: str) -> str:
    """Normalise text from readers and sources.

    NFC; line breaks become ``\\n``; control characters (but ``\\n``), bidi marks and zero-width
    characters (but ZWNJ/ZWJ) are dropped; runs of spaces become one space, spaces around line
    breaks go, more than one blank line becomes one; the ends are stripped.
    """
    text = unicodedata.normalize("NFC", text)
    text = _LINE_BREAKS.sub("\n", text)
    text = _INVISIBLE.sub("", text)
    text = _drop_controls(text)
    text = _HSPACE.sub(" ", text)
    text = _SPACE_AROUND_NEWLINE.sub("\n", text)
    text = _BLANK_LINES.sub("\n\n", text)
    return text.strip()
