"""The handoff queue and what workers do with it: claim, reply, note, transfer, close.

Every state change is one transaction. A claim is a conditional UPDATE (status must still
be 'queued'), so of two workers clicking at the same moment exactly one wins — on SQLite
and on PostgreSQL alike.
"""

from __future__ import annotations

import logging
import statistics
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import case, func, select, update
from sqlalchemy.orm import sessionmaker

from bot.config import Settings
from bot.handoff import events
from bot.handoff.notify import Notifier
from bot.hours import describe_moment, is_open, local_now, next_opening
from bot.realtime import Hub
from bot.safety.messages import KIND_TO_INTENT
from bot.service_rules import LiveSettings
from bot.store import repository
from bot.store.leases import won
from bot.store.models import (
    AuditEntry,
    Conversation,
    ConversationState,
    Handoff,
    HandoffStatus,
    Message,
    Note,
    Priority,
    Role,
    Worker,
    utcnow,
)

log = logging.getLogger(__name__)

OPEN = (HandoffStatus.QUEUED, HandoffStatus.ASSIGNED)
RECENT_PICKUPS = 20
REASONS_MAX = 64


class HandoffError(Exception):
    """A worker action that cannot be done; `status` is the HTTP status to answer with."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class EscalationRequest:
    """An escalation as the action server sends it."""

    escalation_id: str
    conversation_id: str
    reason: str
    priority: str
    topic: str | None
    summary: str


def as_utc(moment: datetime | None) -> datetime | None:
    """SQLite returns naive datetimes; the store only writes UTC."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=timezone.utc)


def handoff_json(handoff: Handoff, conversation: Conversation,
                 worker_name: str | None = None) -> dict[str, Any]:
    """What a worker sees of a handoff in the queue (summary included, not the transcript)."""
    created = as_utc(handoff.created_at)
    return {
        "handoff_id": handoff.id,
        "conversation_id": conversation.id,
        "pseudonym": conversation.pseudonym,
        "channel": conversation.channel,
        "status": handoff.status,
        "priority": handoff.priority,
        "reason": handoff.reason,
        "topic": handoff.topic,
        "summary": handoff.summary,
        "team": handoff.team,
        "worker": worker_name,
        "created_at": created.isoformat() if created else None,
        "waiting_seconds": int((utcnow() - created).total_seconds()) if created else 0,
    }


