"""A conversation with something in every table that holds a young person's data, for the
retention and erasure tests on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import uuid
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from bot.store import repository
from bot.store.models import (
    AuditEntry,
    ChannelOutbox,
    Conversation,
    Handoff,
    HandoffStatus,
    Message,
    MessageStatus,
    NluReviewItem,
    Note,
    Notification,
    SafetyDetection,
)

# Every table a conversation's data lives in; the audit log is counted apart (it stays).
CONVERSATION_TABLES = (Conversation, Message, Handoff, Note, SafetyDetection, ChannelOutbox,
                       Notification, NluReviewItem)


async def seed_conversation(sessions: sessionmaker, user: str, at: datetime,
                            handoff_status: str = HandoffStatus.CLOSED,
                            text: str = "ik wil niet meer naar huis") -> str:
    """A conversation whose every row is dated `at`: a message (`text`), the bot's reply, a
    handoff with a note, a crisis detection of the message, a platform send, a notification,
    the message in the NLU inbox and an audit entry."""
    async with sessions() as session, session.begin():
        conversation = await repository.get_or_create_conversation(session, "whatsapp", user)
        conversation.created_at = conversation.updated_at = at
        message, _ = await repository.add_inbound(session, conversation, f"wamid.{uuid.uuid4()}",
                                                  text, None)
        message.created_at = at
        # Answered (by the reply below): the gateway's retry loop must leave it be.
        message.status = MessageStatus.ANSWERED
        reply = repository.new_outbound(conversation.id, "bot", "Wat naar. Ik help je.",
                                        reply_to=message)
        reply.created_at = at
        session.add(reply)
        handoff = Handoff(conversation_id=conversation.id, escalation_id=str(uuid.uuid4()),
                          reason="request_human", summary="Jongere: ik wil niet meer naar huis",
                          status=handoff_status, created_at=at,
                          closed_at=at if handoff_status == HandoffStatus.CLOSED else None)
        session.add(handoff)
        await session.flush()
        session.add_all([
            Note(handoff_id=handoff.id, text="Belt morgen terug", created_at=at),
            SafetyDetection(conversation_id=conversation.id, message_id=message.id,
                            signal="pattern", kind="unsafe", detail="no_safe_place",
                            state="bot", created_at=at),
            NluReviewItem(conversation_id=conversation.id, message_id=message.id,
                          reason="unsure", predicted_intent="topic_home", confidence=0.4,
                          created_at=at),
            ChannelOutbox(conversation_id=conversation.id, message_id=reply.id,
                          channel="whatsapp", method="send", body="{}", status="sent",
                          created_at=at),
            Notification(url="http://127.0.0.1:9/hook", created_at=at, delivered_at=at,
                         body=json.dumps({"event": "handoff.new",
                                          "conversation_id": conversation.id})),
            AuditEntry(action="read_transcript", conversation_id=conversation.id,
                       created_at=at),
        ])
        return str(conversation.id)


async def rows_per_table(sessions: sessionmaker) -> dict[str, int]:
    """How many rows each table of conversation data holds, and the audit log."""
    async with sessions() as session:
        counts = {model.__tablename__: int(await session.scalar(
            select(func.count()).select_from(model)))
            for model in (*CONVERSATION_TABLES, AuditEntry)}
    return counts
