"""Receiving and answering the young person's messages, the same way for every channel.

Rules (architecture.md): persist before acknowledging, de-duplicate on the channel's
message id, process one conversation's messages in order, never answer twice.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from bot.config import CrisisLines as CrisisSettings
from bot.conversations.delivery import Delivery
from bot.conversations.locks import KeyedLocks
from bot.conversations.text import choose_rasa_text, neutralise_commands
from bot.handoff import events
from bot.nlu_review.recorder import NluReview
from bot.rasa.client import BotReply, RasaClient, RasaUnavailable
from bot.realtime import Hub
from bot.safety.guard import SafetyGuard
from bot.safety.messages import KIND_TO_INTENT, WAITING_CRISIS_FOLLOW_UP, crisis_text
from bot.store import repository
from bot.store.leases import claim, lease_free
from bot.store.models import (
    Conversation,
    ConversationState,
    Direction,
    Message,
    MessageStatus,
    utcnow,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Inbound:
    """A message from a young person as a channel hands it over (already validated)."""

    channel: str
    channel_user_id: str
    external_id: str
    text: str
    payload: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    # Non-text content (image, voice note, location…): kept for a worker, not for the bot.
    media: dict[str, Any] | None = None


@dataclass(frozen=True)
class Received:
    """The stored inbound message; `created` is False for a re-delivery."""

    conversation_id: str
    message_id: int
    created: bool


@dataclass(frozen=True)
class Answer:
    """The outcome of processing one inbound message."""

    conversation_id: str
    replies: list[dict[str, Any]]
    already_answered: bool = False


TEXT_ONLY = ("Ik kan alleen tekst lezen, sorry! Wil je in een paar woorden typen waar het over "
             "gaat? Als je met een hulpverlener praat, ziet die je bericht wel.")
# Trusted intents only the gateway sends to Rasa (never typed by a user: see text.py).
HANDOFF_CLOSED_INTENT = "/handoff_closed"
FEEDBACK_PREFIX = "/give_feedback"
FeedbackRecorder = Callable[[str, str], Awaitable[bool]]
# Raise a conversation that waits for or is with a worker to URGENT: (conversation, kind).
CrisisEscalator = Callable[[str, str], Awaitable[bool]]
# How long the gateway process answering a message holds it against the others (a re-delivery
# that reached another process, the retry loop): well beyond one answer's longest path
# (RASA_TIMEOUT_S, 30 s by default, plus the safety guard's parse); if the process dies
# first, the retry loop answers the message once the lease is over.
PROCESSING_LEASE_S = 120.0
# How often a process that found the message taken looks whether it has been answered.
ANSWER_POLL_S = 0.2


def feedback_rating(payload: str) -> str | None:
    """The rating in a feedback button's payload '/give_feedback{"rating":"goed"}'."""
    if not payload.startswith(FEEDBACK_PREFIX):
        return None
    try:
        entities = json.loads(payload[len(FEEDBACK_PREFIX):] or "{}")
    except json.JSONDecodeError:
        return None
    rating = entities.get("rating") if isinstance(entities, dict) else None
    return rating if isinstance(rating, str) else None


