"""Reads what the bot understood in each message, and puts the messages it did not understand
well into the admins' NLU inbox."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import sessionmaker

from bot.nlu_review.reading import read_intent, unsure_reading
from bot.rasa.client import RasaClient, RasaUnavailable
from bot.store.models import NluReviewItem

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Considered:
    """What the bot read in a message (stored with its answer), and whether it was queued."""

    intent: str | None
    queued: bool


class NluReview:
    """Reads the model's parse of a young person's message and keeps it when it is unsure."""

    def __init__(self, sessions: sessionmaker, rasa: RasaClient, review_below: float,
                 out_of_scope: bool = True) -> None:
        self._sessions = sessions
        self._rasa = rasa
        self._review_below = review_below
        self._out_of_scope = out_of_scope

    async def consider(self, conversation_id: str, message_id: int, text: str) -> Considered:
        """Read the message's intent, and queue it for review when the model was unsure.

        Never in the way of the answer: Rasa or the database failing here only means this
        message goes unreviewed. The parse is the safety guard's, remembered by the client;
        the database is written only for a message that needs review."""
        try:
            parse = await self._rasa.parse(text)
        except RasaUnavailable:
            return Considered(None, False)
        intent = read_intent(parse)
        reading = unsure_reading(parse, self._review_below, self._out_of_scope)
        if reading is None:
            return Considered(intent, False)
        try:
            async with self._sessions() as session, session.begin():
                already = await session.scalar(select(NluReviewItem.id).where(
                    NluReviewItem.message_id == message_id))
                if already is not None:
                    return Considered(intent, False)  # a retried message: queued before
                session.add(NluReviewItem(
                    conversation_id=conversation_id, message_id=message_id,
                    reason=reading.reason, predicted_intent=reading.predicted_intent,
                    confidence=round(reading.confidence, 4)))
        except SQLAlchemyError as error:
            log.warning("could not queue a message for NLU review (%s)", type(error).__name__)
            return Considered(intent, False)
        return Considered(intent, True)
