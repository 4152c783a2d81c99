"""The Arabic layer: counted nouns, digits, bidi isolation, dates, relative times, cleaning, folding."""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.text.arabic import (
    _DROP,
    _FOLD_TABLE,
    FSI,
    NOUNS,
    PDI,
    clean_text,
    count_phrase,
    fold,
    format_date,
    isolate,
    isolate_latin_runs,
    plural_category,
    relative_time,
    to_digits,
)

# -- counted nouns --------------------------------------------------------------------------------

# the expected forms of every noun, by CLDR category, written out independently of the table
EXPECTED = {
    "article": ("لا أخبار", "خبر واحد", "خبران", "{n} أخبار", "{n} خبرًا", "{n} خبر"),
    "topic": ("لا مواضيع", "موضوع واحد", "موضوعان", "{n} مواضيع", "{n} موضوعًا", "{n} موضوع"),
    "subscription": (
        "لا اشتراكات",
        "اشتراك واحد",
        "اشتراكان",
        "{n} اشتراكات",
        "{n} اشتراكًا",
        "{n} اشتراك",
    ),
    "minute": ("لا دقائق", "دقيقة واحدة", "دقيقتان", "{n} دقائق", "{n} دقيقة", "{n} دقيقة"),
    "hour": ("لا ساعات", "ساعة واحدة", "ساعتان", "{n} ساعات", "{n} ساعة", "{n} ساعة"),
    "day": ("لا أيام", "يوم واحد", "يومان", "{n} أيام", "{n} يومًا", "{n} يوم"),
    "reader": ("لا قراء", "قارئ واحد", "قارئان", "{n} قراء", "{n} قارئًا", "{n} قارئ"),
    "message": ("لا رسائل", "رسالة واحدة", "رسالتان", "{n} رسائل", "{n} رسالة", "{n} رسالة"),
    "time": ("لا مرات", "مرة واحدة", "مرتان", "{n} مرات", "{n} مرة", "{n} مرة"),
    "member": ("لا أعضاء", "عضو واحد", "عضوان", "{n} أعضاء", "{n} عضوًا", "{n} عضو"),
    "second": ("لا ثوانٍ", "ثانية واحدة", "ثانيتان", "{n} ثوانٍ", "{n} ثانية", "{n} ثانية"),
    "star": ("لا نجوم", "نجمة واحدة", "نجمتان", "{n} نجوم", "{n} نجمة", "{n} نجمة"),
    "word": ("لا كلمات", "كلمة واحدة", "كلمتان", "{n} كلمات", "{n} كلمة", "{n} كلمة"),
}
CATEGORIES = ("zero", "one", "two", "few", "many", "other")


def cldr_category(n: int) -> str:
    """The CLDR rule for «ar», written out: the test's own oracle, not Babel's."""
    if n == 0:
        return "zero"
    if n == 1:
        return "one"
    if n == 2:
        return "two"
    if 3 <= n % 100 <= 10:
        return "few"
    if 11 <= n % 100 <= 99:
        return "many"
    return "other"


def test_every_noun_is_tested() -> None:
    assert set(NOUNS) == set(EXPECTED)


@pytest.mark.parametrize("n", range(1001))
def test_plural_category_follows_cldr(n: int) -> None:
    assert plural_category(n) == cldr_category(n)


@pytest.mark.parametrize("noun", sorted(EXPECTED))
def test_count_phrase_for_0_to_1000(noun: str) -> None:
    for n in range(1001):
        form = EXPECTED[noun][CATEGORIES.index(cldr_category(n))]
        assert count_phrase(n, noun) == form.format(n=n), n


@pytest.mark.parametrize(
    ("n", "phrase"),
    [
        (0, "لا أخبار"),
        (1, "خبر واحد"),
        (2, "خبران"),
        (3, "3 أخبار"),
        (10, "10 أخبار"),
        (11, "11 خبرًا"),
        (49, "49 خبرًا"),
        (99, "99 خبرًا"),
        (100, "100 خبر"),
        (101, "101 خبر"),
        (102, "102 خبر"),
        (103, "103 أخبار"),
        (111, "111 خبرًا"),
        (200, "200 خبر"),
        (1000, "1000 خبر"),
    ],
)
def test_article_counts_from_the_product_sheet(n: int, phrase: str) -> None:
    assert count_phrase(n, "article") == phrase


