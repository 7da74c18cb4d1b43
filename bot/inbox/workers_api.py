"""Admin API of inbox accounts: who works here, add someone, deactivate someone who left.
Every change to an account is in the audit log, naming the account."""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web
from sqlalchemy.orm import sessionmaker

from bot.channels.errors import int_id, json_error, read_json_object
from bot.conversations.service import ConversationService
from bot.handoff.service import HandoffService, as_utc
from bot.inbox.accounts import AccountError, AccountExists, Accounts
from bot.inbox.api import TRANSFERRED_NOTICE
from bot.inbox.audit_api import record
from bot.inbox.auth import authenticate, require_admin
from bot.store.models import Role, Worker

log = logging.getLogger(__name__)


class WorkersApi:
    """Handlers of /api/v1/admin/workers."""

    def __init__(self, accounts: Accounts, handoffs: HandoffService,
                 conversations: ConversationService, sessions: sessionmaker) -> None:
        self._accounts = accounts
        self._sessions = sessions
        self._handoffs = handoffs
        self._conversations = conversations

    async def list(self, request: web.Request) -> web.Response:
        """Every account: name, role, team, online, active."""
        worker, _ = await authenticate(request, self._accounts)
        require_admin(worker)
        return web.json_response({"workers": [_worker_json(w)
                                              for w in await self._accounts.all()]})

    async def add(self, request: web.Request) -> web.Response:
        """Make an account: {"name", "role", "team"?, "password"}; its API token, once."""
        admin, _ = await authenticate(request, self._accounts)
        require_admin(admin)
        body = await read_json_object(request)
        name, role, team, password = (body.get("name"), body.get("role", Role.WORKER),
                                      body.get("team"), body.get("password"))
        if not isinstance(name, str) or not isinstance(role, str):
            return json_error(400, "fields 'name' and 'role' must be strings")
        if not isinstance(password, str):
            return json_error(400, "field 'password' must be a string (the inbox login)")
        if team is not None and (not isinstance(team, str) or len(team) > 64):
            return json_error(400, "field 'team' must be a string of at most 64 characters")
        team_name = team.strip() if isinstance(team, str) else ""
        try:
            account = await self._accounts.add(name, role, password, team_name or None)
        except AccountExists as error:
            return json_error(409, str(error))
        except AccountError as error:
            return json_error(400, str(error))
        await record(self._sessions, admin, "add_account", account.worker_id)
        log.info("admin %d made account %d (%s)", admin.id, account.worker_id, account.role)
        return web.json_response({"id": account.worker_id, "name": account.name,
                                  "role": account.role, "api_token": account.api_token},
                                 status=201)

    async def deactivate(self, request: web.Request) -> web.Response:
        """Deactivate an account at once; the conversations it held go back to the queue."""
        admin, _ = await authenticate(request, self._accounts)
        require_admin(admin)
        worker_id = int_id(request, "account")
        if worker_id == admin.id:
            return json_error(409, "you cannot deactivate your own account")
        worker = await self._accounts.set_active(worker_id, False)
        if worker is None:
            return json_error(404, "unknown account")
        await record(self._sessions, admin, "deactivate_account", worker_id)
        released = await self._handoffs.release_all(worker_id, by=admin)
        for conversation_id in released:
            # As after any transfer to the team: they know someone else will answer.
            await self._conversations.send_system(conversation_id, TRANSFERRED_NOTICE)
        log.info("admin %d deactivated account %d; %d conversation(s) back in the queue",
                 admin.id, worker_id, len(released))
        return web.json_response({**_worker_json(worker), "released": len(released)})

    async def role(self, request: web.Request) -> web.Response:
        """Another role and team: {"role", "team"} (team null or "" for none). Not your own
        role: an admin could lock the last admin out."""
        admin, _ = await authenticate(request, self._accounts)
        require_admin(admin)
        worker_id = int_id(request, "account")
        body = await read_json_object(request)
        role, team = body.get("role"), body.get("team")
        if "team" not in body or not isinstance(role, str) or not (
                team is None or isinstance(team, str)):
            return json_error(400, "field 'role' must be a string and 'team' a string or null")
        if worker_id == admin.id and role != admin.role:
            return json_error(409, "you cannot change your own role")
        try:
            worker = await self._accounts.set_role_and_team(
                worker_id, role, team.strip() if team else None)
        except AccountError as error:
            return json_error(400, str(error))
        return await self._changed(admin, worker, "change_account")

    async def password(self, request: web.Request) -> web.Response:
        """Give an account a new password: {"password": ...}; its sessions end."""
        admin, _ = await authenticate(request, self._accounts)
        require_admin(admin)
        body = await read_json_object(request)
        password = body.get("password")
        if not isinstance(password, str):
            return json_error(400, "field 'password' must be a string")
        try:
            worker = await self._accounts.set_password(int_id(request, "account"), password)
        except AccountError as error:
            return json_error(400, str(error))
        return await self._changed(admin, worker, "new_password")

    async def token(self, request: web.Request) -> web.Response:
        """Replace an account's API token; the new one is in the answer, and only there."""
        admin, _ = await authenticate(request, self._accounts)
        require_admin(admin)
        worker_id = int_id(request, "account")
        token = await self._accounts.new_token(worker_id)
        if token is None:
            return json_error(404, "unknown account")
        await record(self._sessions, admin, "new_api_token", worker_id)
        log.info("admin %d replaced the API token of account %d", admin.id, worker_id)
        return web.json_response({"id": worker_id, "api_token": token})

    async def activate(self, request: web.Request) -> web.Response:
        """Let a deactivated account log in again (with its old password and token)."""
        admin, _ = await authenticate(request, self._accounts)
        require_admin(admin)
        worker = await self._accounts.set_active(int_id(request, "account"), True)
        return await self._changed(admin, worker, "activate_account")

    async def _changed(self, admin: Worker, worker: Worker | None, action: str) -> web.Response:
        """404 for an unknown account; else the change in the audit log and the account now."""
        if worker is None:
            return json_error(404, "unknown account")
        await record(self._sessions, admin, action, worker.id)
        log.info("admin %d: %s for account %d", admin.id, action, worker.id)
        return web.json_response(_worker_json(worker))


def _worker_json(worker: Worker) -> dict[str, Any]:
    seen = as_utc(worker.last_seen_at)
    return {"id": worker.id, "name": worker.name, "role": worker.role, "team": worker.team,
            "online": bool(worker.online), "active": bool(worker.active),
            "last_seen_at": seen.isoformat() if seen else None,
            "can_log_in": worker.password_hash is not None}
