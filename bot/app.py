"""The gateway's aiohttp application factory: routes in one place, resources via cleanup_ctx."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import aiohttp
from aiohttp import web
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import sessionmaker

from bot.channels.outbox import ChannelOutboxService
from bot.channels.rest import RestChannel
from bot.channels.telegram import TelegramChannel
from bot.channels.webchat import WebchatChannel
from bot.channels.whatsapp import WhatsAppChannel
from bot.config import Settings
from bot.conversations.delivery import Delivery
from bot.conversations.service import ConversationService
from bot.handoff.notify import Notifier
from bot.handoff.service import HandoffService
from bot.handoff.webhook import handle_escalation
from bot.inbox.accounts import Accounts
from bot.inbox.admin_api import AdminApi
from bot.inbox.api import WorkerApi
from bot.inbox.audit_api import AuditApi
from bot.inbox.models_api import ModelsApi
from bot.inbox.nlu_api import NluReviewApi
from bot.inbox.pages import InboxPages
from bot.inbox.service_api import ServiceApi
from bot.inbox.workers_api import WorkersApi
from bot.nlu_review.catalogue import labelable_intents
from bot.nlu_review.recorder import NluReview
from bot.privacy import Privacy
from bot.rasa.client import RasaClient
from bot.rasa.models import ModelFiles
from bot.realtime import Hub
from bot.realtime_redis import REDIS_TIMEOUT_S, RedisRelay
from bot.safety.guard import SafetyGuard
from bot.safety.net import SafetyNet
from bot.service_rules import REFRESH_INTERVAL_S, LiveSettings
from bot.store.db import create_engine, session_factory

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parent / "web" / "static"
RETRY_INTERVAL_S = 10.0
NOTIFY_INTERVAL_S = 1.0
RETENTION_INTERVAL_S = 3600.0
HANDOFF_CHECK_INTERVAL_S = 15.0
WAITING_NOTICE = ("We hebben je bericht! Er is nog even niemand vrij, maar je staat in de rij. "
                  "Blijf gerust hier, je krijgt antwoord in deze chat.")

SETTINGS = web.AppKey("settings", Settings)
HUB = web.AppKey("hub", Hub)
SERVICE = web.AppKey("conversation_service", ConversationService)
WEBCHAT = web.AppKey("webchat_channel", WebchatChannel)
RASA = web.AppKey("rasa_client", RasaClient)
REST = web.AppKey("rest_channel", RestChannel)
HANDOFFS = web.AppKey("handoff_service", HandoffService)
NOTIFIER = web.AppKey("notifier", Notifier)
ACCOUNTS = web.AppKey("accounts", Accounts)
API = web.AppKey("worker_api", WorkerApi)
PAGES = web.AppKey("inbox_pages", InboxPages)
ADMIN = web.AppKey("admin_api", AdminApi)
NLU_REVIEW = web.AppKey("nlu_review_api", NluReviewApi)
WORKERS = web.AppKey("workers_api", WorkersApi)
MODELS = web.AppKey("models_api", ModelsApi)
LIVE = web.AppKey("live_settings", LiveSettings)
AUDIT = web.AppKey("audit_api", AuditApi)
SERVICE_RULES = web.AppKey("service_api", ServiceApi)
OUTBOX = web.AppKey("channel_outbox", ChannelOutboxService)
WHATSAPP = web.AppKey("whatsapp_channel", WhatsAppChannel)
TELEGRAM = web.AppKey("telegram_channel", TelegramChannel)
HTTP = web.AppKey("http_client", aiohttp.ClientSession)
RELAY = web.AppKey("live_relay", RedisRelay)
PRIVACY = web.AppKey("privacy", Privacy)


def init_app(settings: Settings) -> web.Application:
    """Build the gateway application; nothing is opened until the app starts."""
    app = web.Application(client_max_size=1024 * 1024, middlewares=[security_headers])
    app[SETTINGS] = settings
    app[HUB] = Hub()
    app.cleanup_ctx.append(_live_relay)
    app.cleanup_ctx.append(_resources)
    app.cleanup_ctx.append(_background_loops)
    app.router.add_get("/healthz", health)
    app.router.add_get("/", _static_file("index.html"))
    app.router.add_get("/widget.js", _static_file("widget.js"))
    app.router.add_get("/widget.css", _static_file("widget.css"))
    # Channel objects need the database and HTTP client, which exist only once the app
    # runs (cleanup_ctx); the routes delegate to them at request time.
    app.router.add_get("/webhooks/rest/", lambda r: r.app[REST].health(r))
    app.router.add_post("/webhooks/rest/webhook", lambda r: r.app[REST].webhook(r))
    app.router.add_get("/webhooks/webchat/ws", lambda r: r.app[WEBCHAT].socket(r))
    app.router.add_post("/webhooks/handoff", lambda r: handle_escalation(
        r, r.app[HANDOFFS], r.app[SETTINGS].handoff_secret))
    if settings.whatsapp is not None:
        app.router.add_get("/webhooks/whatsapp/webhook", lambda r: r.app[WHATSAPP].verify(r))
        app.router.add_post("/webhooks/whatsapp/webhook", lambda r: r.app[WHATSAPP].webhook(r))
    if settings.telegram is not None:
        app.router.add_post("/webhooks/telegram/webhook", lambda r: r.app[TELEGRAM].webhook(r))
    _add_worker_routes(app)
    return app


def _add_worker_routes(app: web.Application) -> None:
    api = "/api/v1"
    conversation = api + "/conversations/{id}"
    app.router.add_get("/inbox", _static_file("inbox.html"))
    # The inbox's ES modules (app.js imports the others); add_static refuses paths
    # outside the folder and does not list it.
    app.router.add_static("/inbox/js/", STATIC_DIR / "inbox")
    app.router.add_get("/inbox.css", _static_file("inbox.css"))
    app.router.add_post("/inbox/login", lambda r: r.app[PAGES].login(r))
    app.router.add_post("/inbox/logout", lambda r: r.app[PAGES].logout(r))
    app.router.add_get(api + "/openapi.json", lambda r: r.app[API].openapi(r))
    app.router.add_get(api + "/me", lambda r: r.app[API].me(r))
    app.router.add_post(api + "/presence", lambda r: r.app[API].presence(r))
    app.router.add_get(api + "/queue", lambda r: r.app[API].queue(r))
    app.router.add_get(api + "/live", lambda r: r.app[API].live(r))
    app.router.add_get(conversation, lambda r: r.app[API].conversation(r))
    app.router.add_post(conversation + "/claim", lambda r: r.app[API].claim(r))
    app.router.add_post(conversation + "/messages", lambda r: r.app[API].message(r))
    app.router.add_post(conversation + "/notes", lambda r: r.app[API].note(r))
    app.router.add_post(conversation + "/transfer", lambda r: r.app[API].transfer(r))
    app.router.add_post(conversation + "/close", lambda r: r.app[API].close(r))
    app.router.add_get(api + "/admin/safety-detections", lambda r: r.app[ADMIN].detections(r))
    app.router.add_post(api + "/admin/safety-detections/{id}/review",
                        lambda r: r.app[ADMIN].review(r))
    app.router.add_delete(api + "/admin/conversations/{id}", lambda r: r.app[ADMIN].erase(r))
    app.router.add_get(api + "/admin/stats", lambda r: r.app[ADMIN].stats(r))
    workers = api + "/admin/workers"
    app.router.add_get(workers, lambda r: r.app[WORKERS].list(r))
    app.router.add_post(workers, lambda r: r.app[WORKERS].add(r))
    app.router.add_post(workers + "/{id}/deactivate", lambda r: r.app[WORKERS].deactivate(r))
    app.router.add_post(workers + "/{id}/activate", lambda r: r.app[WORKERS].activate(r))
    app.router.add_post(workers + "/{id}/password", lambda r: r.app[WORKERS].password(r))
    app.router.add_post(workers + "/{id}/role", lambda r: r.app[WORKERS].role(r))
    app.router.add_post(workers + "/{id}/token", lambda r: r.app[WORKERS].token(r))
    app.router.add_get(api + "/admin/models", lambda r: r.app[MODELS].list(r))
    app.router.add_post(api + "/admin/models/activate", lambda r: r.app[MODELS].activate(r))
    app.router.add_get(api + "/admin/service", lambda r: r.app[SERVICE_RULES].get(r))
    app.router.add_put(api + "/admin/service", lambda r: r.app[SERVICE_RULES].put(r))
    app.router.add_get(api + "/hours", lambda r: r.app[SERVICE_RULES].hours(r))
    app.router.add_get(api + "/admin/audit", lambda r: r.app[AUDIT].entries(r))
    nlu = api + "/admin/nlu"
    app.router.add_get(nlu + "/review", lambda r: r.app[NLU_REVIEW].review(r))
    app.router.add_post(nlu + "/review/{id}/label", lambda r: r.app[NLU_REVIEW].label(r))
    app.router.add_post(nlu + "/review/{id}/ignore", lambda r: r.app[NLU_REVIEW].ignore(r))
    app.router.add_get(nlu + "/examples", lambda r: r.app[NLU_REVIEW].export(r))


async def _live_relay(app: web.Application) -> AsyncIterator[None]:
    """With REDIS_URL, share live events with the other gateway processes (realtime_redis)."""
    settings = app[SETTINGS]
    if not settings.redis_url:
        yield
        return
    relay = RedisRelay(settings.redis_url, settings.redis_channel)
    listener = asyncio.create_task(relay.run(app[HUB].deliver_here))
    # Start serving once subscribed, so no event of the first moments is missed; a Redis
    # that is down must not keep the gateway from answering, so only for so long.
    await relay.wait_subscribed(REDIS_TIMEOUT_S)
    app[HUB].relay_through(relay)
    app[RELAY] = relay
    yield
    app[HUB].relay_through(None)
    await relay.flush(REDIS_TIMEOUT_S)  # what the shutdown itself published
    listener.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await listener
    await relay.close()


async def _resources(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    engine = create_engine(settings.database_url)
    sessions = session_factory(engine)
    hub = app[HUB]
    http = aiohttp.ClientSession()
    rasa = RasaClient(http, settings.rasa_url, settings.rasa_token, settings.rasa_timeout_s)
    outbox = ChannelOutboxService(sessions, hub)
    delivery = Delivery(hub, sessions, outbox)
    live = LiveSettings(settings, sessions)
    try:
        await live.refresh()
    except SQLAlchemyError:  # the loop reads them again; meanwhile .env's rules apply
        log.exception("could not read the service rules at start; using .env's for now")
    notifier = Notifier(sessions, live)
    handoffs = HandoffService(sessions, hub, notifier, live)
    guard = SafetyGuard(SafetyNet.from_file(settings.safety_patterns_file), rasa, sessions)
    service = ConversationService(sessions, rasa, hub, delivery,
                                  record_feedback=handoffs.record_feedback, guard=guard,
                                  crisis=settings.crisis, escalate_crisis=handoffs.raise_urgent,
                                  review=NluReview(sessions, rasa, settings.nlu_review_below,
                                                   settings.nlu_review_out_of_scope))
    webchat = WebchatChannel(service, hub, settings.max_message_chars,
                             settings.webchat_allowed_origins)
    accounts = Accounts(sessions)
    app[HTTP] = http
    app[RASA] = rasa
    app[SERVICE] = service
    app[WEBCHAT] = webchat
    app[REST] = RestChannel(service, settings.max_message_chars, settings.rest_token)
    app[HANDOFFS] = handoffs
    app[NOTIFIER] = notifier
    app[ACCOUNTS] = accounts
    app[API] = WorkerApi(accounts, handoffs, service, delivery, hub, settings.max_message_chars)
    app[PAGES] = InboxPages(accounts, settings)
    privacy = Privacy(sessions, rasa)
    app[PRIVACY] = privacy
    app[ADMIN] = AdminApi(accounts, sessions, privacy, settings.timezone)
    app[WORKERS] = WorkersApi(accounts, handoffs, service, sessions)
    app[AUDIT] = AuditApi(accounts, sessions)
    app[MODELS] = ModelsApi(accounts, sessions, rasa, ModelFiles(settings.model_dir))
    app[NLU_REVIEW] = NluReviewApi(accounts, sessions, labelable_intents(settings.domain_file))
    app[OUTBOX] = outbox
    app[LIVE] = live
    app[SERVICE_RULES] = ServiceApi(accounts, live)
    _add_platform_channels(app, service, outbox, delivery, sessions, http)
    yield
    await app[HUB].close_all()
    await webchat.close()
    await http.close()
    await engine.dispose()


def _add_platform_channels(app: web.Application, service: ConversationService,
                           outbox: ChannelOutboxService, delivery: Delivery,
                           sessions: sessionmaker, http: aiohttp.ClientSession) -> None:
    """Wire the configured messaging platforms into delivery and the outbox."""
    settings = app[SETTINGS]
    if settings.whatsapp is not None:
        whatsapp = WhatsAppChannel(settings.whatsapp, service, outbox, sessions, app[HUB], http,
                                   settings.max_message_chars, settings.platform_timeout_s)
        outbox.register("whatsapp", whatsapp.send)
        delivery.register("whatsapp", whatsapp.bodies)
        app[WHATSAPP] = whatsapp
    if settings.telegram is not None:
        telegram = TelegramChannel(settings.telegram, service, outbox, sessions, http,
                                   settings.max_message_chars, settings.platform_timeout_s)
        outbox.register("telegram", telegram.send)
        delivery.register("telegram", telegram.bodies)
        app[TELEGRAM] = telegram


async def _periodic(name: str, interval_s: float, job: Callable[[], Awaitable[object]]) -> None:
    while True:
        await asyncio.sleep(interval_s)
        try:
            await job()
        except Exception:  # the loop must survive a bad round
            log.exception("background job %s failed", name)


async def _handoff_checks(app: web.Application) -> None:
    for conversation_id in await app[HANDOFFS].due_waiting_notices():
        await app[SERVICE].send_system(conversation_id, WAITING_NOTICE)
    await app[HANDOFFS].renotify_unclaimed_urgent()


async def purge_expired(app: web.Application) -> None:
    """Delete conversations past the retention period in force now (0 days: none)."""
    # Read at each round: an admin may change the retention period in Beheer (0: keep).
    retention_days = app[LIVE].current.retention_days
    if retention_days > 0:
        await app[PRIVACY].purge_expired(retention_days)


async def _background_loops(app: web.Application) -> AsyncIterator[None]:
    """Retry unanswered messages, send notifications, waiting notices and re-notifications;
    read the admins' service rules again; delete conversations past the retention period."""
    tasks = [
        asyncio.create_task(_periodic("retry", RETRY_INTERVAL_S,
                                      lambda: app[SERVICE].retry_unanswered())),
        asyncio.create_task(_periodic("notify", NOTIFY_INTERVAL_S,
                                      lambda: app[NOTIFIER].deliver_due(app[HTTP]))),
        asyncio.create_task(_periodic("handoff-checks", HANDOFF_CHECK_INTERVAL_S,
                                      lambda: _handoff_checks(app))),
        asyncio.create_task(app[OUTBOX].run_forever()),
        asyncio.create_task(_periodic("service-rules", REFRESH_INTERVAL_S, app[LIVE].refresh)),
        asyncio.create_task(_periodic("retention", RETENTION_INTERVAL_S,
                                      lambda: purge_expired(app))),
    ]
    yield
    for task in tasks:
        task.cancel()
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def health(request: web.Request) -> web.Response:
    """Liveness of the gateway and readiness of the bot behind it."""
    bot_ready = await request.app[RASA].is_ready()
    body = {"status": "ok", "bot": "ready" if bot_ready else "unavailable"}
    relay = request.app.get(RELAY)
    if relay is not None:
        body["live_relay"] = "connected" if relay.connected else "unavailable"
    return web.json_response(body)


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
