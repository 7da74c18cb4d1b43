"""Conversations, messages and handoffs on given days, for the figures' API and browser
tests."""

from __future__ import annotations

import uuid
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy.orm import sessionmaker

from bot.store import repository
from bot.store.models import Handoff, MessageStatus

ZONE = ZoneInfo("Europe/Amsterdam")  # the default TIMEZONE


def local_noon(days_ago: int) -> datetime:
    """Noon, local time, `days_ago` days before today, in UTC (as the store writes)."""
    today = datetime.now(ZONE).date()
    return datetime.combine(today - timedelta(days=days_ago), time(12), ZONE).astimezone(
        timezone.utc)


async def seed_day(sessions: sessionmaker, user: str, at: datetime, intents: list[str | None],
                   handoffs: list[tuple[float | None, str, str | None]]) -> None:
    """A conversation begun at `at`: messages the bot read these intents in, and handoffs
    (seconds until claimed or None, priority, feedback)."""
    async with sessions() as session, session.begin():
        conversation = await repository.get_or_create_conversation(session, "webchat", user)
        conversation.created_at = at
        for n, intent in enumerate(intents):
            message, _ = await repository.add_inbound(session, conversation, str(uuid.uuid4()),
                                                      f"bericht {n} met geheim-woord", None)
            message.created_at = at + timedelta(minutes=n)
            message.intent = intent
            message.status = MessageStatus.ANSWERED  # the gateway's retry loop leaves it be
        for wait, priority, feedback in handoffs:
            session.add(Handoff(
                conversation_id=conversation.id, escalation_id=str(uuid.uuid4()),
                reason="request_human", priority=priority, status="closed", created_at=at,
                claimed_at=at + timedelta(seconds=wait) if wait is not None else None,
                feedback=feedback))
