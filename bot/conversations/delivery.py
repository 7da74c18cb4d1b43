"""Delivering outbound messages (bot, worker, system) to the young person's channel.

The web widget receives them live through the hub; platform channels (WhatsApp,
Telegram) get them through the persisted channel outbox, which retries in order. The REST
channel is synchronous and cannot be pushed to: its clients read later messages from the
conversation's transcript.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from bot.channels.outbox import ChannelOutboxService
from bot.realtime import Hub
from bot.store.models import Conversation, Message

# (platform user id, text, buttons) → platform request bodies, in sending order.
BodyBuilder = Callable[[str, str, Sequence[dict[str, str]]], list[dict[str, Any]]]


def conversation_topic(conversation_id: str) -> str:
    """The hub topic on which a conversation's outbound messages are published."""
    return f"conversation:{conversation_id}"


class Delivery:
    """One path out for every outbound message, whoever wrote it."""

    def __init__(self, hub: Hub, sessions: sessionmaker | None = None,
                 outbox: ChannelOutboxService | None = None) -> None:
        self._hub = hub
        self._sessions = sessions
        self._outbox = outbox
        self._builders: dict[str, BodyBuilder] = {}

    def register(self, channel: str, builder: BodyBuilder) -> None:
        """Deliver this channel's messages as the bodies `builder` makes, via the outbox."""
        self._builders[channel] = builder

    async def deliver(self, conversation_id: str, message: dict[str, Any]) -> int:
        """Send one stored outbound message; returns the number of live receivers."""
        if self._builders and self._sessions is not None and self._outbox is not None:
            await self._enqueue(conversation_id, message)
        return await self._hub.publish(conversation_topic(conversation_id),
                                       {"type": "message", "message": message})

    async def _enqueue(self, conversation_id: str, message: dict[str, Any]) -> None:
        assert self._sessions is not None and self._outbox is not None
        async with self._sessions() as session, session.begin():
            conversation = await session.get(Conversation, conversation_id)
            if conversation is None or conversation.channel not in self._builders:
                return
            stored = (await session.execute(select(Message).where(
                Message.public_id == message["id"]))).scalar_one_or_none()
            bodies = self._builders[conversation.channel](
                conversation.channel_user_id, message["text"], message.get("buttons") or [])
            self._outbox.enqueue(session, conversation_id, conversation.channel, "send", bodies,
                                 message_id=stored.id if stored is not None else None)
            if stored is not None:
                stored.delivery_status = "queued"
        self._outbox.wake()
