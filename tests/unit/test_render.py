"""The template environment: autoescaping into valid Telegram HTML, and the Arabic filters."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from jinja2 import UndefinedError

from bot.devtools.emulator.telegram_html import parse_html
from bot.text.arabic import FSI, PDI
from bot.ui.render import Renderer, default_templates_dir, truncate_words

NOW = datetime(2026, 3, 24, 20, 31, tzinfo=UTC)
RIYADH = ZoneInfo("Asia/Riyadh")


def make_renderer(templates: Path | None = None) -> Renderer:
    return Renderer(templates or default_templates_dir(), tz=RIYADH, clock=lambda: NOW)


R = make_renderer()


def test_default_templates_dir_is_the_repository_folder() -> None:
    assert default_templates_dir() == Path(__file__).resolve().parents[2] / "templates"


def test_shipped_folders_are_found_inside_an_installed_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An installed wheel has bot/templates and bot/seeds (tests/cli/test_wheel.py installs one)."""
    from bot import resources
    from bot.config import Settings

    repo = Path(__file__).resolve().parents[2]
    assert resources.resource_dir("seeds") == repo / "seeds" == Settings().seeds_dir  # a checkout: the repository's
    installed = tmp_path / "site-packages" / "bot"
    (installed / "templates").mkdir(parents=True)
    (installed / "seeds").mkdir()
    monkeypatch.setattr(resources.resources, "files", lambda package: installed if package == "bot" else None)
    assert default_templates_dir() == installed / "templates"
    assert Settings().seeds_dir == installed / "seeds"


def test_render_a_template_file(tmp_path: Path) -> None:
    (tmp_path / "headline.html.j2").write_text(
        "  {% if urgent %}\n<b>عاجل</b>\n  {% endif %}\n<b>{{ title }}</b>\n{{ n | count('article') }}\n",
        encoding="utf-8",
    )
    renderer = make_renderer(tmp_path)
    out = renderer.render("headline.html.j2", urgent=True, title="غزة & <رفح>", n=11)
    assert out == "<b>عاجل</b>\n<b>غزة &amp; &lt;رفح&gt;</b>\n11 خبرًا"
    assert parse_html(out)[0] == "عاجل\nغزة & <رفح>\n11 خبرًا"


def test_render_plain_gives_the_visible_text(tmp_path: Path) -> None:
    (tmp_path / "alert.html.j2").write_text("<b>{{ title }}</b> &amp; {{ n | count('topic') }}", encoding="utf-8")
    renderer = make_renderer(tmp_path)
    assert renderer.render_plain("alert.html.j2", title='"غزة" <رفح>', n=3) == '"غزة" <رفح> & 3 مواضيع'


def test_undefined_names_raise() -> None:
    with pytest.raises(UndefinedError):
        R.render_string("<b>{{ missing }}</b>")


