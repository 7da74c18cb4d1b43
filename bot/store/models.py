"""SQLAlchemy models of the gateway's store (schema owned by Alembic migrations)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    true,
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
    # Why messages cannot reach the young person right now (e.g. "window_closed",
    # "blocked"); shown to the worker. Cleared when they write again.
    delivery_problem = Column(String(32), nullable=True)
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
    # Non-text content the young person sent (kept for the worker): type, media id, mime.
    media = Column(JSON, nullable=True)
    # Outbound on a platform: its message id and what the platform reported back.
    platform_message_id = Column(String(255), nullable=True, index=True)
    delivery_status = Column(String(16), nullable=True)
    delivery_error = Column(String(64), nullable=True)
    # Inbound: until when a gateway process has taken the message to answer it (see
    # bot/store/leases.py); another process neither answers it meanwhile nor retries it.
    processing_until = Column(DateTime(timezone=True), nullable=True)
    # Inbound free text the bot answered: the intent it read (nlu_fallback included), for
    # the admins' figures (top intents, fallback rate). A label, not content.
    intent = Column(String(64), nullable=True)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)


class Role:
    """Roles of people using the inbox."""

    WORKER = "worker"
    ADMIN = "admin"


class Worker(Base):
    """A worker or admin account of the inbox and the worker API."""

    __tablename__ = "workers"

    id = Column(Integer, primary_key=True, autoincrement=True)
    name = Column(String(64), nullable=False, unique=True)
    role = Column(String(16), nullable=False, default=Role.WORKER)
    team = Column(String(64), nullable=True)
    password_hash = Column(String(255), nullable=True)
    # SHA-256 of the personal API token: the token itself is shown once and never stored.
    api_token_hash = Column(String(64), nullable=False, unique=True)
    online = Column(Boolean, nullable=False, default=False)
    last_seen_at = Column(DateTime(timezone=True), nullable=True)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    # Deactivated (someone left): no login, no API token, no sessions. Kept, not deleted,
    # so the audit log and old handoffs still say who it was.
    active = Column(Boolean, nullable=False, default=True, server_default=true())
    deactivated_at = Column(DateTime(timezone=True), nullable=True)


class HandoffStatus:
    """Life cycle of a handoff: waiting in the queue, with a worker, done."""

    QUEUED = "queued"
    ASSIGNED = "assigned"
    CLOSED = "closed"


class Priority:
    """Queue priorities; urgent goes first."""

    URGENT = "urgent"
    NORMAL = "normal"


class Handoff(Base):
    """One escalation of a conversation to a human, from queue to close and feedback."""

    __tablename__ = "handoffs"

    id = Column(Integer, primary_key=True, autoincrement=True)
    conversation_id = Column(String(36), ForeignKey("conversations.id", ondelete="CASCADE"),
                             nullable=False, index=True)
    # Id chosen by the action server for 'this message escalated': retries reuse it.
    escalation_id = Column(String(64), nullable=False, unique=True)
    reason = Column(String(64), nullable=False)
    priority = Column(String(8), nullable=False, default=Priority.NORMAL)
    topic = Column(String(64), nullable=True)
    summary = Column(Text, nullable=False, default="")
    status = Column(String(16), nullable=False, default=HandoffStatus.QUEUED, index=True)
    worker_id = Column(Integer, ForeignKey("workers.id", ondelete="SET NULL"), nullable=True)
    team = Column(String(64), nullable=True)
    outcome = Column(String(64), nullable=True)
    feedback = Column(String(32), nullable=True)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    claimed_at = Column(DateTime(timezone=True), nullable=True)
    closed_at = Column(DateTime(timezone=True), nullable=True)
    last_notified_at = Column(DateTime(timezone=True), nullable=True)
    waiting_notice_sent_at = Column(DateTime(timezone=True), nullable=True)


class Note(Base):
    """An internal note of a worker on a handoff; never sent to the young person."""

    __tablename__ = "notes"

    id = Column(Integer, primary_key=True, autoincrement=True)
    handoff_id = Column(Integer, ForeignKey("handoffs.id", ondelete="CASCADE"), nullable=False,
                        index=True)
    worker_id = Column(Integer, ForeignKey("workers.id", ondelete="SET NULL"), nullable=True)
    text = Column(Text, nullable=False)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)


class Notification(Base):
    """Persisted outbox of signed webhook notifications to workers' tools (Teams, Slack…)."""

    __tablename__ = "notifications"

    id = Column(Integer, primary_key=True, autoincrement=True)
    url = Column(Text, nullable=False)
    body = Column(Text, nullable=False)
    attempts = Column(Integer, nullable=False, default=0)
    next_attempt_at = Column(DateTime(timezone=True), nullable=False, default=utcnow, index=True)
    delivered_at = Column(DateTime(timezone=True), nullable=True)
    last_error = Column(String(255), nullable=True)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)


