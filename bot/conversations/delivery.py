"""Delivering outbound messages (bot, worker, system) to the young person's channel.

The web widget receives them live through the hub; channels that need an HTTP send
(WhatsApp, Telegram) plug in here. The REST channel is synchronous and cannot be pushed
to: its clients read worker messages from the conversation's transcript.
"""

from __future__ import annotations

from typing import Any

from bot.realtime import Hub


def conversation_topic(conversation_id: str) -> str:
    """The hub topic on which a conversation's outbound messages are published."""
    return f"conversation:{conversation_id}"


class Delivery:
    """One path out for every outbound message, whoever wrote it."""

    def __init__(self, hub: Hub) -> None:
        self._hub = hub

    async def deliver(self, conversation_id: str, message: dict[str, Any]) -> int:
        """Send one stored outbound message; returns the number of live receivers."""
        return await self._hub.publish(conversation_topic(conversation_id),
                                       {"type": "message", "message": message})
