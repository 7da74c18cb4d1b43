"""Admin-only API: review every crisis detection, so missed and false alarms become data;
erase a young person's conversation on request; the service's figures."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from bot.channels.errors import int_id, json_error, read_json_object
from bot.handoff.service import as_utc
from bot.inbox.accounts import Accounts
from bot.inbox.auth import authenticate, require_admin
from bot.inbox.stats import service_figures
from bot.privacy import ConversationInUse, Privacy
from bot.store.models import AuditEntry, Conversation, Message, SafetyDetection, utcnow

VERDICTS = ("true_alarm", "false_alarm")
PAGE = 200
DEFAULT_DAYS = 14
MAX_DAYS = 90


class AdminApi:
    """Handlers of /api/v1/admin."""

    def __init__(self, accounts: Accounts, sessions: sessionmaker, privacy: Privacy,
                 timezone: str) -> None:
        self._accounts = accounts
        self._sessions = sessions
        self._privacy = privacy
        self._timezone = timezone

    async def stats(self, request: web.Request) -> web.Response:
        """Per day for the last ?days= (1–90, default 14): conversations, messages,
        escalations and their median wait, fallback rate; top intents; feedback."""
        worker, _ = await authenticate(request, self._accounts)
        require_admin(worker)
        try:
            days = int(request.query.get("days", str(DEFAULT_DAYS)))
        except ValueError:
            days = 0
        if not 1 <= days <= MAX_DAYS:
            return json_error(400, f"'days' must be a whole number from 1 to {MAX_DAYS}")
        async with self._sessions() as session:
            figures = await service_figures(session, days, self._timezone, utcnow())
        return web.json_response(figures)

    async def detections(self, request: web.Request) -> web.Response:
        """The latest crisis detections with the message that triggered them (audited)."""
        worker, _ = await authenticate(request, self._accounts)
        require_admin(worker)
        async with self._sessions() as session, session.begin():
            rows = (await session.execute(
                select(SafetyDetection, Message.text, Conversation.pseudonym)
                .join(Message, Message.id == SafetyDetection.message_id)
                .join(Conversation, Conversation.id == SafetyDetection.conversation_id)
                .order_by(SafetyDetection.id.desc()).limit(PAGE))).all()
            session.add(AuditEntry(worker_id=worker.id, action="read_detections"))
        return web.json_response({"detections": [_detection_json(d, text, pseudonym)
                                                 for d, text, pseudonym in rows]})

    async def review(self, request: web.Request) -> web.Response:
        """Mark a detection a true or a false alarm: {"verdict": ...}."""
        worker, _ = await authenticate(request, self._accounts)
        require_admin(worker)
        body = await read_json_object(request)
        verdict = body.get("verdict")
        if verdict not in VERDICTS:
            return json_error(400, f"field 'verdict' must be one of {list(VERDICTS)}")
        detection_id = int_id(request, "detection")
        async with self._sessions() as session, session.begin():
            detection = await session.get(SafetyDetection, detection_id)
            if detection is None:
                return json_error(404, "unknown detection")
            detection.reviewed = str(verdict)
            session.add(AuditEntry(worker_id=worker.id, action="review_detection",
                                   conversation_id=detection.conversation_id))
        return web.json_response({"id": detection_id, "reviewed": verdict})

    async def erase(self, request: web.Request) -> web.Response:
        """Delete one conversation and everything of it now (AVG erasure request)."""
        worker, _ = await authenticate(request, self._accounts)
        require_admin(worker)
        try:
            erased = await self._privacy.erase(request.match_info["id"], worker.id)
        except ConversationInUse as error:
            return json_error(409, str(error))
        if erased is None:
            return json_error(404, "unknown conversation")
        return web.json_response({"conversation_id": erased.conversation_id, "erased": True,
                                  "bot_memory_cleared": erased.bot_memory_cleared})


def _detection_json(detection: SafetyDetection, text: str, pseudonym: str) -> dict[str, Any]:
    created = as_utc(detection.created_at)
    return {
        "id": detection.id,
        "conversation_id": detection.conversation_id,
        "pseudonym": pseudonym,
        "signal": detection.signal,
        "kind": detection.kind,
        "detail": detection.detail,
        "state": detection.state,
        "reviewed": detection.reviewed,
        "text": text,
        "created_at": created.isoformat() if created else None,
    }
