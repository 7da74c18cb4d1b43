"""The action server's escalation client against the real gateway app."""

from __future__ import annotations

import asyncio

from aiohttp import web

from actions.gateway_client import Escalation, GatewayClient
from bot.app import init_app
from bot.store import repository
from bot.store.db import create_engine, session_factory
from tests.conftest import free_port, make_settings

SECRET = "s3cret"


async def new_conversation(db_url: str) -> str:
    engine = create_engine(db_url)
    try:
        async with session_factory(engine)() as session, session.begin():
            conversation = await repository.get_or_create_conversation(session, "rest", "j-1")
            return str(conversation.id)
    finally:
        await engine.dispose()


def escalation(conversation_id: str) -> Escalation:
    return Escalation(escalation_id="e-1", conversation_id=conversation_id,
                      reason="request_human", priority="normal", topic=None, summary="")


async def test_the_client_retries_until_a_briefly_absent_gateway_is_back(db_url) -> None:
    conversation_id = await new_conversation(db_url)
    port = free_port()
    settings = make_settings(DATABASE_URL=db_url, HANDOFF_SECRET=SECRET, GATEWAY_PORT=str(port),
                             OPENING_HOURS="ma-zo 00:00-24:00")
    runner = web.AppRunner(init_app(settings))

    async def start_late() -> None:
        await asyncio.sleep(0.8)  # the first two attempts find nobody home
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()

    starter = asyncio.create_task(start_late())
    client = GatewayClient(f"http://127.0.0.1:{port}", SECRET, timeout_s=2, attempts=5,
                           first_backoff_s=0.4)
    try:
        result = await client.escalate(escalation(conversation_id))
        again = await client.escalate(escalation(conversation_id))  # a retry: same handoff
    finally:
        await starter
        await runner.cleanup()
    assert result.accepted and result.queue_position == 1
    assert again.accepted and again.queue_position == 1


async def test_a_wrong_secret_is_refused_without_retrying(db_url, aiohttp_server) -> None:
    conversation_id = await new_conversation(db_url)
    server = await aiohttp_server(init_app(make_settings(DATABASE_URL=db_url,
                                                         HANDOFF_SECRET=SECRET)))
    client = GatewayClient(str(server.make_url("")), "wrong", attempts=3, first_backoff_s=5)
    result = await asyncio.wait_for(client.escalate(escalation(conversation_id)), 3)
    assert not result.accepted
