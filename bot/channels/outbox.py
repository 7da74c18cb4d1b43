"""The channel outbox: every platform request is persisted first, then sent in order.

One conversation's requests go out strictly one after another (a reply never overtakes
the message before it); a retryable failure (rate limit, network, 5xx) holds that
conversation's queue and is tried again with back-off; a permanent one (window closed,
user blocked the bot) marks the message and the conversation so a worker sees why.

Several gateway processes may share the table: a process sends a request only after
claiming it with a conditional UPDATE that moves its next attempt a lease into the future,
so exactly one process sends it. Should that process die mid-send, the lease runs out and
another one sends it then (at least once, never twice while the sender lives).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import sessionmaker

from bot.handoff import events
from bot.realtime import Hub
from bot.store.leases import claim
from bot.store.models import ChannelOutbox, Conversation, Message, OutboxStatus, utcnow

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 10
MAX_BACKOFF_S = 600.0
# How long a claimed request stays with the process that claimed it: far longer than one
# platform call may take (PLATFORM_TIMEOUT_S, 10 s by default), short enough that a request
# whose process died is sent by another one within minutes.
LEASE_S = 120.0
# Conversations looked at per round; the rest follow in the next round.
BATCH = 100


@dataclass(frozen=True)
class Outcome:
    """A platform's answer to one request, reduced to what the outbox needs."""

    ok: bool
    platform_id: str | None = None
    retryable: bool = False
    permanent: str | None = None
    retry_after: float | None = None
    code: int | None = None


# (method, body) → Outcome; one per channel (WhatsApp, Telegram).
Sender = Callable[[str, dict[str, Any]], Awaitable[Outcome]]


class ChannelOutboxService:
    """Enqueues platform requests and sends what is due, per conversation in order."""

    def __init__(self, sessions: sessionmaker, hub: Hub) -> None:
        self._sessions = sessions
        self._hub = hub
        self._senders: dict[str, Sender] = {}
        self._wake = asyncio.Event()
        self._lock = asyncio.Lock()

    def register(self, channel: str, sender: Sender) -> None:
        """Send this channel's requests with `sender`."""
        self._senders[channel] = sender

    def handles(self, channel: str) -> bool:
        """True when the channel delivers through the outbox."""
        return channel in self._senders

    @staticmethod
    def enqueue(session: AsyncSession, conversation_id: str, channel: str, method: str,
                bodies: list[dict[str, Any]], message_id: int | None = None) -> None:
        """Add requests in the caller's transaction; they go out in this order."""
        for body in bodies:
            session.add(ChannelOutbox(conversation_id=conversation_id, message_id=message_id,
                                      channel=channel, method=method,
                                      body=json.dumps(body, ensure_ascii=False), attempts=0,
                                      next_attempt_at=utcnow(), status=OutboxStatus.PENDING))

    def wake(self) -> None:
        """Something was enqueued: send it now rather than at the next tick."""
        self._wake.set()

    async def run_forever(self, tick_s: float = 1.0) -> None:
        """Send due requests whenever woken, and at least every tick."""
        while True:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._wake.wait(), tick_s)
            self._wake.clear()
            try:
                await self.send_due()
            except Exception:  # the loop must survive a bad round
                log.exception("channel outbox round failed")

    async def send_due(self) -> int:
        """Send the oldest pending request of every conversation whose turn it is."""
        async with self._lock:
            sent = 0
            while True:
                batch = await self._heads_due()
                if not batch:
                    return sent
                results = await asyncio.gather(*(self._send_one(i) for i in batch))
                sent += sum(results)
                if not any(results):
                    return sent

    async def _heads_due(self) -> list[int]:
        """The oldest pending request of each conversation, where that one is due and this
        process can send it (a process without a channel's credentials leaves it alone)."""
        heads = (select(func.min(ChannelOutbox.id))
                 .where(ChannelOutbox.status == OutboxStatus.PENDING)
                 .group_by(ChannelOutbox.conversation_id))
        async with self._sessions() as session:
            return list((await session.execute(
                select(ChannelOutbox.id)
                .where(ChannelOutbox.id.in_(heads), ChannelOutbox.next_attempt_at <= utcnow(),
                       ChannelOutbox.channel.in_(list(self._senders)))
                .order_by(ChannelOutbox.id).limit(BATCH))).scalars())

    async def _send_one(self, outbox_id: int) -> int:
        if not await claim(self._sessions, ChannelOutbox.next_attempt_at, outbox_id, LEASE_S,
                           ChannelOutbox.status == OutboxStatus.PENDING):
            return 0
        async with self._sessions() as session:
            item = await session.get(ChannelOutbox, outbox_id)
            if item is None:
                return 0
            channel, method, body = item.channel, item.method, json.loads(item.body)
        outcome = await self._senders[channel](method, body)
        return await self._record(outbox_id, outcome)

    async def _record(self, outbox_id: int, outcome: Outcome) -> int:
        alert: dict[str, Any] | None = None
        async with self._sessions() as session, session.begin():
            item = await session.get(ChannelOutbox, outbox_id)
            assert item is not None
            item.attempts += 1
            message = await session.get(Message, item.message_id) if item.message_id else None
            if outcome.ok:
                item.status = OutboxStatus.SENT
                if message is not None and item.method == "send":
                    message.platform_message_id = outcome.platform_id or \
                        message.platform_message_id
                    message.delivery_status = "sent"
                return 1
            item.last_error = (outcome.permanent or f"code {outcome.code}")[:64]
            if outcome.retryable and item.attempts < MAX_ATTEMPTS:
                backoff = min(MAX_BACKOFF_S, 2.0 ** item.attempts)
                item.next_attempt_at = utcnow() + timedelta(
                    seconds=max(backoff, outcome.retry_after or 0.0))
                log.info("%s send failed (code %s), retry %d", item.channel, outcome.code,
                         item.attempts)
                return 0
            item.status = OutboxStatus.FAILED
            reason = outcome.permanent or "gave_up"
            if item.method != "send":
                return 0  # a read receipt or a callback answer: nothing to tell anyone
            if message is not None:
                message.delivery_status = "failed"
                message.delivery_error = reason
            conversation = await session.get(Conversation, item.conversation_id)
            if conversation is not None:
                conversation.delivery_problem = reason
            # Drop the rest of this conversation's queue when the user cannot be reached.
            if outcome.permanent in ("window_closed", "blocked"):
                pending = (await session.execute(select(ChannelOutbox).where(
                    ChannelOutbox.conversation_id == item.conversation_id,
                    ChannelOutbox.status == OutboxStatus.PENDING))).scalars()
                for other in pending:
                    other.status = OutboxStatus.FAILED
                    other.last_error = reason
            alert = {"type": events.DELIVERY_FAILED, "conversation_id": item.conversation_id,
                     "message_id": message.public_id if message is not None else None,
                     "reason": reason}
            log.warning("%s send failed permanently: %s", item.channel, reason)
        if alert is not None:
            await self._hub.publish(events.INBOX_TOPIC, alert)
        return 0