def test_count_phrase_with_arabic_digits() -> None:
    assert count_phrase(11, "article", arabic_digits=True) == "١١ خبرًا"
    assert count_phrase(3, "day", arabic_digits=True) == "٣ أيام"
    assert count_phrase(2, "topic", arabic_digits=True) == "موضوعان"


def test_count_phrase_rejects_unknown_nouns_and_negative_counts() -> None:
    with pytest.raises(ValueError, match="unknown noun"):
        count_phrase(3, "elephant")
    with pytest.raises(ValueError, match="negative"):
        count_phrase(-1, "article")


# -- digits ---------------------------------------------------------------------------------------


def test_to_digits() -> None:
    assert to_digits(1234567890, True) == "١٢٣٤٥٦٧٨٩٠"
    assert to_digits("الساعة 23:31", True) == "الساعة ٢٣:٣١"
    assert to_digits(42, False) == "42"
    assert to_digits("٤٢ خبرًا", False) == "42 خبرًا"


@given(st.integers(min_value=0))
def test_to_digits_round_trips(n: int) -> None:
    arabic = to_digits(n, True)
    assert not any(c.isascii() for c in arabic)
    assert to_digits(arabic, False) == str(n)


# -- bidi isolation -------------------------------------------------------------------------------


def test_isolate_latin_runs_in_arabic_text() -> None:
    assert isolate_latin_runs("قال Donald Trump إن الاتفاق") == f"قال {FSI}Donald Trump{PDI} إن الاتفاق"
    assert (
        isolate_latin_runs("انظر https://www.bbc.com/arabic/x-1. ثم")
        == f"انظر {FSI}https://www.bbc.com/arabic/x-1{PDI}. ثم"
    )
    assert isolate_latin_runs("فيروس COVID-19 في 2020") == f"فيروس {FSI}COVID-19{PDI} في {FSI}2020{PDI}"


@pytest.mark.parametrize("text", ["خطة ترامب لإنهاء الحرب في غزة", "Hello world 2025", "", "٤٩ خبرًا"])
def test_isolate_latin_runs_leaves_pure_text_alone(text: str) -> None:
    assert isolate_latin_runs(text) == text


@given(st.lists(st.sampled_from(["BBC", " ", "2025", FSI, PDI, "x-1"]), max_size=10).map("".join))
def test_isolate_of_latin_values_is_idempotent(text: str) -> None:
    assert isolate(isolate(text)) == isolate(text)


def test_isolate_value() -> None:
    assert isolate("BBC") == f"{FSI}BBC{PDI}"
    assert isolate("2025") == "2025"  # a number never turns a line around
    assert isolate("ياسين المصري") == "ياسين المصري"
    assert isolate("مراسل BBC") == "مراسل BBC"  # the line starts Arabic and stays right-to-left


def test_isolate_marks_only_where_a_lines_direction_would_flip() -> None:
    assert isolate("iPhone 17 يصل إلى الأسواق") == f"{FSI}iPhone 17{PDI} يصل إلى الأسواق"
    assert isolate("«CNN» قالت إن") == f"«{FSI}CNN{PDI}» قالت إن"
    assert isolate("قال Donald Trump إن الاتفاق في 2025") == "قال Donald Trump إن الاتفاق في 2025"
    assert isolate("ارتفع المؤشر 2.5% إلى 12,400 نقطة") == "ارتفع المؤشر 2.5% إلى 12,400 نقطة"
    # each line on its own: a line that would start left-to-right, however many runs it takes
    assert isolate("Hello, world\nمرحبا Hello") == f"{FSI}Hello{PDI}, {FSI}world{PDI}\nمرحبا Hello"


mixed_text = st.lists(
    st.sampled_from(["غزة", "خبر", " ", "BBC", "x", "2025", "3.5%", ".", "-", "https://a.b/c", "،", "www.", ":"]),
    max_size=12,
).map("".join)