class WebSession(Base):
    """A logged-in browser session of the inbox (cookie holds the token, we keep its hash)."""

    __tablename__ = "web_sessions"

    token_hash = Column(String(64), primary_key=True)
    worker_id = Column(Integer, ForeignKey("workers.id", ondelete="CASCADE"), nullable=False)
    csrf_token = Column(String(64), nullable=False)
    expires_at = Column(DateTime(timezone=True), nullable=False)


class AuditEntry(Base):
    """Who looked at or acted on which conversation, and when (AVG accountability)."""

    __tablename__ = "audit_log"

    id = Column(Integer, primary_key=True, autoincrement=True)
    worker_id = Column(Integer, ForeignKey("workers.id", ondelete="SET NULL"), nullable=True)
    action = Column(String(32), nullable=False)
    conversation_id = Column(String(36), nullable=True, index=True)
    # The account an admin acted on (added, deactivated, new password or token).
    target_worker_id = Column(Integer, ForeignKey("workers.id", ondelete="SET NULL"),
                              nullable=True)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)


class SafetyDetection(Base):
    """A crisis signal on a message: which signal fired, how sure, for admin review."""

    __tablename__ = "safety_detections"

    id = Column(Integer, primary_key=True, autoincrement=True)
    conversation_id = Column(String(36), ForeignKey("conversations.id", ondelete="CASCADE"),
                             nullable=False, index=True)
    message_id = Column(Integer, ForeignKey("messages.id", ondelete="CASCADE"), nullable=False)
    signal = Column(String(16), nullable=False)  # "pattern" | "model"
    kind = Column(String(32), nullable=False)  # "suicide_selfharm" | "unsafe"
    detail = Column(String(64), nullable=False)  # pattern id, or model confidence
    state = Column(String(16), nullable=False)  # conversation state when it fired
    reviewed = Column(String(16), nullable=True)  # admin verdict: "true_alarm" | "false_alarm"
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)


class OutboxStatus:
    """Life cycle of one platform send."""

    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class ChannelOutbox(Base):
    """One request to a messaging platform, persisted before it is sent, retried in order."""

    __tablename__ = "channel_outbox"

    id = Column(Integer, primary_key=True, autoincrement=True)
    conversation_id = Column(String(36), ForeignKey("conversations.id", ondelete="CASCADE"),
                             nullable=False, index=True)
    message_id = Column(Integer, ForeignKey("messages.id", ondelete="CASCADE"), nullable=True)
    channel = Column(String(32), nullable=False)
    method = Column(String(32), nullable=False)  # "send" | "mark_read" | "answer_callback"
    body = Column(Text, nullable=False)
    attempts = Column(Integer, nullable=False, default=0)
    next_attempt_at = Column(DateTime(timezone=True), nullable=False, default=utcnow, index=True)
    status = Column(String(16), nullable=False, default=OutboxStatus.PENDING, index=True)
    last_error = Column(String(64), nullable=True)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)


class ReviewStatus:
    """Life cycle of a message the bot did not understand well, in the admin's NLU inbox."""

    OPEN = "open"
    LABELLED = "labelled"  # an admin gave it an intent: it is a training example now
    IGNORED = "ignored"  # not worth training on (noise, a name, half a sentence)


class NluReviewItem(Base):
    """A young person's message the bot was unsure about or did not understand.

    While open or ignored it points at the message (and goes with the conversation: retention,
    erasure). Once labelled it becomes a training example: the admin's (anonymised) text and
    intent, cut loose from the conversation and the young person."""

    __tablename__ = "nlu_review"
    __table_args__ = (UniqueConstraint("message_id", name="uq_nlu_review_message"),)

    id = Column(Integer, primary_key=True, autoincrement=True)
    conversation_id = Column(String(36), ForeignKey("conversations.id", ondelete="CASCADE"),
                             nullable=True, index=True)
    message_id = Column(Integer, ForeignKey("messages.id", ondelete="CASCADE"), nullable=True)
    reason = Column(String(16), nullable=False)  # "fallback" | "unsure"
    # The model's best intent other than nlu_fallback, and its confidence.
    predicted_intent = Column(String(64), nullable=True)
    confidence = Column(Float, nullable=False, default=0.0)
    status = Column(String(16), nullable=False, default=ReviewStatus.OPEN, index=True)
    intent = Column(String(64), nullable=True)  # the admin's label
    example_text = Column(Text, nullable=True)  # the training example, set when labelled
    labelled_by = Column(Integer, ForeignKey("workers.id", ondelete="SET NULL"), nullable=True)
    labelled_at = Column(DateTime(timezone=True), nullable=True)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)


class ServiceSetting(Base):
    """A service rule an admin set in Beheer (opening hours, holidays, on-call webhook,
    retention): it wins over the value in .env in every gateway process (bot/service_rules.py)."""

    __tablename__ = "service_settings"

    name = Column(String(32), primary_key=True)
    value = Column(Text, nullable=False)
    updated_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    updated_by = Column(Integer, ForeignKey("workers.id", ondelete="SET NULL"), nullable=True)
