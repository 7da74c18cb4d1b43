"""Notes what the bot read in each message, and puts the messages it did not understand well
into the admins' NLU inbox."""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import sessionmaker

from bot.nlu_review.reading import read_intent, unsure_reading
from bot.rasa.client import RasaClient, RasaUnavailable
from bot.store.models import Message, NluReviewItem

log = logging.getLogger(__name__)


class NluReview:
    """Reads the model's parse of a young person's message and keeps it when it is unsure."""

    def __init__(self, sessions: sessionmaker, rasa: RasaClient, review_below: float,
                 out_of_scope: bool = True) -> None:
        self._sessions = sessions
        self._rasa = rasa
        self._review_below = review_below
        self._out_of_scope = out_of_scope

    async def consider(self, conversation_id: str, message_id: int, text: str) -> bool:
        """Note the intent on the message, and queue it for review when the model was unsure
        of it; True when queued.

        Never in the way of the answer: Rasa or the database failing here only means this
        message goes unreviewed. The parse is the safety guard's, remembered by the client."""
        try:
            parse = await self._rasa.parse(text)
        except RasaUnavailable:
            return False
        reading = unsure_reading(parse, self._review_below, self._out_of_scope)
        try:
            async with self._sessions() as session, session.begin():
                message = await session.get(Message, message_id)
                if message is not None:
                    message.intent = read_intent(parse)
                if reading is None:
                    return False
                already = await session.scalar(select(NluReviewItem.id).where(
                    NluReviewItem.message_id == message_id))
                if already is not None:
                    return False  # a retried message: queued the first time
                session.add(NluReviewItem(
                    conversation_id=conversation_id, message_id=message_id,
                    reason=reading.reason, predicted_intent=reading.predicted_intent,
                    confidence=round(reading.confidence, 4)))
        except SQLAlchemyError as error:
            log.warning("could not note a message's intent (%s)", type(error).__name__)
            return False
        return True
