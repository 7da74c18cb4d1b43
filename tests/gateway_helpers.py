"""Helpers for tests that look into the gateway's database."""

from __future__ import annotations

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
