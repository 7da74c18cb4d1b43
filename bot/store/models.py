"""SQLAlchemy models of the gateway's store (schema owned by Alembic migrations)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import declarative_base

Base: Any = declarative_base()


def utcnow() -> datetime:
    """Timezone-aware now, the only clock the store uses."""
    return datetime.now(timezone.utc)


class ConversationState:
    """States of the conversation state machine (BOT → QUEUED → ASSIGNED → CLOSED → BOT)."""

    BOT = "bot"
    QUEUED = "queued"
    ASSIGNED = "assigned"
    CLOSED = "closed"


class Conversation(Base):
    """One young person on one channel; the unit the bot and workers talk in."""

    __tablename__ = "conversations"
    __table_args__ = (UniqueConstraint("channel", "channel_user_id", name="uq_conversation_user"),)

    id = Column(String(36), primary_key=True)
    channel = Column(String(32), nullable=False)
    # The platform's id of the young person (phone number, chat id, widget session):
    # personal data, needed to deliver replies, never logged.
    channel_user_id = Column(String(255), nullable=False)
    pseudonym = Column(String(64), nullable=False)
    state = Column(String(16), nullable=False, default=ConversationState.BOT)
    # Buttons of the bot's last message: only these payloads may bypass NLU.
    offered_buttons = Column(JSON, nullable=True)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    updated_at = Column(DateTime(timezone=True), nullable=False, default=utcnow, onupdate=utcnow)


class Direction:
    """Which way a message went."""

    IN = "in"
    OUT = "out"


class MessageStatus:
    """Life cycle of a message. Inbound: received → answered (or failed, retried later)."""

    RECEIVED = "received"
    ANSWERED = "answered"
    FAILED = "failed"
    SENT = "sent"


class Message(Base):
    """One message in a conversation, in either direction, from the user, bot, worker or system."""

    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint(
            "conversation_id", "direction", "external_id", name="uq_message_external_id"
        ),
    )

    id = Column(Integer, primary_key=True, autoincrement=True)
    public_id = Column(String(36), nullable=False, unique=True)
    conversation_id = Column(String(36), ForeignKey("conversations.id", ondelete="CASCADE"),
                             nullable=False, index=True)
    direction = Column(String(3), nullable=False)
    sender = Column(String(16), nullable=False)
    # The id the channel gave this message (wamid, update id, client uuid): de-duplication.
    external_id = Column(String(255), nullable=True)
    text = Column(Text, nullable=False, default="")
    payload = Column(Text, nullable=True)
    buttons = Column(JSON, nullable=True)
    reply_to_id = Column(Integer, ForeignKey("messages.id", ondelete="SET NULL"), nullable=True)
    status = Column(String(16), nullable=False)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