class HandoffService:
    """Queue, claims and worker actions; pushes live events and notifications."""

    def __init__(self, sessions: sessionmaker, hub: Hub, notifier: Notifier,
                 settings: LiveSettings) -> None:
        self._sessions = sessions
        self._hub = hub
        self._notifier = notifier
        self._live = settings

    @property
    def _settings(self) -> Settings:
        # Read at each use: an admin may change the opening hours in Beheer.
        return self._live.current

    # --- escalation -------------------------------------------------------------------

    async def escalate(self, request: EscalationRequest) -> dict[str, Any]:
        """Queue the conversation once per escalation id; an urgent one raises an open handoff."""
        async with self._sessions() as session, session.begin():
            conversation = await session.get(Conversation, request.conversation_id)
            if conversation is None:
                raise HandoffError(404, "unknown conversation")
            existing = (await session.execute(select(Handoff).where(
                Handoff.escalation_id == request.escalation_id))).scalar_one_or_none()
            created = False
            if existing is None:
                existing = (await session.execute(select(Handoff).where(
                    Handoff.conversation_id == conversation.id,
                    Handoff.status.in_(OPEN)))).scalar_one_or_none()
                if existing is not None and request.priority == Priority.URGENT:
                    existing.priority = Priority.URGENT
                    existing.reason = request.reason
                if existing is None:
                    existing = Handoff(
                        conversation_id=conversation.id,
                        escalation_id=request.escalation_id,
                        reason=request.reason,
                        priority=request.priority,
                        topic=request.topic,
                        summary=request.summary,
                        status=HandoffStatus.QUEUED,
                    )
                    session.add(existing)
                    conversation.state = ConversationState.QUEUED
                    created = True
                    await session.flush()
                    self._notifier.enqueue_new_handoff(session, existing, conversation)
            handoff_id = existing.id
            item = handoff_json(existing, conversation,
                                await self._worker_name(session, existing.worker_id))
        await self._hub.publish(events.INBOX_TOPIC, {
            "type": events.HANDOFF_NEW if created else events.HANDOFF_UPDATED, "handoff": item})
        position, wait = await self.queue_position(handoff_id)
        now = local_now(self._settings.timezone)
        opening = None if is_open(self._settings.opening_hours, now) else next_opening(
            self._settings.opening_hours, now)
        return {
            "handoff_id": handoff_id,
            "created": created,
            "queue_position": position,
            "estimated_wait_minutes": wait,
            "someone_available": await self.someone_available(),
            "back_at": describe_moment(opening, now) if opening else None,
        }

    async def raise_urgent(self, conversation_id: str, kind: str) -> bool:
        """A crisis: make the open handoff urgent (or open one), notify everyone at once."""
        reason = KIND_TO_INTENT.get(kind, kind)
        async with self._sessions() as session, session.begin():
            conversation = await session.get(Conversation, conversation_id)
            if conversation is None:
                return False
            handoff = (await session.execute(select(Handoff).where(
                Handoff.conversation_id == conversation_id,
                Handoff.status.in_(OPEN)))).scalar_one_or_none()
            if handoff is None:
                handoff = Handoff(conversation_id=conversation_id,
                                  escalation_id=f"safety-{uuid.uuid4()}", reason=reason,
                                  priority=Priority.URGENT, topic=reason,
                                  summary="Crisissignaal van het vangnet",
                                  status=HandoffStatus.QUEUED)
                session.add(handoff)
                conversation.state = ConversationState.QUEUED
                await session.flush()
            elif handoff.priority != Priority.URGENT:
                handoff.priority = Priority.URGENT
                handoff.reason = reason
            self._notifier.enqueue_new_handoff(session, handoff, conversation, urgent_now=True)
            item = handoff_json(handoff, conversation,
                                await self._worker_name(session, handoff.worker_id))
        await self._hub.publish(events.INBOX_TOPIC, {"type": events.CRISIS_ALERT,
                                                     "handoff": item, "kind": kind})
        await self._hub.publish(events.INBOX_TOPIC, {"type": events.HANDOFF_UPDATED,
                                                     "handoff": item})
        return True

    async def someone_available(self) -> bool:
        """Open now and at least one worker online."""
        settings = self._settings
        if not is_open(settings.opening_hours, local_now(settings.timezone)):
            return False
        async with self._sessions() as session:
            online = (await session.execute(
                select(func.count()).select_from(Worker).where(Worker.online.is_(True))
            )).scalar_one()
        return bool(online)

    async def queue_position(self, handoff_id: int) -> tuple[int | None, int | None]:
        """(1-based place in the queue, realistic wait in minutes from recent pick-ups)."""
        queue = await self.queue()
        ids = [item["handoff_id"] for item in queue if item["status"] == HandoffStatus.QUEUED]
        if handoff_id not in ids:
            return None, None
        position = ids.index(handoff_id) + 1
        async with self._sessions() as session:
            rows = (await session.execute(
                select(Handoff.created_at, Handoff.claimed_at)
                .where(Handoff.claimed_at.is_not(None))
                .order_by(Handoff.claimed_at.desc()).limit(RECENT_PICKUPS))).all()
            online = (await session.execute(
                select(func.count()).select_from(Worker).where(Worker.online.is_(True))
            )).scalar_one()
        if not rows:
            return position, None
        pickups = [(as_utc(c2) - as_utc(c1)).total_seconds() / 60  # type: ignore[operator]
                   for c1, c2 in rows]
        per_person = statistics.median(pickups)
        return position, max(1, round(per_person * position / max(1, int(online))))

    # --- reading ----------------------------------------------------------------------

    async def queue(self) -> list[dict[str, Any]]:
        """Open handoffs: urgent first, then longest waiting."""
        urgent_first = case((Handoff.priority == Priority.URGENT, 0), else_=1)
        async with self._sessions() as session:
            rows = (await session.execute(
                select(Handoff, Conversation, Worker.name)
                .join(Conversation, Conversation.id == Handoff.conversation_id)
                .outerjoin(Worker, Worker.id == Handoff.worker_id)
                .where(Handoff.status.in_(OPEN))
                .order_by(urgent_first, Handoff.created_at, Handoff.id))).all()
        return [handoff_json(h, c, name) for h, c, name in rows]

    async def conversation(self, conversation_id: str, worker: Worker) -> dict[str, Any]:
        """Whole transcript (bot turns included), the open handoff and its notes; audited.

        Workers see only conversations that were handed to a human: a young person who
        talked to the bot alone never asked anyone to read along. Admins see all."""
        async with self._sessions() as session, session.begin():
            conversation = await session.get(Conversation, conversation_id)
            handoff = await self._latest_handoff(session, conversation_id)
            if conversation is None or (handoff is None and worker.role != Role.ADMIN):
                raise HandoffError(404, "unknown conversation")  # not: "exists, not yours"
            notes: list[dict[str, Any]] = []
            if handoff is not None:
                rows = (await session.execute(
                    select(Note, Worker.name).outerjoin(Worker, Worker.id == Note.worker_id)
                    .where(Note.handoff_id == handoff.id).order_by(Note.id))).all()
                notes = [{"text": n.text, "worker": name,
                          "created_at": as_utc(n.created_at).isoformat()}  # type: ignore[union-attr]
                         for n, name in rows]
            worker_name = None
            if handoff is not None and handoff.worker_id is not None:
                assigned = await session.get(Worker, handoff.worker_id)
                worker_name = assigned.name if assigned else None
            messages = await repository.transcript(session, conversation_id)
            session.add(AuditEntry(worker_id=worker.id, action="read_transcript",
                                   conversation_id=conversation_id))
            return {
                "conversation_id": conversation.id,
                "pseudonym": conversation.pseudonym,
                "channel": conversation.channel,
                "state": conversation.state,
                "handoff": handoff_json(handoff, conversation, worker_name) if handoff else None,
                "messages": [repository.message_to_json(m) for m in messages],
                "notes": notes,
            }

    # --- worker actions ---------------------------------------------------------------

    async def claim(self, conversation_id: str, worker: Worker) -> dict[str, Any]:
        """Take a queued conversation; 409 when someone else was first. "new" is False when
        the worker already had it (a repeated click)."""
        async with self._sessions() as session, session.begin():
            handoff = await self._open_handoff(session, conversation_id)
            if handoff.status == HandoffStatus.ASSIGNED and handoff.worker_id == worker.id:
                return {"claimed": True, "new": False}
            if not await won(session, update(Handoff)
                             .where(Handoff.id == handoff.id,
                                    Handoff.status == HandoffStatus.QUEUED)
                             .values(status=HandoffStatus.ASSIGNED, worker_id=worker.id,
                                     claimed_at=utcnow())):
                raise HandoffError(409, "someone else already has this conversation")
            await session.execute(
                update(Conversation).where(Conversation.id == conversation_id)
                .values(state=ConversationState.ASSIGNED, updated_at=utcnow()))
            session.add(AuditEntry(worker_id=worker.id, action="claim",
                                   conversation_id=conversation_id))
        await self._push_update(conversation_id)
        return {"claimed": True, "new": True}

    async def reply(self, conversation_id: str, worker: Worker, text: str) -> dict[str, Any]:
        """Store the worker's message; the caller delivers it to the young person's channel."""
        async with self._sessions() as session, session.begin():
            handoff = await self._open_handoff(session, conversation_id)
            self._require_holder(handoff, worker)
            message = repository.new_outbound(conversation_id, "worker", text)
            session.add(message)
            session.add(AuditEntry(worker_id=worker.id, action="reply",
                                   conversation_id=conversation_id))
            await session.flush()
            data = repository.message_to_json(message)
        await self._hub.publish(events.INBOX_TOPIC, {
            "type": events.MESSAGE, "conversation_id": conversation_id, "message": data})
        return data

    async def add_note(self, conversation_id: str, worker: Worker, text: str) -> dict[str, Any]:
        """An internal note on the open handoff; never sent to the young person."""
        async with self._sessions() as session, session.begin():
            handoff = await self._open_handoff(session, conversation_id)
            note = Note(handoff_id=handoff.id, worker_id=worker.id, text=text)
            session.add(note)
            await session.flush()
            return {"text": note.text, "worker": worker.name,
                    "created_at": as_utc(note.created_at).isoformat()}  # type: ignore[union-attr]

    async def transfer(self, conversation_id: str, worker: Worker, to_worker: str | None,
                       to_team: str | None) -> dict[str, Any]:
        """Hand the conversation to a colleague (assigned to them) or a team (back in queue)."""
        if not to_worker and not to_team:
            raise HandoffError(400, "give 'worker' or 'team' to transfer to")
        async with self._sessions() as session, session.begin():
            handoff = await self._open_handoff(session, conversation_id)
            self._require_holder(handoff, worker)
            conversation = await session.get(Conversation, conversation_id)
            assert conversation is not None
            if to_worker:
                target = (await session.execute(select(Worker).where(
                    Worker.name == to_worker, Worker.active.is_(True)))).scalar_one_or_none()
                if target is None:
                    raise HandoffError(404, f"no worker named '{to_worker}'")
                handoff.worker_id = target.id
                handoff.status = HandoffStatus.ASSIGNED
                handoff.claimed_at = handoff.claimed_at or utcnow()
                conversation.state = ConversationState.ASSIGNED
            else:
                handoff.team = to_team
                handoff.worker_id = None
                handoff.status = HandoffStatus.QUEUED
                conversation.state = ConversationState.QUEUED
            session.add(AuditEntry(worker_id=worker.id, action="transfer",
                                   conversation_id=conversation_id))
        await self._push_update(conversation_id)
        return {"transferred": True}

    async def release_all(self, worker_id: int, by: Worker) -> list[str]:
        """Put every conversation a worker holds back in the queue (their account was
        deactivated: nobody may be left waiting on someone who left); the conversation ids.
        The young person hears from whoever claims it next, as after any claim."""
        async with self._sessions() as session, session.begin():
            held = list((await session.execute(select(Handoff).where(
                Handoff.worker_id == worker_id,
                Handoff.status == HandoffStatus.ASSIGNED))).scalars())
            for handoff in held:
                handoff.worker_id = None
                handoff.status = HandoffStatus.QUEUED
                conversation = await session.get(Conversation, handoff.conversation_id)
                if conversation is not None:
                    conversation.state = ConversationState.QUEUED
                session.add(AuditEntry(worker_id=by.id, action="release",
                                       conversation_id=handoff.conversation_id))
            released = [str(h.conversation_id) for h in held]
        for conversation_id in released:
            await self._push_update(conversation_id)
        return released

    async def close(self, conversation_id: str, worker: Worker, outcome: str) -> dict[str, Any]:
        """Close the handoff and give the conversation back to the bot."""
        async with self._sessions() as session, session.begin():
            handoff = await self._open_handoff(session, conversation_id)
            if handoff.status == HandoffStatus.ASSIGNED:
                self._require_holder(handoff, worker)
            handoff.status = HandoffStatus.CLOSED
            handoff.outcome = outcome[:REASONS_MAX] if outcome else "afgerond"
            handoff.closed_at = utcnow()
            handoff.worker_id = handoff.worker_id or worker.id
            await session.execute(
                update(Conversation).where(Conversation.id == conversation_id)
                .values(state=ConversationState.BOT, updated_at=utcnow()))
            session.add(AuditEntry(worker_id=worker.id, action="close",
                                   conversation_id=conversation_id))
            handoff_id = handoff.id
        await self._push_update(conversation_id)
        return {"closed": True, "handoff_id": handoff_id}

    async def record_feedback(self, conversation_id: str, rating: str) -> bool:
        """Store the young person's answer to the feedback question on the last closed handoff."""
        async with self._sessions() as session, session.begin():
            handoff = (await session.execute(
                select(Handoff).where(Handoff.conversation_id == conversation_id,
                                      Handoff.status == HandoffStatus.CLOSED)
                .order_by(Handoff.id.desc()).limit(1))).scalar_one_or_none()
            if handoff is None or handoff.feedback is not None:
                return False
            handoff.feedback = rating[:32]
            return True

    async def set_presence(self, worker: Worker, online: bool) -> None:
        """A worker goes online or offline."""
        async with self._sessions() as session, session.begin():
            await session.execute(update(Worker).where(Worker.id == worker.id)
                                  .values(online=online, last_seen_at=utcnow()))

    async def due_waiting_notices(self) -> list[str]:
        """Conversations queued longer than WAITING_NOTICE_MINUTES without a notice yet.

        Each is taken with a conditional UPDATE, so with several gateway processes only one
        of them sends the young person the notice."""
        cutoff = utcnow() - timedelta(minutes=self._settings.waiting_notice_minutes)
        async with self._sessions() as session, session.begin():
            due = (await session.execute(
                select(Handoff.id, Handoff.conversation_id)
                .where(Handoff.status == HandoffStatus.QUEUED,
                       Handoff.waiting_notice_sent_at.is_(None),
                       Handoff.created_at < cutoff))).all()
            taken = []
            for handoff_id, conversation_id in due:
                if await won(session, update(Handoff).where(
                        Handoff.id == handoff_id, Handoff.status == HandoffStatus.QUEUED,
                        Handoff.waiting_notice_sent_at.is_(None))
                        .values(waiting_notice_sent_at=utcnow())):
                    taken.append(conversation_id)
            return taken

    async def renotify_unclaimed_urgent(self) -> int:
        """Notify again about urgent handoffs nobody claimed for URGENT_RENOTIFY_MINUTES
        (each taken with a conditional UPDATE: one process re-notifies, not every one)."""
        cutoff = utcnow() - timedelta(minutes=self._settings.urgent_renotify_minutes)
        overdue = (Handoff.status == HandoffStatus.QUEUED, Handoff.priority == Priority.URGENT,
                   func.coalesce(Handoff.last_notified_at, Handoff.created_at) < cutoff)
        async with self._sessions() as session, session.begin():
            rows = (await session.execute(
                select(Handoff, Conversation)
                .join(Conversation, Conversation.id == Handoff.conversation_id)
                .where(*overdue))).all()
            renotified = 0
            for handoff, conversation in rows:
                if await won(session, update(Handoff).where(Handoff.id == handoff.id, *overdue)
                               .values(last_notified_at=utcnow())):
                    self._notifier.enqueue_new_handoff(session, handoff, conversation,
                                                       repeat=True)
                    renotified += 1
            return renotified

    # --- helpers ----------------------------------------------------------------------

    @staticmethod
    async def _worker_name(session: Any, worker_id: int | None) -> str | None:
        if worker_id is None:
            return None
        worker = await session.get(Worker, worker_id)
        return worker.name if worker is not None else None

    async def _latest_handoff(self, session: Any, conversation_id: str) -> Handoff | None:
        return (await session.execute(
            select(Handoff).where(Handoff.conversation_id == conversation_id)
            .order_by(Handoff.id.desc()).limit(1))).scalar_one_or_none()

    async def _open_handoff(self, session: Any, conversation_id: str) -> Handoff:
        conversation = await session.get(Conversation, conversation_id)
        if conversation is None:
            raise HandoffError(404, "unknown conversation")
        handoff = (await session.execute(
            select(Handoff).where(Handoff.conversation_id == conversation_id,
                                  Handoff.status.in_(OPEN)))).scalar_one_or_none()
        if handoff is None:
            raise HandoffError(409, "this conversation has no open handoff (closed or never "
                                    "escalated)")
        return handoff

    @staticmethod
    def _require_holder(handoff: Handoff, worker: Worker) -> None:
        if handoff.status != HandoffStatus.ASSIGNED:
            raise HandoffError(409, "claim the conversation first")
        if handoff.worker_id != worker.id:
            raise HandoffError(409, "another worker has this conversation")

    async def _push_update(self, conversation_id: str) -> None:
        async with self._sessions() as session:
            row = (await session.execute(
                select(Handoff, Conversation, Worker.name)
                .join(Conversation, Conversation.id == Handoff.conversation_id)
                .outerjoin(Worker, Worker.id == Handoff.worker_id)
                .where(Handoff.conversation_id == conversation_id)
                .order_by(Handoff.id.desc()).limit(1))).first()
        if row is not None:
            await self._hub.publish(events.INBOX_TOPIC, {
                "type": events.HANDOFF_UPDATED, "handoff": handoff_json(*row)})


__all__ = ["EscalationRequest", "HandoffError", "HandoffService", "Message"]
