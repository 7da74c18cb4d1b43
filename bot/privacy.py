"""Deleting a young person's data: after the retention period, and on request (AVG).

A conversation goes with everything that hangs off it: its messages, handoffs and their
notes, crisis detections and platform sends (the schema's ON DELETE CASCADE). Rasa's
tracker of the conversation, which holds the same texts, is emptied through Rasa's HTTP
API. What stays is the audit log: which worker did what to which conversation id, and
when, without content, because accountability must outlive the data it accounts for.

A conversation that is in the queue or with a worker is never deleted: retention waits
until it is closed, and an erasure request is refused until a worker closes it (a young
person may be in danger in that very chat).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, exists, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import sessionmaker
from sqlalchemy.sql.elements import ColumnElement

from bot.rasa.client import RasaClient
from bot.store.models import (
    AuditEntry,
    Conversation,
    Handoff,
    HandoffStatus,
    Message,
    Notification,
    utcnow,
)

log = logging.getLogger(__name__)

OPEN_HANDOFF = (HandoffStatus.QUEUED, HandoffStatus.ASSIGNED)
# Retention deletes in batches, so one run never holds the database for long.
PURGE_BATCH = 200


class ConversationInUse(Exception):
    """The conversation is queued or with a worker: close it first."""


@dataclass(frozen=True)
class Erased:
    """What an erasure removed."""

    conversation_id: str
    # False when Rasa could not be reached: its in-memory tracker is gone at its next restart.
    bot_memory_cleared: bool


class Privacy:
    """Erasure of one conversation, and deletion of conversations past the retention period."""

    def __init__(self, sessions: sessionmaker, rasa: RasaClient) -> None:
        self._sessions = sessions
        self._rasa = rasa

    async def find(self, channel: str, channel_user_id: str) -> str | None:
        """The conversation id of a young person on a channel (phone number, chat id…)."""
        async with self._sessions() as session:
            found = (await session.execute(select(Conversation.id).where(
                Conversation.channel == channel,
                Conversation.channel_user_id == channel_user_id))).scalar_one_or_none()
        return str(found) if found is not None else None

    async def erase(self, conversation_id: str, worker_id: int | None) -> Erased | None:
        """Delete one conversation now; None when there is no such conversation.

        Raises ConversationInUse while it is queued or with a worker. The erasure is in
        the audit log under the admin who asked (worker_id None: the command line).
        """
        async with self._sessions() as session, session.begin():
            if await session.get(Conversation, conversation_id) is None:
                return None
            if await session.scalar(select(exists().where(
                    Handoff.conversation_id == conversation_id,
                    Handoff.status.in_(OPEN_HANDOFF)))):
                raise ConversationInUse("the conversation is in the queue or with a worker: "
                                        "close it first")
            await self._delete(session, [conversation_id])
            session.add(AuditEntry(worker_id=worker_id, action="erase",
                                   conversation_id=conversation_id))
        cleared = await self._rasa.forget(conversation_id)
        log.info("erased one conversation on request (bot memory cleared: %s)", cleared)
        return Erased(conversation_id, cleared)

    async def purge_expired(self, retention_days: float, now: datetime | None = None) -> int:
        """Delete conversations without activity for `retention_days`; returns how many."""
        cutoff = (now or utcnow()) - timedelta(days=retention_days)
        purged, rasa_reachable = 0, True
        while True:
            quiet = _quiet_since(cutoff)
            async with self._sessions() as session, session.begin():
                selected = list((await session.execute(
                    select(Conversation.id).where(quiet).limit(PURGE_BATCH))).scalars())
                expired: list[str] = []
                if selected:
                    # Asked again in the delete: a young person who writes in between keeps
                    # their conversation, and Rasa its memory of it.
                    await self._delete(session, selected, quiet)
                    kept = set((await session.execute(select(Conversation.id).where(
                        Conversation.id.in_(selected)))).scalars())
                    expired = [c for c in selected if c not in kept]
                # Notifications hold no text, but they name the conversation: same period.
                await session.execute(delete(Notification).where(
                    Notification.created_at < cutoff).execution_options(
                    synchronize_session=False))
            for conversation_id in expired:
                # Rasa down: its in-memory trackers go at its next restart; no need to wait
                # for a timeout once per conversation.
                if rasa_reachable:
                    rasa_reachable = await self._rasa.forget(conversation_id)
            purged += len(expired)
            if len(selected) < PURGE_BATCH:
                break
        if purged:
            log.info("retention: deleted %d conversation(s) older than %g days",
                     purged, retention_days)
        return purged

    @staticmethod
    async def _delete(session: AsyncSession, conversation_ids: list[str],
                      condition: ColumnElement[bool] | None = None) -> None:
        # Bulk deletes in the database (its cascades take the rest): nothing loaded to sync.
        bulk = {"synchronize_session": False}
        # Notifications carry the conversation id inside their JSON body, not as a column.
        await session.execute(delete(Notification).where(or_(
            *(Notification.body.contains(conversation_id)
              for conversation_id in conversation_ids))).execution_options(**bulk))
        await session.execute(delete(Conversation).where(
            Conversation.id.in_(conversation_ids),
            condition if condition is not None else true()).execution_options(**bulk))


def _quiet_since(cutoff: datetime) -> ColumnElement[bool]:
    """A conversation in which nothing happened since `cutoff` and that no worker holds."""
    return and_(
        Conversation.created_at < cutoff, Conversation.updated_at < cutoff,
        ~exists().where(Message.conversation_id == Conversation.id,
                        Message.created_at >= cutoff),
        ~exists().where(Handoff.conversation_id == Conversation.id,
                        or_(Handoff.status.in_(OPEN_HANDOFF), Handoff.closed_at >= cutoff)))