HOSTILE = [
    "<script>alert(1)</script>",
    "AT&T",
    'قال "الوزير" إن',
    "it's",
    "<b>عريض</b>",
    "&amp; &lt; &#39;",
    "<a href='javascript:x'>رابط</a>",
    "غزة > رفح < القدس",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_is_escaped(text: str) -> None:
    url = "https://x.com/?q=" + text.replace(" ", "+")
    out = R.render_string('<b>{{ t }}</b> <a href="{{ url }}">{{ t }}</a>', t=text, url=url)
    plain, entities = parse_html(out)
    assert plain == f"{text} {text}"
    assert [e["type"] for e in entities] == ["bold", "text_link"]
    assert entities[1]["url"] == url


@given(st.text())
def test_any_text_round_trips_through_a_template(text: str) -> None:
    out = R.render_string("<b>{{ t }}</b>\n<i>{{ t | isolate }}</i>\n{{ t }}", t=text)
    plain, _ = parse_html(out)
    assert plain.replace(FSI, "").replace(PDI, "") == (f"{text}\n{text}\n{text}").replace(FSI, "").replace(PDI, "")


@given(st.text(), st.integers(min_value=2, max_value=300))
def test_truncated_text_stays_escaped(text: str, limit: int) -> None:
    out = R.render_string("<blockquote>{{ t | truncate_words(n) }}</blockquote>", t=text, n=limit)
    plain, _ = parse_html(out)
    assert plain == truncate_words(text, limit)
    assert len(plain) <= limit


# -- filters --------------------------------------------------------------------------------------


def test_count_filter() -> None:
    src = "{{ n | count('article', arabic_digits) }}"
    assert R.render_string(src, n=11, arabic_digits=False) == "11 خبرًا"
    assert R.render_string(src, n=11, arabic_digits=True) == "١١ خبرًا"
    assert R.render_string("{{ n | count('topic') }}", n=2) == "موضوعان"
    assert R.render_string("{{ n | count('subscription') }}", n=0) == "لا اشتراكات"


def test_digits_filter() -> None:
    assert R.render_string("{{ 2026 | digits(true) }}/{{ '24' | digits }}") == "٢٠٢٦/24"


def test_date_filter_uses_the_site_zone() -> None:
    assert R.render_string("{{ d | date }}", d=NOW) == "24 مارس 2026، 23:31"
    assert R.render_string("{{ d | date(true) }}", d=NOW) == "٢٤ مارس ٢٠٢٦، ٢٣:٣١"
    cairo = Renderer(default_templates_dir(), tz=ZoneInfo("Africa/Cairo"), clock=lambda: NOW)
    assert cairo.render_string("{{ d | date }}", d=NOW) == "24 مارس 2026، 22:31"


def test_ago_filter_uses_the_clock() -> None:
    src = "{{ d | ago(digits) }}"
    assert R.render_string(src, d=NOW - timedelta(minutes=5), digits=False) == "منذ 5 دقائق"
    assert R.render_string(src, d=NOW - timedelta(minutes=5), digits=True) == "منذ ٥ دقائق"
    assert R.render_string(src, d=NOW - timedelta(hours=2), digits=False) == "منذ ساعتين"
    assert R.render_string(src, d=NOW + timedelta(minutes=3), digits=False) == "الآن"
    assert R.render_string(src, d=NOW - timedelta(days=30), digits=False) == "22 فبراير 2026، 23:31"
    later = Renderer(default_templates_dir(), tz=RIYADH, clock=lambda: NOW + timedelta(hours=1))
    assert later.render_string("{{ d | ago }}", d=NOW) == "منذ ساعة"


def test_isolate_filter_escapes_after_isolating() -> None:
    assert R.render_string("{{ a | isolate }}", a="BBC") == f"{FSI}BBC{PDI}"
    assert R.render_string("كتب {{ a | isolate }}", a="ياسين المصري") == "كتب ياسين المصري"
    assert R.render_string("{{ a | isolate }}", a="<AT&T>") == f"{FSI}&lt;AT&amp;T&gt;{PDI}"


def test_truncate_words() -> None:
    lead = "قالت وزارة الصحة في غزة إن عدد الضحايا ارتفع"
    assert truncate_words(lead, 100) == lead
    assert truncate_words(lead, 20) == "قالت وزارة الصحة في…"
    assert truncate_words("كلمة، أخرى وثالثة", 12) == "كلمة، أخرى…"
    assert truncate_words("كلمة، أخرى وثالثة", 8) == "كلمة…"
    assert truncate_words("ب" * 50, 10) == "ب" * 9 + "…"
    assert truncate_words("مُحَمَّدٌ", 4) == "مُ…"
    with pytest.raises(ValueError):
        truncate_words(lead, 1)


@given(st.text(), st.integers(min_value=2, max_value=200))
def test_truncate_words_properties(text: str, limit: int) -> None:
    out = truncate_words(text, limit)
    assert len(out) <= limit or out == text
    if len(text) <= limit:
        assert out == text
    else:
        assert out.endswith("…")
        assert text.startswith(out[:-1])


def test_a_remembered_page_of_headlines_is_the_page_rendered_now_as_the_clock_moves() -> None:
    """The same page is rendered once while every «منذ …» on it reads the same; a minute that
    changes one, another digit set or zone renders it again, as `render` would now."""
    from bot.models import ArticleKind, ArticleSummary
    from bot.services.reading import Page
    from bot.ui.pages import headlines_text

    now = [NOW]
    renderer = Renderer(default_templates_dir(), tz=RIYADH, clock=lambda: now[0])
    items = [
        ArticleSummary(1, "خبر أول", "", None, NOW - timedelta(seconds=30), NOW, ArticleKind.ARTICLE, "صحة", "health"),
        ArticleSummary(2, "خبر ثان", "", None, NOW - timedelta(minutes=59, seconds=50), NOW, ArticleKind.ARTICLE),
        ArticleSummary(3, "خبر بلا تاريخ", "", None, None, NOW, ArticleKind.ARTICLE),
    ]
    page = Page(items, 0, 3, 23)

    def fresh(ad: bool, tz: ZoneInfo) -> str:
        return renderer.render("latest.html.j2", page=page, ad=ad, tz=tz)

    first = headlines_text(renderer, "latest.html.j2", page, False, RIYADH)
    assert first == fresh(False, RIYADH) and "الآن" in first and "منذ 59 دقيقة" in first
    assert headlines_text(renderer, "latest.html.j2", Page(list(items), 0, 3, 23), False, RIYADH) is first
    now[0] = NOW + timedelta(seconds=20)  # «منذ ساعة» and «منذ دقيقة»
    moved = headlines_text(renderer, "latest.html.j2", page, False, RIYADH)
    assert moved != first and moved == fresh(False, RIYADH) and "منذ ساعة" in moved
    assert headlines_text(renderer, "latest.html.j2", page, True, RIYADH) == fresh(True, RIYADH) != moved
    cairo = ZoneInfo("Africa/Cairo")
    assert headlines_text(renderer, "latest.html.j2", page, False, cairo) == fresh(False, cairo)
    assert headlines_text(renderer, "videos.html.j2", page, False, RIYADH) == renderer.render(
        "videos.html.j2", page=page, ad=False, tz=RIYADH
    )
