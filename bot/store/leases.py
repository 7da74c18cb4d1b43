"""Claiming an outbox row for one process, so that several gateway processes never send
the same request twice.

A process claims a due row with a conditional UPDATE that moves the row's next attempt a
lease into the future: the database lets exactly one UPDATE match, every other process then
sees the row as not yet due. The claimer records the outcome (sent, or the next attempt
after back-off); should it die first, the lease runs out and another process tries again.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import sessionmaker

from bot.store.models import utcnow


async def claim_due(sessions: sessionmaker, model: Any, row_id: int, lease_s: float,
                    *still_open: Any) -> bool:
    """Claim the row of `model` (which has `id` and `next_attempt_at`) when it is due and
    the `still_open` conditions hold; False when another process was first."""
    now = utcnow()
    async with sessions() as session, session.begin():
        result = await session.execute(
            update(model)
            .where(model.id == row_id, model.next_attempt_at <= now, *still_open)
            .values(next_attempt_at=now + timedelta(seconds=lease_s))
            .execution_options(synchronize_session=False))
        return bool(result.rowcount == 1)
