"""Who is calling: a personal bearer token (integrations) or a session cookie + CSRF (inbox)."""

from __future__ import annotations

import hmac

from aiohttp import web

from bot.inbox.accounts import Accounts
from bot.store.models import Role, Worker

SESSION_COOKIE = "bz_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def _unauthorized(message: str) -> web.HTTPUnauthorized:
    return web.HTTPUnauthorized(text=f'{{"error": "{message}"}}', content_type="application/json",
                                headers={"WWW-Authenticate": "Bearer"})


async def authenticate(request: web.Request, accounts: Accounts) -> tuple[Worker, str | None]:
    """(worker, CSRF token or None for bearer calls); raises 401/403 with a JSON reason."""
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        worker = await accounts.by_token(header[7:].strip())
        if worker is None:
            raise _unauthorized("invalid bearer token")
        return worker, None
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        raise _unauthorized("log in or send a bearer token")
    found = await accounts.by_session(cookie)
    if found is None:
        raise _unauthorized("session expired; log in again")
    worker, csrf = found
    if request.method not in SAFE_METHODS:
        given = request.headers.get(CSRF_HEADER, "")
        if not hmac.compare_digest(given.encode(), csrf.encode()):
            raise web.HTTPForbidden(text='{"error": "missing or wrong CSRF token"}',
                                    content_type="application/json")
    return worker, csrf


def require_admin(worker: Worker) -> None:
    """Raise 403 unless the worker is an admin."""
    if worker.role != Role.ADMIN:
        raise web.HTTPForbidden(text='{"error": "admins only"}', content_type="application/json")
