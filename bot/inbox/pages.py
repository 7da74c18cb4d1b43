"""Inbox log in / log out (session cookie) and the inbox page itself."""

from __future__ import annotations

from aiohttp import web

from bot.channels.errors import json_error, read_json_object
from bot.config import Settings
from bot.inbox.accounts import Accounts
from bot.inbox.auth import SESSION_COOKIE, authenticate


class InboxPages:
    """Handlers for /inbox."""

    def __init__(self, accounts: Accounts, settings: Settings) -> None:
        self._accounts = accounts
        self._settings = settings

    def _secure_cookie(self, request: web.Request) -> bool:
        setting = self._settings.session_cookie_secure
        if setting in ("true", "1", "yes"):
            return True
        if setting in ("false", "0", "no"):
            return False
        return request.secure or self._settings.public_url.startswith("https://")

    async def login(self, request: web.Request) -> web.Response:
        """{"name","password"} → session cookie (HttpOnly, SameSite=Strict) and CSRF token."""
        body = await read_json_object(request)
        name, password = body.get("name"), body.get("password")
        if not isinstance(name, str) or not isinstance(password, str):
            return json_error(400, "give 'name' and 'password'")
        worker = await self._accounts.check_password(name.strip(), password)
        if worker is None:
            return json_error(401, "wrong name or password")
        token, csrf = await self._accounts.start_session(worker, self._settings.session_hours)
        response = web.json_response({"name": worker.name, "role": worker.role,
                                      "csrf_token": csrf})
        response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="Strict",
                            secure=self._secure_cookie(request), path="/",
                            max_age=int(self._settings.session_hours * 3600))
        return response

    async def logout(self, request: web.Request) -> web.Response:
        """End the session (CSRF-checked) and clear the cookie."""
        await authenticate(request, self._accounts)
        await self._accounts.end_session(request.cookies.get(SESSION_COOKIE, ""))
        response = web.json_response({"logged_out": True})
        response.del_cookie(SESSION_COOKIE, path="/")
        return response
