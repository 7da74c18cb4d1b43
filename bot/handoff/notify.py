"""Outbound notifications to workers' tools: persisted outbox, signed, retried with back-off.

The payload tells a worker only what they need to go and look (priority, topic, where);
never what the young person wrote. With several gateway processes each notification is
claimed (a conditional UPDATE that moves its next attempt a lease ahead) before it is
posted, so only one process posts it.
"""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import timedelta
from typing import Any

import aiohttp
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import sessionmaker

from bot.config import Settings
from bot.hours import is_open, local_now
from bot.service_rules import LiveSettings
from bot.signing import sign
from bot.store.leases import claim
from bot.store.models import Conversation, Handoff, Notification, Priority, utcnow

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Broekzak-Signature"
MAX_ATTEMPTS = 12
MAX_BACKOFF_S = 3600
BATCH = 50
# A claimed notification stays with its process this long: far beyond one post's 10 s
# timeout; if the process dies mid-post, another one posts it when the lease runs out.
LEASE_S = 120


class Notifier:
    """Writes notifications into the outbox (inside the caller's transaction) and sends them."""

    def __init__(self, sessions: sessionmaker, settings: LiveSettings) -> None:
        self._sessions = sessions
        self._live = settings

    @property
    def _settings(self) -> Settings:
        # Read at each use: an admin may change the on-call webhook and the hours in Beheer.
        return self._live.current

    def targets(self, priority: str) -> list[str]:
        """Where a notification about a handoff of this priority goes."""
        urls = list(self._settings.notify_webhook_urls)
        if priority == Priority.URGENT and self._settings.oncall_webhook_url:
            urls.append(self._settings.oncall_webhook_url)
        return urls

    def enqueue_new_handoff(self, session: AsyncSession, handoff: Handoff,
                            conversation: Conversation, repeat: bool = False,
                            urgent_now: bool = False) -> None:
        """Queue the notification of a handoff in the same transaction.

        repeat: still unclaimed after a while; urgent_now: it just became urgent (crisis).
        """
        settings = self._settings
        event = "handoff.urgent" if urgent_now else (
            "handoff.unclaimed" if repeat else "handoff.new")
        body = json.dumps({
            "event": event,
            "handoff_id": handoff.id,
            "conversation_id": conversation.id,
            "pseudonym": conversation.pseudonym,
            "channel": conversation.channel,
            "priority": handoff.priority,
            "reason": handoff.reason,
            "topic": handoff.topic,
            "in_opening_hours": is_open(settings.opening_hours, local_now(settings.timezone)),
            "inbox_url": f"{settings.public_url}/inbox#/conversations/{conversation.id}",
            "created_at": handoff.created_at.isoformat() if handoff.created_at else None,
        }, ensure_ascii=True, sort_keys=True)
        for url in self.targets(handoff.priority):
            session.add(Notification(url=url, body=body, attempts=0, next_attempt_at=utcnow()))
        handoff.last_notified_at = utcnow()

    async def deliver_due(self, http: aiohttp.ClientSession) -> int:
        """Send every notification that is due; returns how many were delivered."""
        now = utcnow()
        async with self._sessions() as session:
            due = list((await session.execute(
                select(Notification.id).where(Notification.delivered_at.is_(None),
                                              Notification.attempts < MAX_ATTEMPTS,
                                              Notification.next_attempt_at <= now)
                .order_by(Notification.id).limit(BATCH))).scalars())
        delivered = 0
        for notification_id in due:
            delivered += await self._deliver_one(http, notification_id)
        return delivered

    async def _deliver_one(self, http: aiohttp.ClientSession, notification_id: int) -> int:
        if not await claim(self._sessions, Notification.next_attempt_at, notification_id,
                           LEASE_S, Notification.delivered_at.is_(None)):
            return 0
        async with self._sessions() as session:
            notification = await session.get(Notification, notification_id)
            if notification is None:
                return 0
            url, body = notification.url, notification.body.encode()
        headers = {"Content-Type": "application/json",
                   SIGNATURE_HEADER: sign(self._settings.notify_secret, body)}
        error = await _post(http, url, body, headers)
        async with self._sessions() as session, session.begin():
            notification = await session.get(Notification, notification_id)
            if notification is None:
                return 0
            notification.attempts += 1
            if error is None:
                notification.delivered_at = utcnow()
                return 1
            notification.last_error = error[:255]
            backoff = min(MAX_BACKOFF_S, 2 ** notification.attempts)
            notification.next_attempt_at = utcnow() + timedelta(seconds=backoff)
            log.warning("notification %s failed (%s); attempt %d, next in %ds",
                        notification.id, error, notification.attempts, backoff)
            return 0


async def _post(http: aiohttp.ClientSession, url: str, body: bytes,
                headers: dict[str, Any]) -> str | None:
    try:
        async with http.post(url, data=body, headers=headers,
                             timeout=aiohttp.ClientTimeout(total=10)) as response:
            if 200 <= response.status < 300:
                return None
            return f"HTTP {response.status}"
    except (aiohttp.ClientError, asyncio.TimeoutError) as error:
        return type(error).__name__
