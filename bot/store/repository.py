"""Queries and writes of conversations and messages; every function takes the session."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Sequence
from datetime import timezone
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store.models import Conversation, ConversationState, Direction, Message, MessageStatus

_ADJECTIVES = ("Blauwe", "Groene", "Rode", "Gele", "Paarse", "Oranje", "Zilveren", "Gouden",
               "Witte", "Roze", "Stille", "Vrolijke", "Snelle", "Dappere", "Slimme", "Zachte")
_ANIMALS = ("Vos", "Uil", "Das", "Egel", "Otter", "Valk", "Zwaan", "Haas", "Kat", "Mees",
            "Reiger", "Bever", "Panda", "Tijger", "Wolf", "Koala")


def new_pseudonym() -> str:
    """A friendly, random pseudonym shown to workers instead of a phone number or id."""
    return (f"{secrets.choice(_ADJECTIVES)} {secrets.choice(_ANIMALS)} "
            f"{secrets.randbelow(90) + 10}")


async def get_or_create_conversation(
    session: AsyncSession, channel: str, channel_user_id: str
) -> Conversation:
    """The conversation of this user on this channel, created on first contact."""
    query = select(Conversation).where(
        Conversation.channel == channel, Conversation.channel_user_id == channel_user_id
    )
    found = (await session.execute(query)).scalar_one_or_none()
    if found is not None:
        return found
    conversation = Conversation(
        id=str(uuid.uuid4()),
        channel=channel,
        channel_user_id=channel_user_id,
        pseudonym=new_pseudonym(),
        state=ConversationState.BOT,
    )
    try:
        async with session.begin_nested():
            session.add(conversation)
    except IntegrityError:
        # Another request created it between our select and insert.
        return (await session.execute(query)).scalar_one()
    return conversation


async def get_conversation(session: AsyncSession, conversation_id: str) -> Conversation | None:
    """A conversation by id, or None."""
    return await session.get(Conversation, conversation_id)


async def find_message(
    session: AsyncSession, conversation_id: str, direction: str, external_id: str
) -> Message | None:
    """The message with this channel id in the conversation, if it was stored before."""
    query = select(Message).where(
        Message.conversation_id == conversation_id,
        Message.direction == direction,
        Message.external_id == external_id,
    )
    return (await session.execute(query)).scalar_one_or_none()


async def add_inbound(
    session: AsyncSession,
    conversation: Conversation,
    external_id: str,
    text: str,
    payload: str | None,
    media: dict[str, Any] | None = None,
) -> tuple[Message, bool]:
    """Store an inbound user message once; returns (message, created)."""
    existing = await find_message(session, conversation.id, Direction.IN, external_id)
    if existing is not None:
        return existing, False
    message = Message(
        public_id=str(uuid.uuid4()),
        conversation_id=conversation.id,
        direction=Direction.IN,
        sender="user",
        external_id=external_id,
        text=text,
        payload=payload,
        media=media,
        status=MessageStatus.RECEIVED,
    )
    try:
        async with session.begin_nested():
            session.add(message)
    except IntegrityError:
        again = await find_message(session, conversation.id, Direction.IN, external_id)
        if again is None:
            raise
        return again, False
    return message, True


def new_outbound(
    conversation_id: str,
    sender: str,
    text: str,
    buttons: Sequence[dict[str, str]] | None = None,
    reply_to: Message | None = None,
) -> Message:
    """An outbound message object (bot, worker or system) ready to add to a session."""
    return Message(
        public_id=str(uuid.uuid4()),
        conversation_id=conversation_id,
        direction=Direction.OUT,
        sender=sender,
        text=text,
        buttons=list(buttons) if buttons else None,
        reply_to_id=reply_to.id if reply_to is not None else None,
        status=MessageStatus.SENT,
    )


async def replies_to(session: AsyncSession, message: Message) -> list[Message]:
    """The outbound messages that answered this inbound message, in order."""
    query = select(Message).where(Message.reply_to_id == message.id).order_by(Message.id)
    return list((await session.execute(query)).scalars())


async def transcript(
    session: AsyncSession, conversation_id: str, limit: int = 500
) -> list[Message]:
    """The last `limit` messages of a conversation, oldest first."""
    query = (
        select(Message)
        .where(Message.conversation_id == conversation_id)
        .order_by(Message.id.desc())
        .limit(limit)
    )
    return list(reversed(list((await session.execute(query)).scalars())))


def message_to_json(message: Message) -> dict[str, Any]:
    """The public JSON shape of a message (widget protocol, APIs)."""
    created = message.created_at
    if created is not None and created.tzinfo is None:
        # SQLite drops the offset; the store only ever writes UTC.
        created = created.replace(tzinfo=timezone.utc)
    data: dict[str, Any] = {
        "id": message.public_id,
        "sender": message.sender,
        "text": message.text,
        "buttons": message.buttons or [],
        "created_at": created.isoformat() if created else None,
    }
    if message.direction == Direction.IN:
        data["client_id"] = message.external_id
    if message.media:
        data["media"] = message.media
    if message.delivery_status:
        data["delivery_status"] = message.delivery_status
        data["delivery_error"] = message.delivery_error
    return data
