"""How the service is doing, per day: conversations, messages, escalations and their wait,
the bot's fallback rate, the intents young people come with, and their feedback.

Figures only — counts and durations, never a message's text — in the organisation's time
zone. The rows of the period are read and counted here, which is plenty for one
organisation's few thousand messages a day.
"""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.handoff.service import as_utc
from bot.nlu_review.reading import FALLBACK_INTENT
from bot.store.models import Conversation, Direction, Handoff, Message, Priority

TOP_INTENTS = 10
FEEDBACK = ("goed", "gaat_wel", "niet_goed")  # actions/feedback.py's ratings


@dataclass
class DayFigures:
    """One day's figures."""

    day: date
    conversations: int = 0  # new conversations
    messages: int = 0  # messages young people sent
    escalations: int = 0
    urgent: int = 0
    waits: list[float] = field(default_factory=list)  # seconds until a worker claimed
    read: int = 0  # messages the bot read an intent in
    fallbacks: int = 0  # of those, not understood (nlu_fallback)

    def to_json(self) -> dict[str, object]:
        """The API's form."""
        return {"date": self.day.isoformat(), "conversations": self.conversations,
                "messages": self.messages, "escalations": self.escalations,
                "urgent": self.urgent, "median_wait_seconds": _median(self.waits),
                "fallback_rate": self.fallbacks / self.read if self.read else None}


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None


async def service_figures(session: AsyncSession, days: int, local_zone: str,
                          now: datetime) -> dict[str, object]:
    """The last `days` days up to and including today (local time), oldest first."""
    zone = ZoneInfo(local_zone)
    today = now.astimezone(zone).date()
    first = today - timedelta(days=days - 1)
    # In UTC, as the store writes: SQLite compares the text, whatever the zone.
    start = datetime.combine(first, datetime.min.time(), zone).astimezone(timezone.utc)
    per_day = {first + timedelta(days=n): DayFigures(first + timedelta(days=n))
               for n in range(days)}

    def day_of(moment: datetime | None) -> DayFigures | None:
        moment = as_utc(moment)
        return per_day.get(moment.astimezone(zone).date()) if moment is not None else None

    for (created,) in (await session.execute(select(Conversation.created_at).where(
            Conversation.created_at >= start))).all():
        if (figures := day_of(created)) is not None:
            figures.conversations += 1
    intents: Counter[str] = Counter()
    for created, intent in (await session.execute(
            select(Message.created_at, Message.intent).where(
                Message.direction == Direction.IN, Message.created_at >= start))).all():
        if (figures := day_of(created)) is None:
            continue
        figures.messages += 1
        if intent:
            figures.read += 1
            figures.fallbacks += intent == FALLBACK_INTENT
            intents[intent] += 1
    feedback: Counter[str] = Counter()
    for created, claimed, priority, rating in (await session.execute(
            select(Handoff.created_at, Handoff.claimed_at, Handoff.priority, Handoff.feedback)
            .where(Handoff.created_at >= start))).all():
        if (figures := day_of(created)) is None:
            continue
        figures.escalations += 1
        figures.urgent += priority == Priority.URGENT
        created_at, claimed_at = as_utc(created), as_utc(claimed)
        if created_at is not None and claimed_at is not None:
            figures.waits.append((claimed_at - created_at).total_seconds())
        if rating in FEEDBACK:
            feedback[rating] += 1
    rows = list(per_day.values())
    total = DayFigures(today, sum(r.conversations for r in rows), sum(r.messages for r in rows),
                       sum(r.escalations for r in rows), sum(r.urgent for r in rows),
                       [w for r in rows for w in r.waits], sum(r.read for r in rows),
                       sum(r.fallbacks for r in rows))
    totals = total.to_json()
    del totals["date"]
    return {"from": first.isoformat(), "to": today.isoformat(), "timezone": local_zone,
            "days": [r.to_json() for r in rows], "totals": totals,
            "top_intents": [{"intent": name, "count": count}
                            for name, count in intents.most_common(TOP_INTENTS)],
            "feedback": {rating: feedback[rating] for rating in FEEDBACK}}
