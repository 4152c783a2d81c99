"""Breaking news for editors, the parts without a bot: how a broadcast's reach and cost read in Arabic
(0, 1, 2, 3-10, 11+), the editor's time, the admin's options, the estimate in Stars."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.models import Topic, TopicKind
from bot.services.editors import (
    BroadcastPlan,
    BroadcastRefused,
    BroadcastRequest,
    estimated_stars,
    parse_send_time,
)
from bot.text.html_split import visible_text
from bot.ui.render import Renderer, default_templates_dir
from handlers.admins.commands import parse_broadcast

CAIRO = ZoneInfo("Africa/Cairo")
NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)  # 12:00 in Cairo


def render(template: str, **values: object) -> str:
    renderer = Renderer(default_templates_dir(), tz=CAIRO, clock=lambda: NOW)
    return visible_text(renderer.render(template, **values))


def plan(readers: int, **kw: object) -> BroadcastPlan:
    values: dict[str, object] = {
        "text": "انقطاع الكهرباء", "article": None, "topics": (), "send_at": None, "readers": readers,
        "paid_rate": 0.0, "stars": 0, "seconds": readers / 29.4,
    }  # fmt: skip
    values.update(kw)
    return BroadcastPlan(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("readers", "phrase"),
    [
        (1, "يصله قارئ واحد"),
        (2, "يصله قارئان"),
        (3, "يصله 3 قراء"),
        (10, "يصله 10 قراء"),
        (11, "يصله 11 قارئًا"),
        (99, "يصله 99 قارئًا"),
        (100, "يصله 100 قارئ"),
        (30_000, "يصله 30000 قارئ"),
    ],
)
def test_the_confirmation_counts_readers_in_correct_arabic(readers: int, phrase: str) -> None:
    text = render("broadcast_confirm.html.j2", plan=plan(readers))
    assert phrase + "، كل القراء النشطين." in text
    assert "يُرسل الآن" in text and "هل تريد الإرسال؟" in text


def test_nobody_to_reach_is_refused_in_arabic() -> None:
    assert render("broadcast_refused.html.j2", code="nobody", subject="").strip() == (
        "✖️ لن يصل هذا الخبر إلى أحد: لا قراء نشطون. لم يُرسل شيء."
    )


@pytest.mark.parametrize(
    ("stars", "phrase"),
    [(1, "نجمة واحدة"), (2, "نجمتان"), (3, "3 نجوم"), (10, "10 نجوم"), (11, "11 نجمة"), (3000, "3000 نجمة")],
)
def test_the_cost_of_a_paid_broadcast_is_shown_in_stars(stars: int, phrase: str) -> None:
    text = render("broadcast_confirm.html.j2", plan=plan(stars * 10, paid_rate=1000.0, stars=stars))
    assert f"التكلفة التقديرية {phrase} على الأكثر" in text and "0.1 نجمة لكل رسالة" in text


def test_the_time_to_reach_everyone_and_the_topics_are_shown() -> None:
    topic = Topic(1, "gaza", "غزة", TopicKind.STORY, ())
    text = render("broadcast_confirm.html.j2", plan=plan(30_000, topics=(topic,), seconds=30_000 / 29.4))
    assert "من المشتركين في: غزة." in text and "نحو 18 دقيقة" in text
    assert "نحو ثانيتان" not in render("broadcast_confirm.html.j2", plan=plan(2, seconds=0.07))
    assert "نحو ثانية واحدة" in render("broadcast_confirm.html.j2", plan=plan(2, seconds=0.07))


def test_estimated_stars_count_every_message_at_a_tenth_and_round_up() -> None:
    assert estimated_stars(30_000, 1000) == 3000
    assert estimated_stars(121, 1000) == 13
    assert estimated_stars(10, 1000) == 1
    assert estimated_stars(30_000, 0) == 0  # paid broadcasts off: nothing to pay


def test_an_editors_time_is_read_in_the_sites_zone() -> None:
    assert parse_send_time("18:30", NOW, CAIRO) == datetime(2026, 12, 1, 16, 30, tzinfo=UTC)
    assert parse_send_time("2026-12-02 08:00", NOW, CAIRO) == datetime(2026, 12, 2, 6, 0, tzinfo=UTC)
    assert parse_send_time("2026-12-02T08:00+00:00", NOW, CAIRO) == datetime(2026, 12, 2, 8, 0, tzinfo=UTC)
    for past in ("11:59", "2026-12-01 12:00", "2020-01-01T00:00Z"):
        with pytest.raises(BroadcastRefused) as caught:
            parse_send_time(past, NOW, CAIRO)
        assert (caught.value.code, caught.value.subject) == ("past", past)
    for wrong in ("tomorrow", "25:00", "2026-13-01 10:00", "١٨:٣٠x"):
        with pytest.raises(BroadcastRefused) as caught:
            parse_send_time(wrong, NOW, CAIRO)
        assert caught.value.code == "bad_time"


def test_the_admins_options_come_before_the_text() -> None:
    assert parse_broadcast("انقطاع الكهرباء --topic x") == BroadcastRequest("انقطاع الكهرباء --topic x")
    assert parse_broadcast("--item 12 --topic a --topic b --at 2026-12-02 08:00 سطر\nثانٍ") == BroadcastRequest(
        "سطر\nثانٍ", 12, ("a", "b"), "2026-12-02 08:00"
    )
    assert parse_broadcast("--at 18:30\nنص") == BroadcastRequest("نص", None, (), "18:30")
    assert parse_broadcast("--item 5") == BroadcastRequest("", 5)
    assert parse_broadcast("--colour red نص") is None
    assert parse_broadcast("--topic") is None
    with pytest.raises(BroadcastRefused) as caught:
        parse_broadcast("--item x12 نص")
    assert (caught.value.code, caught.value.subject) == ("unknown_item", "x12")
