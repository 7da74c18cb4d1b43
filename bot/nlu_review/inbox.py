"""The NLU inbox in the database: list, label, ignore, and the labelled examples."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.handoff.service import as_utc
from bot.nlu_review.examples import clean_example
from bot.store.models import AuditEntry, Message, NluReviewItem, ReviewStatus, utcnow

STATUSES = (ReviewStatus.OPEN, ReviewStatus.LABELLED, ReviewStatus.IGNORED)
PAGE = 200


class NotReviewable(Exception):
    """The item cannot take this step (e.g. ignoring what is already a training example)."""


@dataclass(frozen=True)
class ReviewEntry:
    """One item as the admin sees it: the young person's words or, once labelled, the
    example they became."""

    id: int
    text: str
    reason: str
    predicted_intent: str | None
    confidence: float
    status: str
    intent: str | None
    created_at: datetime | None

    def to_json(self) -> dict[str, object]:
        """The API's form."""
        return {"id": self.id, "text": self.text, "reason": self.reason,
                "predicted_intent": self.predicted_intent, "confidence": self.confidence,
                "status": self.status, "intent": self.intent,
                "created_at": self.created_at.isoformat() if self.created_at else None}


def _entry(item: NluReviewItem, message_text: str | None) -> ReviewEntry:
    text = item.example_text if item.status == ReviewStatus.LABELLED else message_text
    return ReviewEntry(int(item.id), text or "", str(item.reason), item.predicted_intent,
                       float(item.confidence), str(item.status), item.intent,
                       as_utc(item.created_at))


async def entries(session: AsyncSession, status: str) -> list[ReviewEntry]:
    """The newest items of one status, newest first."""
    rows = (await session.execute(
        select(NluReviewItem, Message.text)
        .outerjoin(Message, Message.id == NluReviewItem.message_id)
        .where(NluReviewItem.status == status)
        .order_by(NluReviewItem.id.desc()).limit(PAGE))).all()
    return [_entry(item, text) for item, text in rows]


async def counts(session: AsyncSession) -> dict[str, int]:
    """How many items there are of each status."""
    rows = (await session.execute(select(NluReviewItem.status, func.count())
                                  .group_by(NluReviewItem.status))).all()
    found = {str(status): int(n) for status, n in rows}
    return {status: found.get(status, 0) for status in STATUSES}


async def label(session: AsyncSession, item_id: int, intent: str, text: str | None,
                worker_id: int) -> ReviewEntry | None:
    """Make the item a training example of `intent`; None when there is no such item.

    `text` is the admin's edit of the message (names taken out); without it the message's
    own text. Raises ExampleRefused when the example cannot go in. The example is cut loose
    from the conversation: retention and erasure leave it, as it no longer says who wrote."""
    item = await session.get(NluReviewItem, item_id)
    if item is None:
        return None
    if text is None:
        message = await session.get(Message, item.message_id) if item.message_id else None
        text = item.example_text if message is None else message.text
    example = clean_example(text or "")
    session.add(AuditEntry(worker_id=worker_id, action="label_nlu_example",
                           conversation_id=item.conversation_id))
    item.status = ReviewStatus.LABELLED
    item.intent = intent
    item.example_text = example
    item.labelled_by = worker_id
    item.labelled_at = utcnow()
    item.conversation_id = None
    item.message_id = None
    return _entry(item, None)


async def ignore(session: AsyncSession, item_id: int, worker_id: int) -> ReviewEntry | None:
    """Leave the item out of training; None when there is no such item. Raises
    NotReviewable for a training example (it no longer points at a message)."""
    found = (await session.execute(
        select(NluReviewItem, Message.text)
        .outerjoin(Message, Message.id == NluReviewItem.message_id)
        .where(NluReviewItem.id == item_id))).first()
    if found is None:
        return None
    item, text = found
    if item.status == ReviewStatus.LABELLED:
        raise NotReviewable("this message is already a training example")
    item.status = ReviewStatus.IGNORED
    item.labelled_by = worker_id
    item.labelled_at = utcnow()
    session.add(AuditEntry(worker_id=worker_id, action="ignore_nlu_message",
                           conversation_id=item.conversation_id))
    return _entry(item, text)


async def labelled_examples(session: AsyncSession) -> list[tuple[str, str]]:
    """(intent, example) of every labelled item, in the order they were labelled."""
    rows = (await session.execute(
        select(NluReviewItem.intent, NluReviewItem.example_text)
        .where(NluReviewItem.status == ReviewStatus.LABELLED)
        .order_by(NluReviewItem.labelled_at, NluReviewItem.id))).all()
    return [(str(intent), str(text)) for intent, text in rows]
