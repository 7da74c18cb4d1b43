"""Helpers for tests that talk to the gateway and look into its database."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

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
