"""When pushes go: quiet hours and digest hours, in each reader's own time zone (their choice in
/settings, else the site's NEWSBOT_TIMEZONE: bot.models.reader_zone); the callers pass it.

Quiet hours are honoured by sending silently (`disable_notification=True`): the reader finds the
item when they look, it is never held back, and nothing during the quiet hours makes a sound.
"""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo

# A digest reader who has waited this long gets the digest at the next round whatever the hours.
_LOOKBACK_DAYS = 3


def in_quiet_hours(at: datetime, tz: tzinfo, start: int | None, end: int | None) -> bool:
    """True when `at`'s local hour is within [start, end) (wrapping past midnight when start > end)."""
    if start is None or end is None or start == end:
        return False
    hour = at.astimezone(tz).hour
    if start < end:
        return start <= hour < end
    return hour >= start or hour < end


def digest_due(hours: tuple[int, ...], since: datetime, now: datetime, tz: tzinfo) -> bool:
    """True when one of the local `hours` (on the hour) fell in (since, now]."""
    if not hours or now <= since:
        return False
    local_now = now.astimezone(tz)
    local_since = since.astimezone(tz)
    if (local_now.date() - local_since.date()).days > _LOOKBACK_DAYS:
        return True
    day = local_since.date()
    while day <= local_now.date():
        for hour in hours:
            moment = datetime(day.year, day.month, day.day, hour, tzinfo=tz)
            if since < moment <= now:
                return True
        day += timedelta(days=1)
    return False