class ConversationService:
    """Stores inbound messages and gets them answered by the bot (or routed to a worker)."""

    def __init__(self, sessions: sessionmaker, rasa: RasaClient, hub: Hub,
                 delivery: Delivery, record_feedback: FeedbackRecorder | None = None,
                 guard: SafetyGuard | None = None, crisis: CrisisSettings | None = None,
                 escalate_crisis: CrisisEscalator | None = None,
                 review: NluReview | None = None) -> None:
        self._sessions = sessions
        self._rasa = rasa
        self._hub = hub
        self._delivery = delivery
        self._record_feedback = record_feedback
        self._guard = guard
        self._crisis = crisis
        self._escalate_crisis = escalate_crisis
        self._review = review
        self._locks = KeyedLocks()

    async def receive(self, inbound: Inbound) -> Received:
        """Persist the message exactly once; safe to call again for a re-delivery."""
        async with self._sessions() as session, session.begin():
            conversation = await repository.get_or_create_conversation(
                session, inbound.channel, inbound.channel_user_id
            )
            message, created = await repository.add_inbound(
                session, conversation, inbound.external_id, inbound.text, inbound.payload,
                media=inbound.media)
            if created and conversation.delivery_problem:
                # They wrote again: the platform's window is open again.
                conversation.delivery_problem = None
            return Received(conversation.id, message.id, created)

    async def offered_buttons(self, channel: str, channel_user_id: str) -> list[dict[str, str]]:
        """The buttons of the bot's last message to this user (to map a button reply back)."""
        async with self._sessions() as session:
            query = select(Conversation.offered_buttons).where(
                Conversation.channel == channel, Conversation.channel_user_id == channel_user_id)
            return list((await session.execute(query)).scalar_one_or_none() or [])

    async def handle(self, inbound: Inbound) -> Answer:
        """Receive and process in one go (the synchronous REST channel)."""
        received = await self.receive(inbound)
        return await self.process(received.conversation_id, received.message_id, inbound.metadata)

    async def process(
        self, conversation_id: str, message_id: int, metadata: dict[str, Any] | None = None
    ) -> Answer:
        """Answer one stored inbound message, in order within its conversation, at most once.

        Raises RasaUnavailable when the bot cannot answer now; the message stays stored
        as failed and is answered by :meth:`retry_unanswered` or a re-delivery.
        """
        async with self._locks.hold(conversation_id):
            answered = await self._take_or_wait(conversation_id, message_id)
            if answered is not None:
                return answered
            async with self._sessions() as session:
                message = await session.get(Message, message_id)
                conversation = await session.get(Conversation, conversation_id)
                if message is None or conversation is None:
                    raise LookupError("message or conversation vanished")
                state = conversation.state
                has_media = message.media is not None
                rasa_text = choose_rasa_text(message.text, message.payload,
                                             conversation.offered_buttons)
                channel = conversation.channel
                text = message.text
            if has_media and state == ConversationState.BOT:
                reply = await self._send_outbound(conversation_id, "bot", TEXT_ONLY,
                                                  reply_to_id=message_id)
                await self._mark(message_id, MessageStatus.ANSWERED)
                return Answer(conversation_id, [reply])
            # Both crisis signals run on every free-text message, in every state.
            kind = None
            free_text = not has_media and rasa_text == neutralise_commands(text)
            if self._guard is not None and free_text:
                verdict = await self._guard.check(text, use_model=True)
                await self._guard.record(verdict, conversation_id, message_id, state)
                kind = verdict.kind
            if state != ConversationState.BOT:
                return await self._to_worker(conversation_id, message_id, state, kind)
            # The intent the bot answers, kept with the message for the admins' figures.
            intent = KIND_TO_INTENT[kind] if kind is not None else None
            if self._review is not None and free_text and kind is None:
                # What the bot half understood goes to the admins' NLU inbox (a crisis is
                # reviewed as a safety detection instead).
                intent = (await self._review.consider(conversation_id, message_id, text)).intent
            metadata = {**(metadata or {}), "channel": channel}
            if kind is not None:
                # The young person gets the crisis flow in this very turn, whichever signal
                # fired: numbers at once and an urgent escalation (action_crisis).
                rasa_text = "/" + KIND_TO_INTENT[kind]
                metadata["original_text"] = text
            rating = feedback_rating(rasa_text)
            if rating is not None and self._record_feedback is not None:
                await self._record_feedback(conversation_id, rating)
            try:
                bot_replies = await self._rasa.send(conversation_id, rasa_text, metadata)
            except RasaUnavailable:
                if kind is not None:
                    # Never leave a young person in danger without the numbers.
                    return await self._crisis_without_bot(conversation_id, message_id, kind, text)
                await self._mark(message_id, MessageStatus.FAILED)
                raise
            stored = await self._store_replies(conversation_id, message_id, bot_replies, intent)
        for reply in stored:
            await self._delivery.deliver(conversation_id, reply)
        return Answer(conversation_id, stored)

    async def _take_or_wait(self, conversation_id: str, message_id: int) -> Answer | None:
        """Take the message for this process (None), or return its answer when it is
        answered — by an earlier call or by another gateway process this one waited for."""
        deadline = asyncio.get_running_loop().time() + PROCESSING_LEASE_S
        while not await claim(self._sessions, Message.processing_until, message_id,
                              PROCESSING_LEASE_S, Message.status != MessageStatus.ANSWERED):
            async with self._sessions() as session:
                message = await session.get(Message, message_id)
                if message is None:
                    raise LookupError("message vanished")
                if message.status == MessageStatus.ANSWERED:
                    replies = await repository.replies_to(session, message)
                    return Answer(conversation_id, [repository.message_to_json(r) for r in replies],
                                  already_answered=True)
            if asyncio.get_running_loop().time() > deadline:
                raise RasaUnavailable("another gateway process is still answering the message")
            await asyncio.sleep(ANSWER_POLL_S)
        return None

    async def _to_worker(self, conversation_id: str, message_id: int, state: str,
                         crisis_kind: str | None) -> Answer:
        """A human has (or will have) this conversation: the bot stays silent, the message
        goes to the inbox. In a crisis the conversation becomes urgent; a young person who
        is still waiting gets the crisis numbers at once, a worker in the chat is alerted."""
        async with self._sessions() as session, session.begin():
            message = await session.get(Message, message_id)
            assert message is not None
            message.status = MessageStatus.ANSWERED
            data = repository.message_to_json(message)
            text = message.text
        await self._hub.publish(events.INBOX_TOPIC, {
            "type": events.MESSAGE, "conversation_id": conversation_id, "message": data})
        replies: list[dict[str, Any]] = []
        if crisis_kind is not None:
            if self._escalate_crisis is not None:
                await self._escalate_crisis(conversation_id, crisis_kind)
            if state == ConversationState.QUEUED and self._crisis is not None:
                intent = KIND_TO_INTENT[crisis_kind]
                for reply in (crisis_text(intent, self._crisis, text), WAITING_CRISIS_FOLLOW_UP):
                    replies.append(await self._send_outbound(conversation_id, "bot", reply,
                                                             reply_to_id=message_id))
        return Answer(conversation_id, replies)

    async def _crisis_without_bot(self, conversation_id: str, message_id: int, kind: str,
                                  text: str) -> Answer:
        """The bot is down during a crisis: the gateway gives the numbers and escalates."""
        if self._escalate_crisis is not None:
            await self._escalate_crisis(conversation_id, kind)
        replies = []
        if self._crisis is not None:
            for reply in (crisis_text(KIND_TO_INTENT[kind], self._crisis, text),
                          WAITING_CRISIS_FOLLOW_UP):
                replies.append(await self._send_outbound(conversation_id, "bot", reply,
                                                         reply_to_id=message_id))
        await self._mark(message_id, MessageStatus.ANSWERED)
        return Answer(conversation_id, replies)

    async def bot_turn(self, conversation_id: str, trusted_intent: str) -> list[dict[str, Any]]:
        """Let the bot speak on the gateway's behalf (e.g. after a worker closed the chat)."""
        async with self._locks.hold(conversation_id):
            bot_replies = await self._rasa.send(conversation_id, trusted_intent,
                                                {"trusted": True})
            stored = await self._store_replies(conversation_id, None, bot_replies)
        for reply in stored:
            await self._delivery.deliver(conversation_id, reply)
        return stored

    async def _store_replies(self, conversation_id: str, message_id: int | None,
                             bot_replies: list[BotReply],
                             intent: str | None = None) -> list[dict[str, Any]]:
        async with self._sessions() as session, session.begin():
            message = await session.get(Message, message_id) if message_id is not None else None
            conversation = await session.get(Conversation, conversation_id)
            assert conversation is not None
            stored = []
            for reply in bot_replies:
                outbound = repository.new_outbound(conversation_id, "bot", reply.text,
                                                   reply.buttons, reply_to=message)
                session.add(outbound)
                stored.append(outbound)
            # Only the buttons of the bot's latest message may be pressed.
            conversation.offered_buttons = next(
                (r.buttons for r in reversed(bot_replies) if r.buttons), None)
            conversation.updated_at = utcnow()
            if message is not None:
                message.status = MessageStatus.ANSWERED
                message.intent = intent
            await session.flush()
            data = [repository.message_to_json(m) for m in stored]
            state = conversation.state
        await self._show_in_inbox(conversation_id, state, data)
        return data

    async def _show_in_inbox(self, conversation_id: str, state: str,
                             messages: list[dict[str, Any]]) -> None:
        """Workers see what the service says in conversations that are theirs (or queued)."""
        if state == ConversationState.BOT:
            return
        for data in messages:
            await self._hub.publish(events.INBOX_TOPIC, {
                "type": events.MESSAGE, "conversation_id": conversation_id, "message": data})

    async def send_system(self, conversation_id: str, text: str) -> dict[str, Any]:
        """Store and deliver a message of the service itself (e.g. 'we hebben je bericht')."""
        return await self._send_outbound(conversation_id, "system", text)

    async def _send_outbound(self, conversation_id: str, sender: str, text: str,
                             reply_to_id: int | None = None) -> dict[str, Any]:
        async with self._sessions() as session, session.begin():
            message = repository.new_outbound(conversation_id, sender, text)
            message.reply_to_id = reply_to_id
            session.add(message)
            await session.flush()
            data = repository.message_to_json(message)
            conversation = await session.get(Conversation, conversation_id)
            state = conversation.state if conversation is not None else ConversationState.BOT
        await self._show_in_inbox(conversation_id, state, [data])
        await self._delivery.deliver(conversation_id, data)
        return data

    async def _mark(self, message_id: int, status: str) -> None:
        async with self._sessions() as session, session.begin():
            message = await session.get(Message, message_id)
            if message is not None:
                message.status = status
                message.processing_until = None  # failed: the retry loop may take it now

    async def history(
        self, channel: str, channel_user_id: str
    ) -> tuple[str | None, list[dict[str, Any]]]:
        """(conversation id, transcript) of this user on this channel; (None, []) if new."""
        async with self._sessions() as session:
            query = select(Conversation).where(Conversation.channel == channel,
                                               Conversation.channel_user_id == channel_user_id)
            conversation = (await session.execute(query)).scalar_one_or_none()
            if conversation is None:
                return None, []
            messages = await repository.transcript(session, conversation.id)
            return conversation.id, [repository.message_to_json(m) for m in messages]

    async def retry_unanswered(self, older_than: timedelta = timedelta(seconds=5)) -> int:
        """Answer inbound messages left unanswered (Rasa was down, or a crash); returns count."""
        cutoff = utcnow() - older_than
        async with self._sessions() as session:
            query = (
                select(Message.conversation_id, Message.id)
                .where(Message.direction == Direction.IN,
                       Message.status.in_([MessageStatus.RECEIVED, MessageStatus.FAILED]),
                       Message.created_at < cutoff,
                       # not while a gateway process is answering it
                       lease_free(Message.processing_until, utcnow()))
                .order_by(Message.id)
                .limit(100)
            )
            pending = list((await session.execute(query)).all())
        answered = 0
        for conversation_id, message_id in pending:
            try:
                await self.process(conversation_id, message_id)
                answered += 1
            except RasaUnavailable:
                log.warning("bot still unavailable; %d message(s) wait", len(pending) - answered)
                break
        return answered
