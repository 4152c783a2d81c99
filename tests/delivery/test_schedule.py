"""Quiet hours and digest hours in the site's time zone (Africa/Cairo in these tests)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bot.delivery.schedule import digest_due, in_quiet_hours

CAIRO = ZoneInfo("Africa/Cairo")


def local(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 1, day, hour, minute, tzinfo=CAIRO)


def test_quiet_hours_within_a_day_and_across_midnight() -> None:
    assert in_quiet_hours(local(5, 14), CAIRO, 13, 15)
    assert not in_quiet_hours(local(5, 15), CAIRO, 13, 15)  # the end hour is not quiet
    assert in_quiet_hours(local(5, 23), CAIRO, 22, 7)
    assert in_quiet_hours(local(5, 3), CAIRO, 22, 7)
    assert not in_quiet_hours(local(5, 7), CAIRO, 22, 7)
    assert not in_quiet_hours(local(5, 12), CAIRO, 22, 7)


def test_quiet_hours_use_the_site_time_zone_not_utc() -> None:
    at = datetime(2026, 1, 5, 21, 30, tzinfo=UTC)  # 23:30 in Cairo (UTC+2 in winter)
    assert in_quiet_hours(at, CAIRO, 23, 6)
    assert not in_quiet_hours(at, ZoneInfo("UTC"), 23, 6)


def test_no_quiet_hours_when_unset_or_empty() -> None:
    assert not in_quiet_hours(local(5, 3), CAIRO, None, 7)
    assert not in_quiet_hours(local(5, 3), CAIRO, 5, 5)


def test_digest_due_when_an_hour_passed_since_the_oldest_item() -> None:
    hours = (8, 20)
    assert not digest_due(hours, local(5, 9), local(5, 19, 59), CAIRO)
    assert digest_due(hours, local(5, 9), local(5, 20, 0), CAIRO)
    assert not digest_due(hours, local(5, 20, 1), local(5, 23), CAIRO)
    assert digest_due(hours, local(5, 20, 1), local(6, 8, 5), CAIRO)  # the next morning
    assert not digest_due((), local(1, 0), local(5, 0), CAIRO)


def test_digest_due_after_a_long_absence() -> None:
    assert digest_due((8,), local(1, 9), local(9, 7), CAIRO)
