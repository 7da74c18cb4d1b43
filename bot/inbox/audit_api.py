"""The audit log for admins (/api/v1/admin/audit): who read or acted on which conversation or
account, and when — to answer "who has seen my conversation?" and to check the team's use
of the inbox. It holds ids, names and actions, never a message's text."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from sqlalchemy import select
from sqlalchemy.orm import aliased, sessionmaker

from bot.channels.errors import json_error
from bot.handoff.service import as_utc
from bot.inbox.accounts import Accounts
from bot.inbox.auth import authenticate, require_admin
from bot.store.models import AuditEntry, Worker

PAGE = 100
MAX_FILTER_CHARS = 64


async def record(sessions: sessionmaker, admin: Worker, action: str,
                 target_worker_id: int) -> None:
    """Note an admin's action on an account (its own transaction, after the action)."""
    async with sessions() as session, session.begin():
        session.add(AuditEntry(worker_id=admin.id, action=action,
                               target_worker_id=target_worker_id))


class AuditApi:
    """Handler of GET /api/v1/admin/audit."""

    def __init__(self, accounts: Accounts, sessions: sessionmaker) -> None:
        self._accounts = accounts
        self._sessions = sessions

    async def entries(self, request: web.Request) -> web.Response:
        """Newest first, PAGE at a time (?before=<id> for the next page); ?conversation=<id>
        and ?worker=<name> narrow it to one conversation or one account (as actor or target)."""
        worker, _ = await authenticate(request, self._accounts)
        require_admin(worker)
        conversation = request.query.get("conversation", "").strip()
        name = request.query.get("worker", "").strip()
        before = request.query.get("before", "")
        if len(conversation) > MAX_FILTER_CHARS or len(name) > MAX_FILTER_CHARS:
            return json_error(400, f"filters are at most {MAX_FILTER_CHARS} characters")
        if before and not before.isdigit():
            return json_error(400, "'before' must be an entry id from the previous page")
        actor, target = aliased(Worker), aliased(Worker)
        query = (select(AuditEntry, actor.name, target.name)
                 .outerjoin(actor, actor.id == AuditEntry.worker_id)
                 .outerjoin(target, target.id == AuditEntry.target_worker_id)
                 .order_by(AuditEntry.id.desc()).limit(PAGE + 1))
        if conversation:
            query = query.where(AuditEntry.conversation_id == conversation)
        if name:
            query = query.where((actor.name == name) | (target.name == name))
        if before:
            query = query.where(AuditEntry.id < int(before))
        async with self._sessions() as session:
            rows = (await session.execute(query)).all()
        return web.json_response({
            "entries": [_entry_json(entry, by, about) for entry, by, about in rows[:PAGE]],
            "more": len(rows) > PAGE,
        })


def _entry_json(entry: AuditEntry, by: str | None, about: str | None) -> dict[str, Any]:
    at = as_utc(entry.created_at)
    return {"id": entry.id, "at": at.isoformat() if at else None, "action": entry.action,
            # None: the command line (make erase), or an account since removed.
            "by": by, "conversation_id": entry.conversation_id, "account": about}
