"""The service rules over HTTP: admins read and change them (/api/v1/admin/service); anyone
may read the opening hours (/api/v1/hours) — the action server tells young people those."""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web

from bot.channels.errors import read_json_object
from bot.handoff.service import as_utc
from bot.hours import describe_week, is_open, local_now
from bot.inbox.accounts import Accounts
from bot.inbox.auth import authenticate, require_admin
from bot.service_rules import InvalidRule, LiveSettings, ServiceRules, read_rules

log = logging.getLogger(__name__)


class ServiceApi:
    """Handlers of /api/v1/admin/service and /api/v1/hours."""

    def __init__(self, accounts: Accounts, live: LiveSettings) -> None:
        self._accounts = accounts
        self._live = live

    async def get(self, request: web.Request) -> web.Response:
        """The rules in force, .env's (what "standaard" means), and who saved them when."""
        worker, _ = await authenticate(request, self._accounts)
        require_admin(worker)
        return web.json_response(self._state())

    async def put(self, request: web.Request) -> web.Response:
        """Replace the four rules; 400 names the field that cannot be used and saves nothing."""
        worker, _ = await authenticate(request, self._accounts)
        require_admin(worker)
        try:
            rules = read_rules(await read_json_object(request))
        except InvalidRule as error:
            return web.json_response({"error": str(error), "field": error.field}, status=400)
        await self._live.save(rules, worker)
        log.info("admin %d changed the service rules", worker.id)
        return web.json_response(self._state())

    async def hours(self, request: web.Request) -> web.Response:
        """The opening hours in force (public: the bot tells them to anyone who asks)."""
        settings = self._live.current
        return web.json_response({
            "opening_hours": settings.opening_hours_spec,
            "holidays": settings.holidays_spec,
            "timezone": settings.timezone,
            "open_now": is_open(settings.opening_hours, local_now(settings.timezone)),
            "week": describe_week(settings.opening_hours),
        })

    def _state(self) -> dict[str, Any]:
        change = self._live.last_change
        at = as_utc(change.at)
        return {"rules": ServiceRules.of(self._live.current).as_json(),
                "defaults": self._live.defaults.as_json(),
                "updated_at": at.isoformat() if at else None,
                "updated_by": change.by}