@given(mixed_text)
def test_isolation_is_idempotent(text: str) -> None:
    once = isolate_latin_runs(text)
    assert isolate_latin_runs(once) == once
    assert isolate(isolate(text)) == isolate(text)
    assert once.replace(FSI, "").replace(PDI, "") == text
    assert clean_text(once) == clean_text(text)
    assert clean_text(isolate(text)) == clean_text(text)


_STRONG_RTL = re.compile("[\u0600-\u06ff]")


def _first_strong_outside_isolates(line: str) -> str | None:
    depth = 0
    for c in line:
        depth += (c == FSI) - (c == PDI)
        if depth == 0 and c not in (FSI, PDI) and (_STRONG_RTL.match(c) or (c.isascii() and c.isalpha())):
            return "rtl" if _STRONG_RTL.match(c) else "ltr"
    return None


@given(mixed_text)
def test_isolate_leaves_every_arabic_line_right_to_left_and_marks_nothing_else(text: str) -> None:
    if not _STRONG_RTL.search(text) or FSI in text or PDI in text:
        return
    out = isolate(text)
    for line in out.split("\n"):
        assert _first_strong_outside_isolates(line) in ("rtl", None), out
    if _first_strong_outside_isolates(text) in ("rtl", None):
        assert out == text  # nothing would flip: no marks at all


@given(mixed_text)
def test_every_latin_letter_and_digit_in_arabic_text_is_isolated(text: str) -> None:
    if not any("\u0600" <= c <= "\u06ff" for c in text):
        return
    depth = 0
    for c in isolate_latin_runs(text):
        depth += (c == FSI) - (c == PDI)
        assert depth in (0, 1)
        if c.isascii() and c.isalnum():
            assert depth == 1, text


# -- dates and relative times ---------------------------------------------------------------------

RIYADH = ZoneInfo("Asia/Riyadh")
NOW = datetime(2026, 3, 24, 20, 31, 0, tzinfo=UTC)


def test_format_date_in_the_site_zone() -> None:
    assert format_date(NOW, RIYADH) == "24 مارس 2026، 23:31"
    assert format_date(NOW, RIYADH, arabic_digits=True) == "٢٤ مارس ٢٠٢٦، ٢٣:٣١"
    assert format_date(NOW, UTC) == "24 مارس 2026، 20:31"


@pytest.mark.parametrize(
    ("month", "name"),
    [(1, "يناير"), (2, "فبراير"), (4, "أبريل"), (5, "مايو"), (8, "أغسطس"), (12, "ديسمبر")],
)
def test_format_date_month_names(month: int, name: str) -> None:
    assert format_date(datetime(2025, month, 5, 9, 7, tzinfo=UTC), UTC) == f"5 {name} 2025، 09:07"


def test_format_date_takes_naive_datetimes_as_utc() -> None:
    assert format_date(datetime(2026, 3, 24, 20, 31), RIYADH) == "24 مارس 2026، 23:31"


@pytest.mark.parametrize(
    ("ago", "phrase"),
    [
        (timedelta(seconds=0), "الآن"),
        (timedelta(seconds=59), "الآن"),
        (timedelta(minutes=1), "منذ دقيقة"),
        (timedelta(minutes=2), "منذ دقيقتين"),
        (timedelta(minutes=3), "منذ 3 دقائق"),
        (timedelta(minutes=10), "منذ 10 دقائق"),
        (timedelta(minutes=11), "منذ 11 دقيقة"),
        (timedelta(minutes=59, seconds=59), "منذ 59 دقيقة"),
        (timedelta(hours=1), "منذ ساعة"),
        (timedelta(hours=2), "منذ ساعتين"),
        (timedelta(hours=5), "منذ 5 ساعات"),
        (timedelta(hours=11), "منذ 11 ساعة"),
        (timedelta(hours=23), "منذ 23 ساعة"),
        (timedelta(days=1), "منذ يوم"),
        (timedelta(days=2), "منذ يومين"),
        (timedelta(days=3), "منذ 3 أيام"),
        (timedelta(days=7), "منذ 7 أيام"),
        (timedelta(days=9), "15 مارس 2026، 20:31"),
        (timedelta(seconds=-30), "الآن"),
        (timedelta(days=-3), "الآن"),
    ],
)
def test_relative_time(ago: timedelta, phrase: str) -> None:
    assert relative_time(NOW - ago, NOW) == phrase


