"""Helpers for tests that talk to the gateway and look into its database."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import func, select

from bot.app import ACCOUNTS
from bot.signing import sign
from bot.store.db import create_engine, session_factory
from bot.store.models import Conversation, Message


async def count_rows(database_url: str) -> tuple[int, int]:
    """(conversations, messages) currently stored."""
    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session:
            conversations = (await session.execute(
                select(func.count()).select_from(Conversation))).scalar_one()
            messages = (await session.execute(
                select(func.count()).select_from(Message))).scalar_one()
            return int(conversations), int(messages)
    finally:
        await engine.dispose()


async def stored_messages(database_url: str) -> list[Message]:
    """Every stored message, oldest first."""
    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session:
            return list((await session.execute(select(Message).order_by(Message.id))).scalars())
    finally:
        await engine.dispose()


REST_WEBHOOK = "/webhooks/rest/webhook"


async def say_over_rest(client: Any, sender: str, text: str) -> str:
    """Send one message over the REST channel; the bot's replies joined by newlines."""
    response = await client.post(REST_WEBHOOK, json={"sender": sender, "message": text})
    assert response.status == 200, await response.text()
    return "\n".join(r["text"] for r in await response.json())


# The handoff webhook's secret in tests that play the action server's escalation.
SECRET = "handoff-secret"


async def escalate(client, conversation_id: str, escalation_id: str = "esc-1",  # type: ignore[no-untyped-def]
                   priority: str = "normal", secret: str = SECRET):
    """POST the action server's signed escalation of a conversation to the gateway."""
    body = json.dumps({"escalation_id": escalation_id, "conversation_id": conversation_id,
                       "reason": "request_human", "priority": priority, "topic": "mood",
                       "summary": "Jongere: ik wil iemand spreken"}).encode()
    return await client.post("/webhooks/handoff", data=body, headers={
        "Content-Type": "application/json", "X-Broekzak-Signature": sign(secret, body)})


async def worker(client, name: str = "sam", role: str = "worker") -> dict[str, str]:  # type: ignore[no-untyped-def]
    """A new inbox account; its bearer-token header."""
    token = (await client.app[ACCOUNTS].add(name, role, "wachtwoord-123")).api_token
    return {"Authorization": f"Bearer {token}"}
