"""Fan-out of live events to the websockets subscribed to a topic (a conversation).

A Hub serves the sockets of its own process. With several gateway processes a relay
(bot/realtime_redis.py) carries each event to the others, which deliver it to theirs.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from typing import Any, Protocol

from aiohttp import web

log = logging.getLogger(__name__)


class Relay(Protocol):
    """Carries a published event to the other gateway processes' hubs."""

    async def publish(self, topic: str, event: dict[str, Any]) -> None:
        """Hand the event on; never raises (the event is already stored and shown here)."""


class Hub:
    """Publish/subscribe of JSON events to websockets, keyed by topic."""

    def __init__(self) -> None:
        self._subscribers: dict[str, set[web.WebSocketResponse]] = defaultdict(set)
        self._relay: Relay | None = None

    def relay_through(self, relay: Relay | None) -> None:
        """Also hand every published event to the other gateway processes (None: stop)."""
        self._relay = relay

    def subscribe(self, topic: str, socket: web.WebSocketResponse) -> None:
        """Deliver the topic's events to this socket until it unsubscribes."""
        self._subscribers[topic].add(socket)

    def unsubscribe(self, topic: str, socket: web.WebSocketResponse) -> None:
        """Stop delivering to this socket."""
        sockets = self._subscribers.get(topic)
        if sockets is not None:
            sockets.discard(socket)
            if not sockets:
                del self._subscribers[topic]

    def subscriber_count(self, topic: str) -> int:
        """How many sockets listen to the topic."""
        return len(self._subscribers.get(topic, ()))

    async def publish(self, topic: str, event: dict[str, Any]) -> int:
        """Send the event to every subscriber, in this process and (relayed) in the others;
        returns how many of this process's sockets got it."""
        delivered = await self.deliver_here(topic, event)
        if self._relay is not None:
            await self._relay.publish(topic, event)
        return delivered

    async def deliver_here(self, topic: str, event: dict[str, Any]) -> int:
        """Send the event to this process's live subscribers; returns how many got it."""
        delivered = 0
        for socket in list(self._subscribers.get(topic, ())):
            if socket.closed:
                self.unsubscribe(topic, socket)
                continue
            try:
                await socket.send_json(event)
                delivered += 1
            except (ConnectionError, RuntimeError):
                log.info("dropping a closed websocket from topic fan-out")
                self.unsubscribe(topic, socket)
        return delivered

    async def close_all(self) -> None:
        """Close every socket (shutdown)."""
        for sockets in list(self._subscribers.values()):
            for socket in list(sockets):
                await socket.close()
        self._subscribers.clear()
