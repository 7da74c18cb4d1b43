"""Fan-out of live events to the websockets subscribed to a topic (a conversation)."""

from __future__ import annotations

import logging
from collections import defaultdict
from typing import Any

from aiohttp import web

log = logging.getLogger(__name__)


class Hub:
    """In-process publish/subscribe of JSON events to websockets, keyed by topic."""

    def __init__(self) -> None:
        self._subscribers: dict[str, set[web.WebSocketResponse]] = defaultdict(set)

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
        """Send the event to every live subscriber; returns how many got it."""
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
