"""Claiming a row for one process, so that several gateway processes never send the same
request, post the same notification or answer the same message twice.

A process claims a row with a conditional UPDATE whose WHERE says the row is still to do:
the database lets exactly one such UPDATE match, every other process then sees the row as
taken. For a lease, the UPDATE sets the row's lease column a lease into the future, only
where the lease is empty or has run out; the claimer records the outcome, and should it
die first, the lease runs out and another process takes the row.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, update
from sqlalchemy.orm import sessionmaker

from bot.store.models import utcnow


def lease_free(lease: Any, now: datetime) -> Any:
    """SQL condition: nobody holds the lease column `lease` at `now`."""
    return or_(lease.is_(None), lease <= now)


async def won(session: Any, conditional_update: Any) -> bool:
    """Run an UPDATE whose WHERE says the row is still to do; True when this one did it."""
    result = await session.execute(
        conditional_update.execution_options(synchronize_session=False))
    return bool(result.rowcount == 1)


async def claim(sessions: sessionmaker, lease: Any, row_id: int, lease_s: float,
                *still_open: Any) -> bool:
    """Claim row `row_id` of the model that `lease` (a DateTime column) belongs to, when
    its lease is empty or over and the `still_open` conditions hold; False when another
    process holds it, or it is done."""
    model = lease.class_
    now = utcnow()
    async with sessions() as session, session.begin():
        return await won(session, update(model)
                         .where(model.id == row_id, lease_free(lease, now), *still_open)
                         .values({lease.key: now + timedelta(seconds=lease_s)}))