def test_relative_time_with_arabic_digits_and_zones() -> None:
    assert relative_time(NOW - timedelta(minutes=5), NOW, arabic_digits=True) == "منذ ٥ دقائق"
    assert relative_time(NOW - timedelta(days=30), NOW, tz=RIYADH, arabic_digits=True) == "٢٢ فبراير ٢٠٢٦، ٢٣:٣١"
    plus3 = timezone(timedelta(hours=3))
    assert relative_time(NOW.astimezone(plus3) - timedelta(hours=2), NOW) == "منذ ساعتين"


@given(st.integers(min_value=60, max_value=8 * 86400 - 1))
def test_relative_time_uses_the_plural_category(seconds: int) -> None:
    phrase = relative_time(NOW - timedelta(seconds=seconds), NOW)
    if seconds < 3600:
        n, noun = seconds // 60, "minute"
    elif seconds < 86400:
        n, noun = seconds // 3600, "hour"
    else:
        n, noun = seconds // 86400, "day"
    category = cldr_category(n)
    if category in ("few", "many", "other"):
        assert phrase == "منذ " + count_phrase(n, noun)
    else:
        assert phrase.startswith("منذ ") and str(n) not in phrase


# -- clean_text -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("  غزة  \t اليوم  ", "غزة اليوم"),
        ("\u200fخبر\u200e عاجل\u202b!\u202c", "خبر عاجل!"),
        ("a\u2066b\u2069c\u2068d", "abcd"),
        ("zero\u200bwidth\ufeff", "zerowidth"),
        ("می\u200cخواهم 👨\u200d👩\u200d👧", "می\u200cخواهم 👨\u200d👩\u200d👧"),
        ("سطر\r\nسطر\x00\x07", "سطر\nسطر"),
        ("فقرة\n\n\n\n فقرة", "فقرة\n\nفقرة"),
        ("\n\n", ""),
    ],
)
def test_clean_text(raw: str, clean: str) -> None:
    assert clean_text(raw) == clean


@given(st.text())
def test_clean_text_is_idempotent_and_clean(text: str) -> None:
    clean = clean_text(text)
    assert clean_text(clean) == clean
    assert clean == clean.strip()
    assert "  " not in clean
    assert not any(c in clean for c in "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
    assert all(c == "\n" or not (ord(c) < 32 or 0x7F <= ord(c) < 0xA0) for c in clean)


# -- fold -----------------------------------------------------------------------------------------


@given(st.text())
def test_fold_is_idempotent(text: str) -> None:
    assert fold(fold(text)) == fold(text)


@given(st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x6FF)) | st.text())
def test_fold_replaces_as_its_table_says(text: str) -> None:
    # the replace chain in fold() gives what one str.translate over the table gives
    expected = _DROP.sub("", unicodedata.normalize("NFC", text)).translate(_FOLD_TABLE).casefold()
    assert fold(text) == expected


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("اسرائيل", "إسرائيل"),
        ("غزه", "غزة"),
        ("أحمد", "احمد"),
        ("آمال", "امال"),
        ("مستشفى", "مستشفي"),
        ("مؤتمر", "موتمر"),
        ("مُحَمَّد", "محمد"),
        ("عــاجـــل", "عاجل"),
        ("٢٠٢٥", "2025"),
        ("BBC", "bbc"),
    ],
)
def test_fold_matches_spelling_variants(a: str, b: str) -> None:
    assert fold(a) == fold(b)


@given(st.text(alphabet=st.sampled_from(list("ابتثجحخدذرسشصضطظعغفقكلمنهويةىأإآؤئ "))), st.data())
def test_fold_ignores_tashkeel_and_tatweel(word: str, data: st.DataObject) -> None:
    marks = st.sampled_from(["\u064b", "\u064e", "\u064f", "\u0650", "\u0651", "\u0652", "\u0640"])
    decorated = "".join(c + "".join(data.draw(st.lists(marks, max_size=2))) for c in word)
    assert fold(decorated) == fold(word)


@given(st.integers(min_value=0))
def test_fold_maps_arabic_indic_digits(n: int) -> None:
    assert fold(to_digits(n, True)) == str(n)
