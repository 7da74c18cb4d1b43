"""Messages in the admins' NLU inbox, stored as the recorder stores them, for the API,
privacy and browser tests."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import sessionmaker

from bot.nlu_review.reading import NOT_UNDERSTOOD, UNSURE
from bot.store import repository
from bot.store.models import MessageStatus, NluReviewItem


async def seed_review_items(sessions: sessionmaker, user: str,
                            texts: list[str]) -> tuple[str, list[int]]:
    """(conversation id, item ids): one conversation of `user` on the widget with each text
    as a message in the NLU inbox — the first not understood, the others unsure."""
    async with sessions() as session, session.begin():
        conversation = await repository.get_or_create_conversation(session, "webchat", user)
        items = []
        for n, text in enumerate(texts):
            message, _ = await repository.add_inbound(session, conversation, str(uuid.uuid4()),
                                                      text, None)
            # Answered, as the bot does (with a request to rephrase): the gateway's retry
            # loop must leave it be.
            message.status = MessageStatus.ANSWERED
            await session.flush()
            item = NluReviewItem(conversation_id=conversation.id, message_id=message.id,
                                 reason=NOT_UNDERSTOOD if n == 0 else UNSURE,
                                 predicted_intent="topic_home", confidence=0.21 + n / 10)
            session.add(item)
            items.append(item)
        await session.flush()
        return str(conversation.id), [int(i.id) for i in items]
