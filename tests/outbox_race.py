"""Two gateway processes on one database: each outbox request goes out exactly once.

Shared by the SQLite tests (tests/test_outbox_processes.py) and the PostgreSQL ones
(tests/test_postgres.py). Each "process" is its own ChannelOutboxService or Notifier with
its own engine, as separate gateway processes would have.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import aiohttp
from aiohttp import web

from bot.channels.outbox import ChannelOutboxService, Outcome
from bot.handoff.notify import Notifier
from bot.handoff.service import EscalationRequest, HandoffService
from bot.realtime import Hub
from bot.service_rules import LiveSettings
from bot.store import repository
from bot.store.db import create_engine, session_factory
from bot.store.models import Notification, utcnow
from tests.conftest import free_port, make_settings


async def sends_per_request(database_url: str, requests: int = 6,
                            processes: int = 3) -> Counter[str]:
    """Enqueue `requests` messages to one user, let `processes` outboxes race to send
    them; returns how often each message reached the (slow) platform."""
    engines = [create_engine(database_url) for _ in range(processes)]
    try:
        sessions = [session_factory(engine) for engine in engines]
        async with sessions[0]() as session, session.begin():
            conversation = await repository.get_or_create_conversation(
                session, "telegram", "race-user")
            ChannelOutboxService.enqueue(session, conversation.id, "telegram", "send",
                                         [{"text": f"m{i}"} for i in range(requests)])
        sent: Counter[str] = Counter()
        order: list[str] = []

        async def platform(method: str, body: dict[str, Any]) -> Outcome:
            # Slow enough that the other processes look at the queue meanwhile.
            await asyncio.sleep(0.05)
            sent[body["text"]] += 1
            order.append(body["text"])
            return Outcome(ok=True, platform_id=body["text"])

        outboxes = [ChannelOutboxService(factory, Hub()) for factory in sessions]
        for outbox in outboxes:
            outbox.register("telegram", platform)
        for _ in range(requests + 2):
            await asyncio.gather(*(outbox.send_due() for outbox in outboxes))
        assert order == sorted(set(order), key=lambda text: int(text[1:])), order
        return sent
    finally:
        for engine in engines:
            await engine.dispose()


async def posts_per_notification(database_url: str, notifications: int = 4,
                                 processes: int = 3) -> Counter[str]:
    """Enqueue `notifications` worker notifications, let `processes` notifiers race to post
    them to a (slow) receiving tool; returns how often the tool got each one."""
    received: Counter[str] = Counter()

    async def receive(request: web.Request) -> web.Response:
        await asyncio.sleep(0.05)
        received[(await request.json())["n"]] += 1
        return web.Response(status=204)

    app = web.Application()
    app.router.add_post("/hook", receive)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    engines = [create_engine(database_url) for _ in range(processes)]
    try:
        sessions = [session_factory(engine) for engine in engines]
        async with sessions[0]() as session, session.begin():
            for i in range(notifications):
                session.add(Notification(url=f"http://127.0.0.1:{port}/hook",
                                         body=f'{{"n": "n{i}"}}', attempts=0,
                                         next_attempt_at=utcnow()))
        settings = LiveSettings(make_settings(NOTIFY_SECRET="s"))
        notifiers = [Notifier(factory, settings) for factory in sessions]
        async with aiohttp.ClientSession() as http:
            for _ in range(2):
                await asyncio.gather(*(notifier.deliver_due(http) for notifier in notifiers))
        return received
    finally:
        for engine in engines:
            await engine.dispose()
        await runner.cleanup()


async def handoff_checks_taken(database_url: str, processes: int = 3) -> tuple[int, int]:
    """One queued urgent handoff that is overdue for both its waiting notice and its
    re-notification; `processes` handoff services check at once. Returns how many waiting
    notices and how many re-notifications the processes took between them."""
    engines = [create_engine(database_url) for _ in range(processes)]
    try:
        sessions = [session_factory(engine) for engine in engines]
        async with sessions[0]() as session, session.begin():
            conversation_id = (await repository.get_or_create_conversation(
                session, "telegram", "waiting-user")).id
        settings = LiveSettings(make_settings(WAITING_NOTICE_MINUTES="0",
                                              URGENT_RENOTIFY_MINUTES="0",
                                              OPENING_HOURS="ma-zo 00:00-24:00"))
        services = [HandoffService(factory, Hub(), Notifier(factory, settings), settings)
                    for factory in sessions]
        await services[0].escalate(EscalationRequest(
            escalation_id="e-race", conversation_id=conversation_id, reason="crisis",
            priority="urgent", topic=None, summary=""))
        await asyncio.sleep(0.01)  # strictly older than "now" at the checks
        notices = await asyncio.gather(*(service.due_waiting_notices() for service in services))
        renotified = await asyncio.gather(*(service.renotify_unclaimed_urgent()
                                            for service in services))
        return sum(len(taken) for taken in notices), sum(renotified)
    finally:
        for engine in engines:
            await engine.dispose()
