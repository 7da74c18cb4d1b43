"""The gateway's aiohttp application factory: routes in one place, resources via cleanup_ctx."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
from aiohttp import web

from bot.channels.rest import RestChannel
from bot.channels.webchat import WebchatChannel
from bot.config import Settings
from bot.conversations.service import ConversationService
from bot.rasa.client import RasaClient
from bot.realtime import Hub
from bot.store.db import create_engine, session_factory

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parent / "web" / "static"
RETRY_INTERVAL_S = 10.0

SETTINGS = web.AppKey("settings", Settings)
HUB = web.AppKey("hub", Hub)
SERVICE = web.AppKey("conversation_service", ConversationService)
WEBCHAT = web.AppKey("webchat_channel", WebchatChannel)
RASA = web.AppKey("rasa_client", RasaClient)
REST = web.AppKey("rest_channel", RestChannel)


def init_app(settings: Settings) -> web.Application:
    """Build the gateway application; nothing is opened until the app starts."""
    app = web.Application(client_max_size=1024 * 1024, middlewares=[security_headers])
    app[SETTINGS] = settings
    app[HUB] = Hub()
    app.cleanup_ctx.append(_resources)
    app.cleanup_ctx.append(_retry_loop)
    app.router.add_get("/healthz", health)
    app.router.add_get("/", _static_file("index.html"))
    app.router.add_get("/widget.js", _static_file("widget.js"))
    app.router.add_get("/widget.css", _static_file("widget.css"))
    # Channel objects need the database and HTTP client, which exist only once the app
    # runs (cleanup_ctx); the routes delegate to them at request time.
    app.router.add_get("/webhooks/rest/", lambda r: r.app[REST].health(r))
    app.router.add_post("/webhooks/rest/webhook", lambda r: r.app[REST].webhook(r))
    app.router.add_get("/webhooks/webchat/ws", lambda r: r.app[WEBCHAT].socket(r))
    return app


async def _resources(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    engine = create_engine(settings.database_url)
    http = aiohttp.ClientSession()
    rasa = RasaClient(http, settings.rasa_url, settings.rasa_token, settings.rasa_timeout_s)
    service = ConversationService(session_factory(engine), rasa, app[HUB])
    webchat = WebchatChannel(service, app[HUB], settings.max_message_chars,
                             settings.webchat_allowed_origins)
    app[RASA] = rasa
    app[SERVICE] = service
    app[WEBCHAT] = webchat
    app[REST] = RestChannel(service, settings.max_message_chars, settings.rest_token)
    yield
    await app[HUB].close_all()
    await webchat.close()
    await http.close()
    await engine.dispose()


async def _retry_loop(app: web.Application) -> AsyncIterator[None]:
    async def loop() -> None:
        while True:
            await asyncio.sleep(RETRY_INTERVAL_S)
            try:
                await app[SERVICE].retry_unanswered()
            except Exception:
                log.exception("retrying unanswered messages failed")

    task = asyncio.create_task(loop())
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def health(request: web.Request) -> web.Response:
    """Liveness of the gateway and readiness of the bot behind it."""
    bot_ready = await request.app[RASA].is_ready()
    return web.json_response({"status": "ok", "bot": "ready" if bot_ready else "unavailable"})


def _static_file(name: str):  # type: ignore[no-untyped-def]
    async def handler(_request: web.Request) -> web.FileResponse:
        return web.FileResponse(STATIC_DIR / name)

    return handler


@web.middleware
async def security_headers(request: web.Request, handler):  # type: ignore[no-untyped-def]
    """Headers that keep the pages from running injected code or being framed."""
    response = await handler(request)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    # Harmless on JSON, essential on pages: no inline or foreign scripts, ever.
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; connect-src 'self' ws: wss:; frame-ancestors 'self'",
    )
    return response
