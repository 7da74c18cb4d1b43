"""Live events across gateway processes: a Redis pub/sub relay behind the Hub.

With several gateway processes a young person's widget socket, or a worker's inbox socket,
is connected to one of them, while the event it waits for (a worker's reply, a new
handoff) may happen in another. Each process delivers an event to its own sockets at once
(Hub.publish) and publishes it on one Redis channel; every other process delivers it to
its sockets. A process skips its own events when they come back, so every socket gets an
event once.

Pub/sub keeps nothing: the database stays the record and live events are only the push.
When Redis is unreachable, publishing logs a warning and the listener reconnects with
back-off. The gateway keeps answering and storing meanwhile. Sockets on other processes
miss the events of that time, and see them when their page loads the conversation again.
The events carry message text, so Redis must be private to the gateways (see
docs/scaling.md); nothing here logs an event's content.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

# Every Redis call is bounded, and none is made on a caller's path: publishing only queues,
# so a hung Redis never holds up answering a young person.
REDIS_TIMEOUT_S = 5.0
# How long the listener waits for a message before it looks again (and notices a shutdown).
LISTEN_POLL_S = 1.0
RECONNECT_FIRST_S = 0.5
RECONNECT_MAX_S = 30.0
# Events waiting for Redis beyond this many are dropped (with a warning): during an outage
# the relay must not grow without bound; the database has them all anyway.
OUTGOING_MAX = 1000
Deliver = Callable[[str, dict[str, Any]], Awaitable[int]]
UNREACHABLE = (RedisError, OSError, asyncio.TimeoutError)


class RedisRelay:
    """Publishes this process's live events on a Redis channel and delivers the others'."""

    def __init__(self, url: str, channel: str) -> None:
        self._redis = Redis.from_url(url, socket_connect_timeout=REDIS_TIMEOUT_S,
                                     socket_timeout=REDIS_TIMEOUT_S)
        self._channel = channel
        # Tells this process's own events apart when Redis hands them back.
        self.origin = uuid.uuid4().hex
        self._subscribed = asyncio.Event()
        self._outgoing: asyncio.Queue[str] = asyncio.Queue(maxsize=OUTGOING_MAX)

    @property
    def connected(self) -> bool:
        """Whether the listener is subscribed (events from other processes arrive)."""
        return self._subscribed.is_set()

    async def wait_subscribed(self, timeout_s: float) -> bool:
        """Wait until the listener is subscribed; False when it is not within the timeout."""
        try:
            await asyncio.wait_for(self._subscribed.wait(), timeout_s)
        except asyncio.TimeoutError:
            return False
        return True

    async def publish(self, topic: str, event: dict[str, Any]) -> None:
        """Queue the event for the other processes; returns at once, whatever Redis does."""
        envelope = json.dumps({"origin": self.origin, "topic": topic, "event": event})
        try:
            self._outgoing.put_nowait(envelope)
        except asyncio.QueueFull:
            log.warning("live event not relayed: %d are waiting for Redis already",
                        OUTGOING_MAX)

    async def run(self, deliver: Deliver) -> None:
        """Send this process's events and deliver the others' through `deliver`, until
        cancelled."""
        await asyncio.gather(self._send(), self._listen(deliver))

    async def _send(self) -> None:
        """Publish queued events one by one, so they leave in the order they happened."""
        failing = False  # warn once per outage, not once per event
        while True:
            envelope = await self._outgoing.get()
            try:
                await asyncio.wait_for(self._redis.publish(self._channel, envelope),
                                       REDIS_TIMEOUT_S)
            except UNREACHABLE as error:
                if not failing:
                    log.warning("live events are not relayed to the other gateway processes: "
                                "Redis unreachable (%s)", type(error).__name__)
                failing = True
                continue
            finally:
                self._outgoing.task_done()
            if failing:
                log.info("live events are relayed to the other gateway processes again")
            failing = False

    async def _listen(self, deliver: Deliver) -> None:
        wait_s = RECONNECT_FIRST_S
        reachable = True  # as far as the log has said: warn once per outage
        while True:
            pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
            try:
                await asyncio.wait_for(pubsub.subscribe(self._channel), REDIS_TIMEOUT_S)
                self._subscribed.set()
                if not reachable:
                    log.info("live events from other gateway processes resumed")
                reachable, wait_s = True, RECONNECT_FIRST_S
                while True:
                    message = await pubsub.get_message(timeout=LISTEN_POLL_S)
                    if message is not None:
                        await self._deliver(message.get("data"), deliver)
            except UNREACHABLE as error:
                if reachable:
                    log.warning("no live events from other gateway processes: Redis "
                                "unreachable (%s); reconnecting", type(error).__name__)
                reachable = False
            finally:
                self._subscribed.clear()
                await _quietly(pubsub.reset())
            await asyncio.sleep(wait_s)
            wait_s = min(wait_s * 2, RECONNECT_MAX_S)

    async def _deliver(self, data: Any, deliver: Deliver) -> None:
        try:
            envelope = json.loads(data)
            origin, topic, event = envelope["origin"], envelope["topic"], envelope["event"]
        except (TypeError, ValueError, KeyError):
            log.warning("ignored a malformed live event on the Redis channel")
            return
        if origin == self.origin or not isinstance(topic, str) or not isinstance(event, dict):
            return
        try:
            await deliver(topic, event)
        except Exception:  # one bad socket must not end the relay
            log.exception("delivering a relayed live event failed")

    async def flush(self, timeout_s: float) -> None:
        """Wait until the queued events are sent, for at most `timeout_s` (shutdown)."""
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._outgoing.join(), timeout_s)

    async def close(self) -> None:
        """Close the connections (shutdown; cancel the listener first)."""
        await _quietly(self._redis.close())


async def _quietly(closing: Awaitable[Any]) -> None:
    """Close something whose connection may already be gone."""
    with contextlib.suppress(*UNREACHABLE):
        await asyncio.wait_for(closing, REDIS_TIMEOUT_S)
