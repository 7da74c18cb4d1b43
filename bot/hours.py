"""Opening hours: is someone there now, when are we back, and how to say it in Dutch."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.config import DAY_NAMES_LONG, WeeklyHours


def local_now(timezone: str) -> datetime:
    """Now in the organisation's time zone."""
    return datetime.now(ZoneInfo(timezone))


def is_open(hours: WeeklyHours, now: datetime) -> bool:
    """True when `now` (local time) falls inside an opening interval."""
    moment = now.time()
    return any(i.start <= moment < i.end for i in hours.for_date(now.date()))


def next_opening(hours: WeeklyHours, now: datetime) -> datetime | None:
    """The start of the next opening interval after `now`, or None when never open."""
    # Look further than a week: a run of holidays can close more than seven days.
    for offset in range(60):
        day = (now + timedelta(days=offset)).date()
        for interval in hours.for_date(day):
            start = datetime.combine(day, interval.start, tzinfo=now.tzinfo)
            if start > now:
                return start
    return None


def describe_moment(moment: datetime, now: datetime) -> str:
    """'vandaag om 14:00', 'morgen om 14:00' or 'maandag om 14:00'."""
    days = (moment.date() - now.date()).days
    when = {0: "vandaag", 1: "morgen"}.get(days, DAY_NAMES_LONG[moment.weekday()])
    return f"{when} om {moment:%H:%M}"


def describe_day(hours: WeeklyHours, weekday: int) -> str:
    """'14:00–22:00' or 'gesloten' for one weekday."""
    intervals = hours.for_weekday(weekday)
    return " en ".join(i.label() for i in intervals) if intervals else "gesloten"


def describe_week(hours: WeeklyHours) -> list[str]:
    """One line per weekday: 'maandag: 14:00–22:00'."""
    return [f"{DAY_NAMES_LONG[d]}: {describe_day(hours, d)}" for d in range(7)]
