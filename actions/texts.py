"""Pure builders of the configuration-dependent texts the actions send (easy to test)."""

from __future__ import annotations

from datetime import datetime

from bot.config import Organisation, WeeklyHours
from bot.hours import describe_day, describe_moment, describe_week, is_open, next_opening
from bot.safety.messages import CRISIS_SUICIDE, CRISIS_UNSAFE, crisis_text

__all__ = ["CRISIS_SUICIDE", "CRISIS_UNSAFE", "crisis_text"]


def opening_hours_text(hours: WeeklyHours, now: datetime) -> str:
    """Today's hours, whether we are open now, and the whole week."""
    today = describe_day(hours, now.weekday())
    if is_open(hours, now):
        first = f"We zijn nu online! Vandaag zijn we er van {today}."
    elif today == "gesloten":
        first = "Vandaag zijn we niet online."
    else:
        first = f"Vandaag zijn we online van {today}. Op dit moment is er niemand."
    week = "\n".join(f"• {line}" for line in describe_week(hours))
    return f"{first}\n\nDeze week:\n{week}"


def back_at_text(hours: WeeklyHours, now: datetime) -> str:
    """When a human is back, e.g. 'morgen om 14:00'; honest when no hours are set."""
    moment = next_opening(hours, now)
    if moment is None:
        return "op dit moment weet ik niet wanneer er weer iemand is"
    return describe_moment(moment, now)


def organisation_text(org: Organisation) -> str:
    """Who we are, what we do and for whom."""
    return (f"Je chat met de chatbot van {org.name}. {org.description} "
            f"We zijn er voor {org.audience}. Meer weten? Kijk op {org.website}")


def location_text(org: Organisation) -> str:
    """Address and route."""
    return f"Je vindt ons op {org.address}.\n{org.route}"
