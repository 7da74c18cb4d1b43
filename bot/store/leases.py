"""Claiming a row for one process, so that several gateway processes never send the same
request, post the same notification or answer the same message twice.

A process claims a row with a conditional UPDATE that sets the row's lease column a lease
into the future, only where the lease is empty or has run out: the database lets exactly
one such UPDATE match, every other process then sees the row as taken. The claimer records
the outcome; should it die first, the lease runs out and another process takes the row.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import or_, update
from sqlalchemy.orm import sessionmaker

from bot.store.models import utcnow


async def claim(sessions: sessionmaker, lease: Any, row_id: int, lease_s: float,
                *still_open: Any) -> bool:
    """Claim row `row_id` of the model that `lease` (a DateTime column) belongs to, when
    its lease is empty or over and the `still_open` conditions hold; False when another
    process holds it, or it is done."""
    model = lease.class_
    now = utcnow()
    async with sessions() as session, session.begin():
        result = await session.execute(
            update(model)
            .where(model.id == row_id, or_(lease.is_(None), lease <= now), *still_open)
            .values({lease.key: now + timedelta(seconds=lease_s)})
            .execution_options(synchronize_session=False))
        return bool(result.rowcount == 1)
